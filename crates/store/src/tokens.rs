//! Mã truy cập API — personal API tokens. A program sends one as `Authorization: ApiToken
//! …` (DHIS2's word) or `Bearer …` and acts as the account that made it, with exactly
//! that account's rights; a disabled account's tokens stop working with it.
//!
//! A token is `thidua_` and 64 hex digits — 256 random bits — shown once when it is made.
//! Only its SHA-256 is stored, with a hint of its first characters for its owner's list:
//! a copy of the database cannot be used to call the API. A slow password hash (argon2)
//! would add nothing: it protects secrets people choose, which are few enough to guess,
//! whereas a 256-bit random secret cannot be found from its hash by trying. Tokens are
//! revoked, never deleted; the trail records who made and revoked each.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::random_token;
use crate::audit::{self, Event};
use crate::error::StoreError;
use crate::store::Store;
use crate::{Session, User};

/// What every token starts with, so that one found in a log or a script is recognised.
pub const TOKEN_PREFIX: &str = "thidua_";
/// The most tokens in use (not revoked) an account may have.
pub const MAX_TOKENS_PER_USER: i64 = 20;
/// Longest name of a token, in characters.
const MAX_NAME_CHARS: usize = 80;
/// Longest text looked up as a token: anything longer is not one, and is not hashed.
const MAX_TOKEN_BYTES: usize = 128;
/// Characters of the token kept as its hint.
const HINT_CHARS: usize = TOKEN_PREFIX.len() + 6;
/// How stale `last_used_at` may get before a use writes it again: one write a minute at
/// most, not one per request.
const LAST_USED_EVERY_SECONDS: i64 = 60;

/// A personal API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its number.
    pub id: i64,
    /// The owner's account.
    pub user_id: i64,
    /// What its owner called it ("Đồng bộ DHIS2 tỉnh").
    pub name: String,
    /// Its first characters, for telling tokens apart: `thidua_3f9a1b…`.
    pub hint: String,
    /// When it was made, RFC 3339.
    pub created_at: String,
    /// When it was last used (to the minute), RFC 3339.
    pub last_used_at: Option<String>,
    /// When it was revoked, RFC 3339; a revoked token never works again.
    pub revoked_at: Option<String>,
}

impl ApiToken {
    /// Whether it still works.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const TOKEN_COLUMNS: &str = "SELECT id, user_id, name, hint, created_at, last_used_at, revoked_at FROM api_token";

fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        hint: row.try_get("hint")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// A token's name: NFC, trimmed, 1 to 80 characters.
fn token_name(raw: &str) -> Result<String, StoreError> {
    let name = thidua_core::text::nfc(raw.trim());
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::Domain(thidua_core::Error::InvalidField {
            field: "tên mã truy cập",
            value: raw.chars().take(MAX_NAME_CHARS).collect(),
            expected: "từ 1 đến 80 ký tự, để nhận ra mã dùng cho việc gì",
        }));
    }
    Ok(name)
}

fn token_event(user: &User, action: &str, token: &ApiToken, at: &str) -> Event {
    Event {
        at: at.to_owned(),
        actor: user.username.clone(),
        user_id: Some(user.id),
        action: action.to_owned(),
        unit_code: None,
        period: None,
        indicator: None,
        old_value: None,
        new_value: Some(token.name.clone()),
        reason: None,
        subject: Some(format!("api-token:{}", token.id)),
    }
}

impl Store {
    /// Makes a token for `user`, named `name`: the stored token and the token itself,
    /// which is shown once and cannot be read back. Refused past
    /// [`MAX_TOKENS_PER_USER`] tokens in use.
    pub async fn create_api_token(&self, user: &User, name: &str) -> Result<(ApiToken, String), StoreError> {
        let name = token_name(name)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_token()?);
        let hint = format!("{}…", secret.chars().take(HINT_CHARS).collect::<String>());
        let now = Utc::now().to_rfc3339();
        let mut tx = self.begin_write().await?;
        let in_use: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM api_token WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user.id)
                .fetch_one(&mut *tx)
                .await?;
        if in_use >= MAX_TOKENS_PER_USER {
            return Err(StoreError::Conflict(format!(
                "tài khoản «{}» đã có {in_use} mã truy cập đang dùng (tối đa {MAX_TOKENS_PER_USER}); hãy thu hồi mã không còn dùng trước",
                user.username
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_token (user_id, name, token_hash, hint, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(&name)
        .bind(token_hash(&secret))
        .bind(&hint)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let token = ApiToken {
            id,
            user_id: user.id,
            name,
            hint,
            created_at: now.clone(),
            last_used_at: None,
            revoked_at: None,
        };
        audit::append(
            &mut tx,
            self.key(),
            &[token_event(user, "api-token-create", &token, &now)],
        )
        .await?;
        tx.commit().await?;
        Ok((token, secret))
    }

    /// The tokens of account `user_id`, newest first, revoked ones included.
    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{TOKEN_COLUMNS} WHERE user_id = $1 ORDER BY id DESC"
        )))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes token `id` of `user`; from now on it is refused. Revoking one already
    /// revoked changes nothing. Another account's token is not found.
    pub async fn revoke_api_token(&self, user: &User, id: i64) -> Result<ApiToken, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{TOKEN_COLUMNS} WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "mã truy cập",
            key: id.to_string(),
        })?;
        let mut token = token_from_row(&row)?;
        if token.revoked_at.is_none() {
            let now = Utc::now().to_rfc3339();
            sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            token.revoked_at = Some(now.clone());
            audit::append(
                &mut tx,
                self.key(),
                &[token_event(user, "api-token-revoke", &token, &now)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(token)
    }

    /// The account a token acts for, as a session of its own — with an anti-forgery
    /// token nobody knows, so that a token never passes for a signed-in browser's form —
    /// or `None` for an unknown or revoked token, or one whose account is disabled.
    /// Notes when it was used, at most once a minute.
    pub async fn api_token_session(&self, secret: &str) -> Result<Option<Session>, StoreError> {
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > MAX_TOKEN_BYTES {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT t.id, t.last_used_at, a.username FROM api_token t JOIN app_user a ON a.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled = 0",
        )
        .bind(token_hash(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let now = Utc::now();
        let stale = match row.try_get::<Option<String>, _>("last_used_at")? {
            None => true,
            Some(at) => DateTime::parse_from_rfc3339(&at)
                .map(|t| now - t.with_timezone(&Utc) >= Duration::seconds(LAST_USED_EVERY_SECONDS))
                .unwrap_or(true),
        };
        if stale {
            sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
                .bind(now.to_rfc3339())
                .bind(id)
                .execute(self.pool())
                .await?;
        }
        let user = self.user(&row.try_get::<String, _>("username")?).await?;
        Ok(Some(Session {
            user,
            csrf_token: random_token()?,
        }))
    }
}
