-- The audit trail becomes a hash chain authenticated under the installation's secret key
-- (see store::audit): each row gets its place in the chain (seq, from 1) and a MAC over
-- the previous row's MAC and its own content; a one-row head names the last row, so a
-- deleted tail or an emptied table is caught. Rows written before this migration are
-- sealed, in id order, at the first connect after it (Rust holds the key, SQL does not).
ALTER TABLE audit_event ADD COLUMN seq INTEGER;
ALTER TABLE audit_event ADD COLUMN mac TEXT;
CREATE UNIQUE INDEX audit_event_seq ON audit_event (seq);

-- The genesis head: seq 0 and an empty seal mean "not sealed yet". key_id names the key
-- (a MAC of a fixed label under it), so the writer finds the key of this database.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         INTEGER NOT NULL,
    mac         TEXT NOT NULL,
    seal        TEXT NOT NULL,
    started_at  TEXT,
    key_id      TEXT
);
INSERT INTO audit_head (id, seq, mac, seal) VALUES (1, 0, '', '');

-- Still append-only, except the one update the sealing makes: giving a row without a
-- place in the chain its seq and MAC, nothing else changed.
DROP TRIGGER audit_event_no_update;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
WHEN NOT (OLD.seq IS NULL AND OLD.mac IS NULL AND NEW.seq IS NOT NULL AND NEW.mac IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.user_id IS OLD.user_id
    AND NEW.action IS OLD.action AND NEW.unit_code IS OLD.unit_code AND NEW.period IS OLD.period
    AND NEW.indicator IS OLD.indicator AND NEW.old_value IS OLD.old_value AND NEW.new_value IS OLD.new_value
    AND NEW.reason IS OLD.reason AND NEW.subject IS OLD.subject)
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;

-- The head only moves forward and is never removed. SQLite cannot stop DROP TRIGGER;
-- what it cannot prevent, `thidua verify audit` detects.
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq OR NEW.id IS NOT OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
