-- The values' generation (thế hệ số liệu): one counter that every transaction writing
-- reported values raises once, with a row per (unit, period) it wrote. Each process
-- keeps the rollup engine's aggregates in memory and reads only this number per rollup:
-- a larger number means values changed somewhere (this process, another server, a
-- `thidua import`), and the process reads the changed (unit, period) pairs since the
-- generation it holds. The counter is one row, so writers raise it in commit order (the
-- row lock is held to commit): a reader that sees generation n sees every change up to n.
-- Indicator changes raise the directory's version, since they change how values add up.
CREATE TABLE value_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO value_generation (id, generation) VALUES (1, 1);

CREATE TABLE value_change (
    generation  INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL,
    period      TEXT NOT NULL,
    PRIMARY KEY (generation, unit_id, period)
);

CREATE TRIGGER indicator_insert_changes_directory AFTER INSERT ON indicator
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER indicator_update_changes_directory AFTER UPDATE ON indicator
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER indicator_delete_changes_directory AFTER DELETE ON indicator
BEGIN UPDATE directory_version SET version = version + 1; END;
