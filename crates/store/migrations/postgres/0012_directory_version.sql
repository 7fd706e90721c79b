-- The directory's version (phiên bản danh mục đơn vị và cụm): one counter that every
-- write of a unit, a cluster or a cluster's membership raises, by trigger, whoever makes
-- it (a server process, `thidua import`, a hand-written statement). Each process keeps
-- the unit tree and the cluster list in memory and reads only this number per request:
-- a different number means the directory changed somewhere, and the process reloads it.
-- Per statement, not per row: an import of thousands of units raises it once.
CREATE TABLE directory_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);

CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER unit_changes_directory AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER cluster_changes_directory AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cluster
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER cluster_member_changes_directory AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cluster_member
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
