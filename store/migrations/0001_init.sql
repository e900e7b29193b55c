-- calmline store schema, version 1.
-- One file for SQLite and Postgres: {{AUTOID}} is replaced per driver, everything
-- else is SQL both accept. Times are Unix milliseconds (UTC), booleans 0/1.

CREATE TABLE calls (
    id            TEXT PRIMARY KEY,
    channel       TEXT NOT NULL,
    caller_id     TEXT NOT NULL,
    called        TEXT NOT NULL,
    lang          TEXT NOT NULL,
    variant       TEXT NOT NULL,
    started_ms    BIGINT NOT NULL,
    ended_ms      BIGINT,
    outcome       TEXT NOT NULL DEFAULT '',
    handoff_queue TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calls_started ON calls (started_ms);

CREATE TABLE turns (
    call_id        TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    at_ms          BIGINT NOT NULL,
    speaker        TEXT NOT NULL,
    text           TEXT NOT NULL,
    asr_confidence DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (call_id, seq)
);

CREATE TABLE readings (
    id         {{AUTOID}},
    call_id    TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    turn_seq   INTEGER NOT NULL,
    at_ms      BIGINT NOT NULL,
    category   TEXT NOT NULL,
    level      INTEGER NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    arousal    DOUBLE PRECISION NOT NULL,
    valence    DOUBLE PRECISION NOT NULL,
    lang       TEXT NOT NULL,
    cues       TEXT NOT NULL,
    scores     TEXT NOT NULL
);
CREATE INDEX readings_call ON readings (call_id, turn_seq);

CREATE TABLE actions (
    call_id      TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    turn_seq     INTEGER NOT NULL,
    at_ms        BIGINT NOT NULL,
    type         TEXT NOT NULL,
    line         TEXT NOT NULL,
    reply        TEXT NOT NULL,
    queue        TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    compensation TEXT NOT NULL,
    tier         TEXT NOT NULL,
    strategy     TEXT NOT NULL,
    variant      TEXT NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX actions_variant ON actions (line, variant);

CREATE TABLE outcomes (
    call_id     TEXT PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    at_ms       BIGINT NOT NULL,
    result      TEXT NOT NULL,
    resolved    INTEGER NOT NULL,
    handed_off  INTEGER NOT NULL,
    queue       TEXT NOT NULL,
    note        TEXT NOT NULL,
    readings    INTEGER NOT NULL,
    first_level INTEGER NOT NULL,
    peak_level  INTEGER NOT NULL,
    last_level  INTEGER NOT NULL
);

CREATE TABLE feedback (
    id         {{AUTOID}},
    call_id    TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    turn_seq   INTEGER NOT NULL,
    reading_id BIGINT REFERENCES readings (id) ON DELETE SET NULL,
    category   TEXT NOT NULL,
    level      INTEGER NOT NULL,
    who        TEXT NOT NULL,
    note       TEXT NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX feedback_at ON feedback (at_ms);

-- The audit log has no foreign key: it must outlive the calls it talks about.
CREATE TABLE audit (
    id      {{AUTOID}},
    at_ms   BIGINT NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    call_id TEXT NOT NULL,
    mode    TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at_ms);
CREATE INDEX audit_call ON audit (call_id);
