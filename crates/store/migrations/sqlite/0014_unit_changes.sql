-- Sắp xếp tổ chức — every reorganisation applied (merge, split, move, rename, close), with
-- its effective day, the units by code (codes never change and units are never deleted),
-- a split's shares (`CODE:0.6`), a move's parents and a rename's names before and after.
-- The unit table holds the result (new units, last days, parents, names); these rows are
-- what the two views of history are read from. A new row raises the directory's version.
CREATE TABLE unit_change (
    id             INTEGER PRIMARY KEY,
    effective      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    from_units     TEXT NOT NULL,
    to_units       TEXT NOT NULL,
    parent_before  TEXT,
    parent_after   TEXT,
    name_before    TEXT,
    name_after     TEXT,
    recorded_at    TEXT NOT NULL,
    recorded_by    TEXT NOT NULL
);

CREATE TRIGGER unit_change_insert_changes_directory AFTER INSERT ON unit_change
BEGIN UPDATE directory_version SET version = version + 1; END;
