-- What fusion saw for each reading (the text evidence and the voice's own
-- judgement), sealed like the cues, so `calmline emotion refit --store` can learn
-- from a human correction exactly what the call heard. Readings written before
-- this migration have none; a refit rebuilds their text evidence from the turn.
ALTER TABLE readings ADD COLUMN inputs TEXT NOT NULL DEFAULT '';
