-- Conference records. The record is kept whole as JSON (attendees and directions are
-- read and written together with it); the key columns are plain for lookups.
CREATE TABLE conference (
    id          INTEGER PRIMARY KEY,
    cluster     TEXT NOT NULL,
    period      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    record      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (cluster, period, kind)
);
