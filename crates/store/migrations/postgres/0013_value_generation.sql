-- The values' generation (thế hệ số liệu): one counter that every transaction writing
-- reported values raises once, with a row per (unit, period) it wrote. Each process
-- keeps the rollup engine's aggregates in memory and reads only this number per rollup:
-- a larger number means values changed somewhere (this process, another server, a
-- `thidua import`), and the process reads the changed (unit, period) pairs since the
-- generation it holds. The counter is one row, so writers raise it in commit order (the
-- row lock is held to commit): a reader that sees generation n sees every change up to n
-- — which a sequence would not promise, its numbers being handed out before commit.
-- Indicator changes raise the directory's version, since they change how values add up.
CREATE TABLE value_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  BIGINT NOT NULL
);
INSERT INTO value_generation (id, generation) VALUES (1, 1);

CREATE TABLE value_change (
    generation  BIGINT NOT NULL,
    unit_id     BIGINT NOT NULL,
    period      TEXT NOT NULL,
    PRIMARY KEY (generation, unit_id, period)
);

CREATE TRIGGER indicator_changes_directory AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicator
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
