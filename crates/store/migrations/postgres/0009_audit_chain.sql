-- The audit trail becomes a hash chain authenticated under the installation's secret key
-- (see store::audit): each row gets its place in the chain (seq, from 1) and a MAC over
-- the previous row's MAC and its own content; a one-row head names the last row, so a
-- deleted tail or an emptied table is caught. Rows written before this migration are
-- sealed, in id order, at the first connect after it (Rust holds the key, SQL does not).
ALTER TABLE audit_event ADD COLUMN seq BIGINT;
ALTER TABLE audit_event ADD COLUMN mac TEXT;
CREATE UNIQUE INDEX audit_event_seq ON audit_event (seq);

-- The genesis head: seq 0 and an empty seal mean "not sealed yet". key_id names the key
-- (a MAC of a fixed label under it), so the writer finds the key of this database.
CREATE TABLE audit_head (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    mac         TEXT NOT NULL,
    seal        TEXT NOT NULL,
    started_at  TEXT,
    key_id      TEXT
);
INSERT INTO audit_head (id, seq, mac, seal) VALUES (1, 0, '', '');

-- Still append-only, except the one update the sealing makes: giving a row without a
-- place in the chain its seq and MAC, nothing else changed. TRUNCATE, which skips row
-- triggers, is refused by a statement trigger of its own.
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NULL AND OLD.mac IS NULL AND NEW.seq IS NOT NULL AND NEW.mac IS NOT NULL
           AND (to_jsonb(NEW) - 'seq' - 'mac') = (to_jsonb(OLD) - 'seq' - 'mac') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- The head only moves forward and is never removed.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.seq >= OLD.seq AND NEW.id = OLD.id THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RAISE EXCEPTION 'audit_head cannot be deleted';
END;
$$;
CREATE TRIGGER audit_head_no_change BEFORE UPDATE OR DELETE ON audit_head
FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();
