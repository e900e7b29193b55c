-- What fusion saw for each reading (the text evidence and the voice's own
-- judgement), sealed like the cues, so `calmline emotion refit --store` can learn
-- from a human correction exactly what the call heard. Readings written before
-- this migration have none; a refit rebuilds their text evidence from the turn.
ALTER TABLE readings ADD COLUMN inputs TEXT NOT NULL DEFAULT '';

-- The node each action was at. Until now actions.line held the node (every reply
-- counted as an A/B trial under its node); from here line names only a line with
-- A/B variant text, so old rows move their node across and leave the A/B report.
ALTER TABLE actions ADD COLUMN node TEXT NOT NULL DEFAULT '';
UPDATE actions SET node = line, line = '';
