-- Hạn dùng của mã truy cập API — a personal API token's expiry, as DHIS2's tokens have:
-- the moment (RFC 3339, UTC) from which the token is refused with a 401 saying it has
-- expired. NULL is a token that never expires: every token made before this column
-- existed, and one made on purpose with no expiry.
ALTER TABLE api_token ADD COLUMN expires_at TEXT;
