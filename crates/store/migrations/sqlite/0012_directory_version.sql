-- The directory's version (phiên bản danh mục đơn vị và cụm): one counter that every
-- write of a unit, a cluster or a cluster's membership raises, by trigger, whoever makes
-- it (a server process, `thidua import`, a hand-written statement). Each process keeps
-- the unit tree and the cluster list in memory and reads only this number per request:
-- a different number means the directory changed somewhere, and the process reloads it.
CREATE TABLE directory_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);

CREATE TRIGGER unit_insert_changes_directory AFTER INSERT ON unit
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER unit_update_changes_directory AFTER UPDATE ON unit
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER unit_delete_changes_directory AFTER DELETE ON unit
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_insert_changes_directory AFTER INSERT ON cluster
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_update_changes_directory AFTER UPDATE ON cluster
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_delete_changes_directory AFTER DELETE ON cluster
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_member_insert_changes_directory AFTER INSERT ON cluster_member
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_member_update_changes_directory AFTER UPDATE ON cluster_member
BEGIN UPDATE directory_version SET version = version + 1; END;
CREATE TRIGGER cluster_member_delete_changes_directory AFTER DELETE ON cluster_member
BEGIN UPDATE directory_version SET version = version + 1; END;
