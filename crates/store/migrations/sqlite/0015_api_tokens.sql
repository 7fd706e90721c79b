-- Mã truy cập API — personal API tokens: a program acts as the account that made the
-- token, with the same rights, by `Authorization: ApiToken …` or `Bearer …`. The token
-- itself is shown once when made and never stored: only its SHA-256 (a random 256-bit
-- secret needs no slow hash), and a hint of its first characters so its owner can tell
-- tokens apart. A revoked token keeps its row (when, and that it existed) and never
-- works again.
CREATE TABLE api_token (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    hint          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_token_user ON api_token (user_id);
