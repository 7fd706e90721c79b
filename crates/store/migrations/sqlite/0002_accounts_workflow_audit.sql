-- Accounts and their sessions, the reporting workflow, and the append-only audit trail.
CREATE TABLE app_user (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    unit_id        INTEGER REFERENCES unit (id),
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE user_session (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE reporting_window (
    period           TEXT PRIMARY KEY,
    opens_on         TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    lock_after_days  INTEGER NOT NULL
);

CREATE TABLE submission (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES unit (id),
    period         TEXT NOT NULL,
    state          TEXT NOT NULL,
    version        INTEGER NOT NULL,
    reopened       INTEGER NOT NULL DEFAULT 0,
    results        TEXT NOT NULL DEFAULT '',
    limitations    TEXT NOT NULL DEFAULT '',
    directions     TEXT NOT NULL DEFAULT '',
    return_reason  TEXT,
    submitted_at   TEXT,
    decided_at     TEXT,
    decided_by     INTEGER REFERENCES app_user (id),
    updated_at     TEXT NOT NULL,
    updated_by     INTEGER REFERENCES app_user (id),
    UNIQUE (unit_id, period)
);

CREATE TABLE submission_value (
    submission_id  INTEGER NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    indicator_id   INTEGER NOT NULL REFERENCES indicator (id),
    value_int      INTEGER,
    value_real     REAL,
    value_text     TEXT,
    PRIMARY KEY (submission_id, indicator_id)
);

CREATE TABLE audit_event (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    user_id       INTEGER REFERENCES app_user (id),
    action        TEXT NOT NULL,
    unit_code     TEXT,
    period        TEXT,
    indicator     TEXT,
    old_value     TEXT,
    new_value     TEXT,
    reason        TEXT
);
CREATE INDEX audit_event_cell ON audit_event (unit_code, period, indicator);

-- The trail is append-only, whatever the application does.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
