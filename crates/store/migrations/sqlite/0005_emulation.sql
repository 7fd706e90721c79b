-- The year's emulation: criteria sets (versioned), pledges, score sheets with their
-- evidence files, secret ballots, the award catalogue, proposals, decisions and their
-- recipients. Points are stored in hundredths (INTEGER), so totals and ties are exact.

-- A criteria set per cluster level and year; an edit once any score sheet uses a version
-- makes the next version, so a sheet always reads the criteria it was scored by.
CREATE TABLE criteria_set (
    id          INTEGER PRIMARY KEY,
    level       TEXT NOT NULL,
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    UNIQUE (level, year, version)
);

-- A cluster's pledge for a year, kept whole as JSON (it is read and printed whole).
CREATE TABLE pledge (
    id          INTEGER PRIMARY KEY,
    cluster     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    signed_on   TEXT,
    record      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    UNIQUE (cluster, year)
);

-- One step's numbers (self, cluster, upper) for one unit against one criteria version.
CREATE TABLE score_sheet (
    id               INTEGER PRIMARY KEY,
    unit_id          INTEGER NOT NULL REFERENCES unit (id),
    year             INTEGER NOT NULL,
    criteria_set_id  INTEGER NOT NULL REFERENCES criteria_set (id),
    step             TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL,
    scored_by        INTEGER REFERENCES app_user (id),
    scored_login     TEXT NOT NULL,
    scored_at        TEXT NOT NULL,
    UNIQUE (unit_id, criteria_set_id, step)
);

CREATE TABLE score_mark (
    sheet_id  INTEGER NOT NULL REFERENCES score_sheet (id) ON DELETE CASCADE,
    code      TEXT NOT NULL,
    points    INTEGER NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    computed  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sheet_id, code)
);

-- Evidence files (minh chứng) attached to a sheet, or to one item of it.
CREATE TABLE score_evidence (
    id            INTEGER PRIMARY KEY,
    sheet_id      INTEGER NOT NULL REFERENCES score_sheet (id) ON DELETE CASCADE,
    code          TEXT,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    content       BLOB NOT NULL,
    uploaded_at   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL
);
CREATE INDEX score_evidence_sheet ON score_evidence (sheet_id);

-- Secret ballots. Who has voted and what was voted live in two tables with nothing in
-- common but the ballot: `ballot_voter` has no time and no paper; `ballot_paper` has no
-- voter, no time and a random id. WITHOUT ROWID: no hidden counter records the order in
-- which papers arrived (rows are kept in the order of their random ids).
CREATE TABLE ballot (
    id         INTEGER PRIMARY KEY,
    cluster    TEXT NOT NULL,
    year       INTEGER NOT NULL,
    title      TEXT NOT NULL,
    spec       TEXT NOT NULL,
    state      TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    opened_by  TEXT NOT NULL,
    closed_at  TEXT,
    closed_by  TEXT
);

CREATE TABLE ballot_voter (
    ballot_id  INTEGER NOT NULL REFERENCES ballot (id),
    unit_id    INTEGER NOT NULL REFERENCES unit (id),
    PRIMARY KEY (ballot_id, unit_id)
) WITHOUT ROWID;

CREATE TABLE ballot_paper (
    id         TEXT PRIMARY KEY,
    ballot_id  INTEGER NOT NULL REFERENCES ballot (id),
    answers    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ballot_paper_ballot ON ballot_paper (ballot_id);

-- The catalogue of award forms, in precedence order.
CREATE TABLE award_form (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    level       TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    recipients  TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE award_decision (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL,
    signed_on       TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    level           TEXT NOT NULL,
    award           TEXT NOT NULL REFERENCES award_form (code),
    year            INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    revoked_number  TEXT,
    revoked_on      TEXT,
    revoked_reason  TEXT,
    revoked_at      TEXT,
    revoked_by      TEXT,
    UNIQUE (issuer, number)
);

CREATE TABLE award_proposal (
    id              INTEGER PRIMARY KEY,
    year            INTEGER NOT NULL,
    award           TEXT NOT NULL REFERENCES award_form (code),
    recipient_kind  TEXT NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES unit (id),
    person_name     TEXT,
    person_title    TEXT,
    cluster         TEXT,
    achievements    TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL,
    ballot_id       INTEGER REFERENCES ballot (id),
    question        TEXT,
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    reason          TEXT,
    decision_id     INTEGER REFERENCES award_decision (id),
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL
);
CREATE INDEX award_proposal_year ON award_proposal (year, state);

-- Who a decision commends: a unit, or a person with their title and unit. `search_key`
-- is the person's (or unit's) name folded for search without diacritics.
CREATE TABLE award_recipient (
    id              INTEGER PRIMARY KEY,
    decision_id     INTEGER NOT NULL REFERENCES award_decision (id),
    position        INTEGER NOT NULL,
    recipient_kind  TEXT NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES unit (id),
    person_name     TEXT,
    person_title    TEXT,
    search_key      TEXT NOT NULL,
    proposal_id     INTEGER REFERENCES award_proposal (id)
);
CREATE INDEX award_recipient_unit ON award_recipient (unit_id);
CREATE INDEX award_recipient_search ON award_recipient (search_key);

-- Emulation events in the audit trail name what they are about ("proposal:12").
ALTER TABLE audit_event ADD COLUMN subject TEXT;
CREATE INDEX audit_event_subject ON audit_event (subject);
