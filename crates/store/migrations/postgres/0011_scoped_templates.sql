-- Review templates per cluster (mẫu báo cáo của từng cụm), not one for the whole
-- installation: a cluster's chair or the upper level above all its members edits the
-- cluster's own, and a cluster without one uses the template shipped with thidua.
--
-- The single global template of 0004 is not inherited: nobody can tell whose clusters
-- it was meant for (an upper user of one district could save it for every cluster). It
-- is kept, renamed, as history only; nothing reads it.
ALTER TABLE report_template RENAME TO retired_global_report_template;

CREATE TABLE cluster_template (
    cluster     TEXT NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (cluster, name)
);
