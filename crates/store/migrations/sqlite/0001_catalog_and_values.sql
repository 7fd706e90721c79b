-- Units, clusters, indicators, validation rules and reported values.
CREATE TABLE unit (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    search_key  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES unit (id),
    valid_from  TEXT,
    valid_to    TEXT
);
CREATE INDEX unit_parent ON unit (parent_id);

CREATE TABLE cluster (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    name        TEXT NOT NULL,
    search_key  TEXT NOT NULL,
    chair_id    INTEGER REFERENCES unit (id),
    deputy_id   INTEGER REFERENCES unit (id),
    host_id     INTEGER REFERENCES unit (id),
    UNIQUE (code, year)
);

CREATE TABLE cluster_member (
    cluster_id  INTEGER NOT NULL REFERENCES cluster (id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, unit_id)
);

CREATE TABLE indicator (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    search_key   TEXT NOT NULL,
    measure      TEXT NOT NULL,
    value_type   TEXT NOT NULL,
    aggregation  TEXT NOT NULL,
    formula      TEXT,
    group_name   TEXT NOT NULL,
    position     INTEGER NOT NULL
);

CREATE TABLE validation_rule (
    id       INTEGER PRIMARY KEY,
    rule     TEXT NOT NULL UNIQUE,
    message  TEXT
);

CREATE TABLE data_value (
    unit_id       INTEGER NOT NULL REFERENCES unit (id),
    indicator_id  INTEGER NOT NULL REFERENCES indicator (id),
    period        TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    value_int     INTEGER,
    value_real    REAL,
    value_text    TEXT,
    comment       TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (unit_id, indicator_id, period)
);
CREATE INDEX data_value_period ON data_value (period_start, period_end);
