//! Tài khoản — accounts and their sessions. Passwords are hashed with argon2id (the
//! defaults, a fresh salt each); sessions are random 256-bit tokens kept only as SHA-256
//! hashes, so a copy of the database cannot be used to sign in. Wrong passwords lock the
//! account for a while after a few tries.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use thidua_core::{Principal, Role, UnitCode};

use crate::error::StoreError;
use crate::store::{Store, Table, id_map, parse_stored};

/// Wrong passwords in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long such a lock lasts.
const LOCK_MINUTES: i64 = 15;
/// How long a session lasts without signing in again.
const SESSION_HOURS: i64 = 12;
/// Shortest password accepted.
const MIN_PASSWORD_CHARS: usize = 8;

/// An account as the application sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// Tên đăng nhập — the login name.
    pub username: String,
    /// The name shown.
    pub display_name: String,
    /// Vai trò.
    pub role: Role,
    /// The unit it belongs to (none for admins).
    pub unit: Option<UnitCode>,
    /// Whether it may no longer sign in.
    pub disabled: bool,
}

impl User {
    /// The user as the access rules see them.
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            unit: self.unit.clone(),
        }
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name: 3–32 lower-case letters, digits, `.`, `-`, `_`.
    pub username: String,
    /// The name shown.
    pub display_name: String,
    /// The password, in clear only until it is hashed.
    pub password: String,
    /// The role.
    pub role: Role,
    /// The unit (required for every role but admin).
    pub unit: Option<UnitCode>,
}

/// A signed-in session: the user and the token that forms must echo (CSRF).
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose session.
    pub user: User,
    /// The per-session anti-forgery token that every form carries.
    pub csrf_token: String,
}

fn invalid(field: &'static str, value: &str, expected: &'static str) -> StoreError {
    StoreError::Domain(thidua_core::Error::InvalidField {
        field,
        value: value.to_owned(),
        expected,
    })
}

fn parse_username(raw: &str) -> Result<String, StoreError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name)
    } else {
        Err(invalid(
            "tên đăng nhập",
            raw,
            "3–32 ký tự: chữ thường không dấu, chữ số, '.', '-', '_'",
        ))
    }
}

fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid("mật khẩu", "***", "ít nhất 8 ký tự"));
    }
    Ok(())
}

/// Hashes off the async threads: argon2 is deliberately slow.
async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("không băm được mật khẩu: {e}")))
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordVerifier;
        use argon2::password_hash::phc::PasswordHash;
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A random token, hex-encoded.
pub(crate) fn random_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(format!("không lấy được số ngẫu nhiên: {e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

const USER_COLUMNS: &str = "SELECT a.id, a.username, a.display_name, a.role, u.code AS unit, a.disabled
     FROM app_user a LEFT JOIN unit u ON u.id = a.unit_id";

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: parse_stored(Role::parse(&row.try_get::<String, _>("role")?))?,
        unit: row
            .try_get::<Option<String>, _>("unit")?
            .map(|u| parse_stored(UnitCode::parse(&u)))
            .transpose()?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(StoreError::corrupt)
}

impl Store {
    /// Creates an account.
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let username = parse_username(&new.username)?;
        check_password(&new.password)?;
        let display_name = thidua_core::text::nfc(&new.display_name);
        if display_name.is_empty() {
            return Err(invalid("họ tên", "", "không để trống"));
        }
        if new.role.needs_unit() != new.unit.is_some() {
            return Err(invalid(
                "đơn vị",
                new.unit.as_ref().map_or("", UnitCode::as_str),
                "một đơn vị cho mọi vai trò trừ admin, không đơn vị cho admin",
            ));
        }
        let unit_id = match &new.unit {
            None => None,
            Some(code) => Some(
                *id_map(self.pool(), Table::Unit)
                    .await?
                    .get(code.as_str())
                    .ok_or_else(|| StoreError::NotFound {
                        what: "đơn vị",
                        key: code.to_string(),
                    })?,
            ),
        };
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE username = $1")
            .bind(&username)
            .fetch_optional(self.pool())
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "tên đăng nhập «{username}» đã có người dùng"
            )));
        }
        let hash = hash_password(new.password).await?;
        sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&username)
        .bind(&display_name)
        .bind(hash)
        .bind(new.role.as_str())
        .bind(unit_id)
        .bind(Utc::now().to_rfc3339())
        .execute(self.pool())
        .await?;
        self.user(&username).await
    }

    /// The account with this login name.
    pub async fn user(&self, username: &str) -> Result<User, StoreError> {
        let name = username.trim().to_lowercase();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{USER_COLUMNS} WHERE a.username = $1")))
            .bind(&name)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "tài khoản",
                key: name.clone(),
            })?;
        user_from_row(&row)
    }

    /// Every account, by login name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{USER_COLUMNS} ORDER BY a.username")))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Sets a new password; every session of the account ends.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        check_password(password)?;
        let user = self.user(username).await?;
        let hash = hash_password(password.to_owned()).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE app_user SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2")
            .bind(hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_session WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or enables again) an account; disabling ends its sessions.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE app_user SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM user_session WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Checks a login. After [`MAX_FAILED_LOGINS`] wrong passwords in a row the account
    /// refuses every try, right or wrong, for a quarter of an hour.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<User, StoreError> {
        let name = username.trim().to_lowercase();
        let row = sqlx::query(
            "SELECT id, password_hash, disabled, failed_logins, locked_until FROM app_user WHERE username = $1",
        )
        .bind(&name)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            // Spend the same time as a real check, so timing does not reveal names.
            let _ = verify_password(password.to_owned(), DUMMY_HASH.to_owned()).await;
            return Err(StoreError::LoginFailed);
        };
        let id: i64 = row.try_get("id")?;
        let now = Utc::now();
        if let Some(until) = row.try_get::<Option<String>, _>("locked_until")? {
            let until = parse_time(&until)?;
            if until > now {
                return Err(StoreError::AccountLocked {
                    minutes: (until - now).num_minutes() + 1,
                });
            }
        }
        let ok = verify_password(password.to_owned(), row.try_get("password_hash")?).await;
        if !ok {
            let failed = row.try_get::<i64, _>("failed_logins")? + 1;
            let locked_until =
                (failed >= MAX_FAILED_LOGINS).then(|| (now + Duration::minutes(LOCK_MINUTES)).to_rfc3339());
            sqlx::query("UPDATE app_user SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(if locked_until.is_some() { 0 } else { failed })
                .bind(locked_until)
                .bind(id)
                .execute(self.pool())
                .await?;
            return Err(StoreError::LoginFailed);
        }
        if row.try_get::<i64, _>("disabled")? != 0 {
            return Err(StoreError::LoginFailed);
        }
        sqlx::query("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        self.user(&name).await
    }

    /// Starts a session for a signed-in user; returns the token for the cookie. Each login
    /// gets a fresh token, so a token planted before login is worthless after it.
    pub async fn create_session(&self, user: &User) -> Result<String, StoreError> {
        let token = random_token()?;
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO user_session (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(random_token()?)
        .bind(now.to_rfc3339())
        .bind((now + Duration::hours(SESSION_HOURS)).to_rfc3339())
        .execute(self.pool())
        .await?;
        // Expired sessions are cleared as new ones start; no background job is needed.
        sqlx::query("DELETE FROM user_session WHERE expires_at < $1")
            .bind(now.to_rfc3339())
            .execute(self.pool())
            .await?;
        Ok(token)
    }

    /// The live session for a cookie token, if any.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT s.user_id, s.csrf_token, s.expires_at, a.username FROM user_session s
             JOIN app_user a ON a.id = s.user_id WHERE s.token_hash = $1 AND a.disabled = 0",
        )
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        if parse_time(&row.try_get::<String, _>("expires_at")?)? < Utc::now() {
            return Ok(None);
        }
        let user = self.user(&row.try_get::<String, _>("username")?).await?;
        Ok(Some(Session {
            user,
            csrf_token: row.try_get("csrf_token")?,
        }))
    }

    /// Ends a session (logout).
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM user_session WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// An argon2id hash of a random password, checked against when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vz7Qq9zwX8kLlCvyB1bHkA5ZLm3H3CzVv3JvH4m9pQ8";
