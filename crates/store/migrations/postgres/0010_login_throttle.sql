-- The login throttle, kept in the database so that every server process shares it and
-- a restart does not reset it. One row per throttled key: kind 'account' (the typed
-- login name, folded, whether or not such an account exists), 'address' (the client
-- address; an IPv6 address by its /64) or 'pair' (both). Keys are HMACs under the
-- installation's secret key, so the table lists neither names typed nor addresses.
-- Times are milliseconds since 1970 (UTC), compared as numbers.
CREATE TABLE login_throttle (
    kind          TEXT NOT NULL,
    throttle_key  TEXT NOT NULL,
    failures      BIGINT NOT NULL,
    delay_ms      BIGINT NOT NULL,
    not_before    BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    PRIMARY KEY (kind, throttle_key)
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- Addresses an account has signed in from (HMAC of user and address): the per-account
-- throttle does not apply to them, so strangers guessing a name cannot lock its owner out.
CREATE TABLE login_known_address (
    user_id      BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    address_key  TEXT NOT NULL,
    last_seen    BIGINT NOT NULL,
    PRIMARY KEY (user_id, address_key)
);

-- The per-account counter these replace: read and written apart, parallel guesses all
-- passed it.
ALTER TABLE app_user DROP COLUMN failed_logins;
ALTER TABLE app_user DROP COLUMN locked_until;
