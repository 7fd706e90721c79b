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
//!
//! A token has an expiry (hạn dùng), as DHIS2's have: a number of days from when it is
//! made, the end of a chosen day, or none ([`Expiry`]). Past it the token is refused
//! with a message saying it expired ([`TokenCheck::Expired`]), not merely that it is
//! wrong, so that whoever runs the program knows to make a new one.

use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};
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
/// The expiry of a new token when its maker chooses none: 90 days.
pub const DEFAULT_EXPIRY_DAYS: u32 = 90;
/// The furthest expiry a token may have, in days from today (ten years); a token that
/// should outlive that is made with no expiry, on purpose.
pub const MAX_EXPIRY_DAYS: u32 = 3650;
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
    /// The moment from which it is refused as expired (hết hạn), RFC 3339; `None`
    /// for a token that never expires.
    pub expires_at: Option<String>,
}

impl ApiToken {
    /// Whether it still works: neither revoked nor expired.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none() && !self.is_expired_at(Utc::now())
    }

    /// Whether it has expired at `now`. An expiry that does not read as a time counts
    /// as passed: a token is refused rather than trusted on a bad row.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.as_deref().is_some_and(|at| match parse_time(at) {
            Some(expires) => now >= expires,
            None => true,
        })
    }

    /// The last day it works, in the installation's time zone — what "hết hạn ngày
    /// 2/3/2027" names; `None` for a token that never expires.
    pub fn expiry_day(&self) -> Option<NaiveDate> {
        self.expires_at.as_deref().and_then(parse_time).map(last_day)
    }
}

/// An RFC 3339 time, in UTC; `None` when the text is not one.
fn parse_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

/// The last local day a token expiring at `expires` works: the day of the moment just
/// before it (a token made to work through 31/12/2026 expires at midnight, 1/1/2027).
fn last_day(expires: DateTime<Utc>) -> NaiveDate {
    (expires - Duration::seconds(1)).with_timezone(&Local).date_naive()
}

/// A date as Vietnamese write it: "2/3/2027".
fn shown_day(day: NaiveDate) -> String {
    day.format("%-d/%-m/%Y").to_string()
}

/// How long a new token works (hạn dùng), as its maker chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// It never expires.
    Never,
    /// It expires this many days (of 24 hours) after it is made.
    Days(u32),
    /// It works through the end of this day, in the installation's time zone.
    Through(NaiveDate),
}

impl Default for Expiry {
    /// [`DEFAULT_EXPIRY_DAYS`] days.
    fn default() -> Self {
        Expiry::Days(DEFAULT_EXPIRY_DAYS)
    }
}

/// An expiry that cannot be used: the text given and why, in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Hạn dùng «{value}» của mã truy cập không dùng được: {reason}")]
pub struct ExpiryError {
    /// The text given (or the date chosen).
    pub value: String,
    /// Why it is refused.
    pub reason: String,
}

impl From<ExpiryError> for StoreError {
    fn from(e: ExpiryError) -> Self {
        StoreError::Domain(thidua_core::Error::InvalidValue {
            value: e.value,
            reason: format!("hạn dùng của mã truy cập: {}", e.reason),
        })
    }
}

impl Expiry {
    /// Reads an expiry as `thidua token create --expires` and the tokens page take it:
    /// a number of days (`30`), the last day it works (`31/12/2026` or `2026-12-31`), or
    /// `never` / `không` for none. Refused: no days, more than [`MAX_EXPIRY_DAYS`], a day
    /// before `today` or further than that ahead, and anything else — each with why.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Expiry, ExpiryError> {
        let text = thidua_core::text::nfc(raw.trim()).to_lowercase();
        let refused = |reason: String| ExpiryError {
            value: raw.trim().chars().take(40).collect(),
            reason,
        };
        let expiry = if ["never", "không", "khong", "không hết hạn"].contains(&text.as_str()) {
            Expiry::Never
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            Expiry::Days(text.parse().unwrap_or(u32::MAX))
        } else if let Ok(day) =
            NaiveDate::parse_from_str(&text, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(&text, "%Y-%m-%d"))
        {
            Expiry::Through(day)
        } else {
            return Err(refused(format!(
                "cần số ngày (từ 1 đến {MAX_EXPIRY_DAYS}, ví dụ 30), ngày cuối còn dùng (31/12/2026 hoặc 2026-12-31), hoặc «không» để mã không hết hạn"
            )));
        };
        expiry.check(today).map_err(refused)?;
        Ok(expiry)
    }

    /// Why this expiry cannot be given to a token made `today`, if it cannot.
    fn check(self, today: NaiveDate) -> Result<(), String> {
        let furthest = today + Duration::days(i64::from(MAX_EXPIRY_DAYS));
        match self {
            Expiry::Never => Ok(()),
            Expiry::Days(0) => Err("mã phải dùng được ít nhất 1 ngày".into()),
            Expiry::Days(days) if days > MAX_EXPIRY_DAYS => Err(format!(
                "tối đa {MAX_EXPIRY_DAYS} ngày (10 năm); mã cần dùng lâu hơn thì chọn «không» hết hạn"
            )),
            Expiry::Days(_) => Ok(()),
            Expiry::Through(day) if day < today => Err(format!(
                "ngày {} đã qua (hôm nay là {}): cần một ngày từ hôm nay trở đi",
                shown_day(day),
                shown_day(today)
            )),
            Expiry::Through(day) if day > furthest => Err(format!(
                "ngày {} quá {MAX_EXPIRY_DAYS} ngày (10 năm) kể từ hôm nay (xa nhất là {}); mã cần dùng lâu hơn thì chọn «không» hết hạn",
                shown_day(day),
                shown_day(furthest)
            )),
            Expiry::Through(_) => Ok(()),
        }
    }

    /// The moment from which a token made at `now` is refused, or `None` when it never
    /// is; refused as [`Expiry::parse`] refuses.
    pub fn expires_at(self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ExpiryError> {
        let today = now.with_timezone(&Local).date_naive();
        let refused = |reason: String| ExpiryError {
            value: match self {
                Expiry::Never => "không".into(),
                Expiry::Days(days) => days.to_string(),
                Expiry::Through(day) => shown_day(day),
            },
            reason,
        };
        self.check(today).map_err(refused)?;
        match self {
            Expiry::Never => Ok(None),
            Expiry::Days(days) => Ok(Some(now + Duration::days(i64::from(days)))),
            Expiry::Through(day) => {
                // Midnight at the start of the next day, local time.
                let midnight = day
                    .succ_opt()
                    .and_then(|next| next.and_hms_opt(0, 0, 0))
                    .and_then(|t| Local.from_local_datetime(&t).earliest())
                    .ok_or_else(|| refused("ngày này không có trong lịch của máy chủ".into()))?;
                Ok(Some(midnight.with_timezone(&Utc)))
            }
        }
    }
}

/// What a token sent with a request turns out to be.
#[derive(Debug, Clone)]
pub enum TokenCheck {
    /// It works: the account it acts for, as a session of its own.
    Valid(Session),
    /// It is known and not revoked, but its expiry has passed: refused, saying so.
    Expired {
        /// What its owner called it.
        name: String,
        /// The last day it worked, in the installation's time zone.
        last_day: NaiveDate,
    },
    /// Unknown, revoked, or its account is disabled: refused, without saying which.
    Refused,
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const TOKEN_COLUMNS: &str =
    "SELECT id, user_id, name, hint, created_at, last_used_at, revoked_at, expires_at FROM api_token";

fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        hint: row.try_get("hint")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
        expires_at: row.try_get("expires_at")?,
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
    /// Makes a token for `user`, named `name`, working until `expiry`: the stored token
    /// and the token itself, which is shown once and cannot be read back. Refused past
    /// [`MAX_TOKENS_PER_USER`] tokens in use (neither revoked nor expired), and for an
    /// expiry [`Expiry::parse`] would refuse.
    pub async fn create_api_token(
        &self,
        user: &User,
        name: &str,
        expiry: Expiry,
    ) -> Result<(ApiToken, String), StoreError> {
        let name = token_name(name)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_token()?);
        let hint = format!("{}…", secret.chars().take(HINT_CHARS).collect::<String>());
        let moment = Utc::now();
        let expires_at = expiry.expires_at(moment)?.map(|t| t.to_rfc3339());
        let now = moment.to_rfc3339();
        let mut tx = self.begin_write().await?;
        let unrevoked = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{TOKEN_COLUMNS} WHERE user_id = $1 AND revoked_at IS NULL"
        )))
        .bind(user.id)
        .fetch_all(&mut *tx)
        .await?;
        let mut in_use = 0_i64;
        for row in &unrevoked {
            if !token_from_row(row)?.is_expired_at(moment) {
                in_use += 1;
            }
        }
        if in_use >= MAX_TOKENS_PER_USER {
            return Err(StoreError::Conflict(format!(
                "tài khoản «{}» đã có {in_use} mã truy cập đang dùng (tối đa {MAX_TOKENS_PER_USER}); hãy thu hồi mã không còn dùng trước",
                user.username
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_token (user_id, name, token_hash, hint, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(&name)
        .bind(token_hash(&secret))
        .bind(&hint)
        .bind(&now)
        .bind(&expires_at)
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
            expires_at,
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

    /// What the token `secret` is: the account it acts for, as a session of its own —
    /// with an anti-forgery token nobody knows, so that a token never passes for a
    /// signed-in browser's form — or [`TokenCheck::Expired`] past its expiry, or
    /// [`TokenCheck::Refused`] for an unknown or revoked token, or one whose account is
    /// disabled. Notes when a working token was used, at most once a minute.
    pub async fn check_api_token(&self, secret: &str) -> Result<TokenCheck, StoreError> {
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > MAX_TOKEN_BYTES {
            return Ok(TokenCheck::Refused);
        }
        let row = sqlx::query(
            "SELECT t.id, t.name, t.last_used_at, t.expires_at, a.username FROM api_token t
             JOIN app_user a ON a.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled = 0",
        )
        .bind(token_hash(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(TokenCheck::Refused);
        };
        let id: i64 = row.try_get("id")?;
        let now = Utc::now();
        if let Some(at) = row.try_get::<Option<String>, _>("expires_at")? {
            let expires = parse_time(&at)
                .ok_or_else(|| StoreError::corrupt(format!("hạn dùng «{at}» của mã truy cập số {id}")))?;
            if now >= expires {
                return Ok(TokenCheck::Expired {
                    name: row.try_get("name")?,
                    last_day: last_day(expires),
                });
            }
        }
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
        Ok(TokenCheck::Valid(Session {
            user,
            csrf_token: random_token()?,
            unread: 0,
        }))
    }
}
