-- The installation's secret key lives outside the database (see store::secret); this row
-- holds only a MAC of a fixed label under it, so a server started with another key file
-- is refused instead of silently failing to open sealed ballots or verify the audit trail.
CREATE TABLE server_key_check (
    id   INTEGER PRIMARY KEY,
    mac  TEXT NOT NULL
);
