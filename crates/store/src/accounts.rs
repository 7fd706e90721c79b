//! Tài khoản — accounts, their sessions, and the login throttle. Passwords are hashed
//! with argon2id (the defaults, a fresh salt each) and must meet the policy of
//! [`thidua_core::password`]; sessions are random 256-bit tokens kept only as SHA-256
//! hashes, so a copy of the database cannot be used to sign in.
//!
//! Wrong passwords slow the guesser down, counted in the database (every server process
//! shares the count and a restart keeps it) under three keys: the login name as typed
//! (folded, whether or not such an account exists), the client address, and the pair.
//! Each key admits an attempt — counting it — or refuses it as too soon in ONE
//! conditional `UPDATE`, before the password is checked, so parallel guesses cannot all
//! slip through between a read and a write. The first few failures are free, then each
//! doubles the wait, up to a quarter of an hour; a right password forgives the name and
//! the pair. The name's key does not apply to an address the account has signed in from
//! before, so strangers guessing `admin` slow themselves, not the admin at their desk.

use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use thidua_core::{Principal, Role, UnitCode};

use crate::error::StoreError;
use crate::store::{Backend, Store, Table, id_map, parse_stored};

/// How long a session lasts without signing in again.
const SESSION_HOURS: i64 = 12;
/// How many addresses an account remembers as its own (the most recent).
const KNOWN_ADDRESSES_PER_USER: i64 = 10;
/// How long an address stays known without a sign-in from it.
const KNOWN_ADDRESS_DAYS: i64 = 180;
/// Longest login name looked at: longer ones cannot exist, and the throttle's key of a
/// megabyte of typing is computed over its first 64 characters only.
const MAX_TYPED_NAME_CHARS: usize = 64;

/// The login throttle's numbers. [`LoginPolicy::default`] is what the server uses; the
/// load benchmark, whose thousand officers all come from 127.0.0.1, raises the
/// per-address allowance, and tests lengthen the waits so that none expires mid-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures per login name, and per (name, address), before any wait.
    pub free_failures: i64,
    /// Failures per client address before it waits: generous, because the officers of a
    /// district office share one address and all sign in at the deadline.
    pub free_failures_per_address: i64,
    /// The wait after the first failure past the free ones; each further one doubles it.
    pub first_delay: std::time::Duration,
    /// The longest wait.
    pub max_delay: std::time::Duration,
    /// A name's or a pair's failures are forgotten this long after the first of them.
    pub window: std::time::Duration,
    /// An address's failures are forgotten this long after the first of them.
    pub address_window: std::time::Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            free_failures: 3,
            free_failures_per_address: 100,
            first_delay: std::time::Duration::from_secs(2),
            max_delay: std::time::Duration::from_secs(15 * 60),
            window: std::time::Duration::from_secs(24 * 60 * 60),
            address_window: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// One try at signing in.
#[derive(Debug, Clone, Copy)]
pub struct LoginAttempt<'a> {
    /// The login name as typed.
    pub username: &'a str,
    /// The password as typed.
    pub password: &'a str,
    /// Where the try comes from, when known (the CLI has none).
    pub address: Option<IpAddr>,
}

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

/// The login name as it is looked up and throttled: NFC, lower case, trimmed.
fn fold_name(raw: &str) -> String {
    let short: String = raw.chars().take(MAX_TYPED_NAME_CHARS).collect();
    thidua_core::text::nfc(&short).to_lowercase()
}

fn parse_username(raw: &str) -> Result<String, StoreError> {
    let name = fold_name(raw);
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

/// The password policy of core, for the account `username`.
fn check_password(password: &str, username: &str) -> Result<(), StoreError> {
    thidua_core::password::check_new_password(password, username).map_err(StoreError::Domain)
}

fn argon2_hash(password: &str) -> Result<String, StoreError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("không băm được mật khẩu: {e}")))
}

/// Hashes off the async threads: argon2 is deliberately slow. The password is hashed in
/// NFC, so the same word typed with another Vietnamese keyboard still signs in.
async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || argon2_hash(&nfc_password(&password)))
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

fn nfc_password(password: &str) -> String {
    thidua_core::password::normalise(password)
}

/// The hash checked against when the name has no account: made once, with the same
/// parameters as every real hash, so a missing account costs exactly the same work.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        let _ = getrandom::fill(&mut secret);
        argon2_hash(&hex(&secret)).unwrap_or_default()
    })
}

/// Checks a password off the async threads; `None` as the hash checks against the dummy
/// and answers `false` after the same work. A password typed in another normal form
/// than NFC is tried as typed too (hashes made before passwords were normalised).
async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordVerifier;
        use argon2::password_hash::phc::PasswordHash;
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let composed = nfc_password(&password);
        let mut tries = vec![composed.as_str()];
        if composed != password {
            tries.push(password.as_str());
        }
        // Every candidate is checked (no `any`), so the work does not depend on which matches.
        let mut matched = false;
        for candidate in tries {
            matched |= argon2::Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok();
        }
        real && matched
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

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What one key of the throttle counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThrottleKind {
    /// The login name as typed.
    Account,
    /// The client address.
    Address,
    /// The name from that address.
    Pair,
}

impl ThrottleKind {
    fn as_str(self) -> &'static str {
        match self {
            ThrottleKind::Account => "account",
            ThrottleKind::Address => "address",
            ThrottleKind::Pair => "pair",
        }
    }
}

/// One row of `login_throttle`: its kind and the HMAC that names it.
#[derive(Debug, Clone)]
struct ThrottleKey {
    kind: ThrottleKind,
    key: String,
}

/// The address as the throttle sees it: an IPv4 address (IPv4-mapped IPv6 included) as
/// itself, an IPv6 address by its /64 — one machine holds a whole /64, so counting
/// single IPv6 addresses would count nothing.
fn address_text(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

impl Store {
    fn throttle_key(&self, kind: ThrottleKind, parts: &[&str]) -> ThrottleKey {
        let bytes: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
        ThrottleKey {
            kind,
            key: self
                .key()
                .mac_hex(&format!("thidua.login.throttle.{}", kind.as_str()), &bytes),
        }
    }

    fn known_address_key(&self, user_id: i64, address: &str) -> String {
        self.key().mac_hex(
            "thidua.login.known-address",
            &[user_id.to_string().as_bytes(), address.as_bytes()],
        )
    }

    /// The keys an attempt is counted under, narrowest first: a targeted guess is stopped
    /// by its pair before it spends the allowance its office's address shares.
    fn throttle_keys(&self, name: &str, address: Option<&str>, known_address: bool) -> Vec<ThrottleKey> {
        let mut keys = Vec::with_capacity(3);
        if let Some(address) = address {
            keys.push(self.throttle_key(ThrottleKind::Pair, &[name, address]));
        }
        if !known_address {
            keys.push(self.throttle_key(ThrottleKind::Account, &[name]));
        }
        if let Some(address) = address {
            keys.push(self.throttle_key(ThrottleKind::Address, &[address]));
        }
        keys
    }

    /// Admits an attempt under one key — counting it as a failure until the password is
    /// known right — or refuses it with the milliseconds left to wait. The check and the
    /// count are one `UPDATE … WHERE not_before <= now`: of any number of parallel tries
    /// each is either counted or refused, and once a wait is set every later try waits.
    async fn admit(&self, key: &ThrottleKey, policy: &LoginPolicy, now: i64) -> Result<Result<(), i64>, StoreError> {
        let (free, window) = match key.kind {
            ThrottleKind::Address => (policy.free_failures_per_address, policy.address_window),
            ThrottleKind::Account | ThrottleKind::Pair => (policy.free_failures, policy.window),
        };
        let max_delay = millis(policy.max_delay).max(1);
        let first_delay = millis(policy.first_delay).clamp(1, max_delay);
        // The row exists from here on; a window long past starts again (not while a wait
        // runs, so a reset cannot cut a wait short).
        sqlx::query(
            "INSERT INTO login_throttle (kind, throttle_key, failures, delay_ms, not_before, window_start)
             VALUES ($1, $2, 0, 0, 0, $3)
             ON CONFLICT (kind, throttle_key) DO UPDATE SET failures = 0, delay_ms = 0, window_start = $3
             WHERE login_throttle.window_start < $4 AND login_throttle.not_before <= $3",
        )
        .bind(key.kind.as_str())
        .bind(&key.key)
        .bind(now)
        .bind(now.saturating_sub(millis(window)))
        .execute(self.pool())
        .await?;
        // The wait after failure n: none up to `free`, then first_delay, doubling, capped.
        // A free failure leaves `not_before` alone: set to this try's "now", it would turn
        // away a parallel try whose clock was read a moment earlier.
        let admitted: Option<i64> = sqlx::query_scalar(
            "UPDATE login_throttle SET
                 failures = failures + 1,
                 delay_ms = CASE WHEN failures + 1 <= $3 THEN 0 WHEN delay_ms = 0 THEN $4
                                 WHEN delay_ms * 2 >= $5 THEN $5 ELSE delay_ms * 2 END,
                 not_before = CASE WHEN failures + 1 <= $3 THEN not_before
                                   ELSE $6 + CASE WHEN delay_ms = 0 THEN $4
                                                  WHEN delay_ms * 2 >= $5 THEN $5 ELSE delay_ms * 2 END END
             WHERE kind = $1 AND throttle_key = $2 AND not_before <= $6
             RETURNING failures",
        )
        .bind(key.kind.as_str())
        .bind(&key.key)
        .bind(free)
        .bind(first_delay)
        .bind(max_delay)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        if admitted.is_some() {
            return Ok(Ok(()));
        }
        let not_before: Option<i64> =
            sqlx::query_scalar("SELECT not_before FROM login_throttle WHERE kind = $1 AND throttle_key = $2")
                .bind(key.kind.as_str())
                .bind(&key.key)
                .fetch_optional(self.pool())
                .await?;
        Ok(Err(not_before.map_or(1, |t| (t - now).max(1))))
    }

    /// After a right password: the name and the pair start again from nothing; the
    /// address gives back the one failure its admission counted (an office's sign-ins
    /// are not its guesses, only its typos are).
    async fn forgive(&self, keys: &[ThrottleKey]) -> Result<(), StoreError> {
        for key in keys {
            let sql = match key.kind {
                ThrottleKind::Account | ThrottleKind::Pair => {
                    "UPDATE login_throttle SET failures = 0, delay_ms = 0, not_before = 0
                     WHERE kind = $1 AND throttle_key = $2"
                }
                ThrottleKind::Address => {
                    "UPDATE login_throttle SET failures = failures - 1
                     WHERE kind = $1 AND throttle_key = $2 AND failures > 0"
                }
            };
            sqlx::query(sql)
                .bind(key.kind.as_str())
                .bind(&key.key)
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// Whether the account has signed in from this address lately.
    async fn is_known_address(&self, user_id: i64, address: &str, now: i64) -> Result<bool, StoreError> {
        let since = now.saturating_sub(KNOWN_ADDRESS_DAYS * 24 * 60 * 60 * 1000);
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM login_known_address WHERE user_id = $1 AND address_key = $2 AND last_seen >= $3",
        )
        .bind(user_id)
        .bind(self.known_address_key(user_id, address))
        .bind(since)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// Remembers the address of a successful sign-in (the most recent few per account),
    /// and clears throttle rows whose windows are long over.
    async fn remember_address(
        &self,
        user_id: i64,
        address: &str,
        now: i64,
        policy: &LoginPolicy,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_known_address (user_id, address_key, last_seen) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, address_key) DO UPDATE SET last_seen = $3",
        )
        .bind(user_id)
        .bind(self.known_address_key(user_id, address))
        .bind(now)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "DELETE FROM login_known_address WHERE user_id = $1 AND address_key NOT IN
                 (SELECT address_key FROM login_known_address WHERE user_id = $1 ORDER BY last_seen DESC LIMIT $2)",
        )
        .bind(user_id)
        .bind(KNOWN_ADDRESSES_PER_USER)
        .execute(self.pool())
        .await?;
        let longest = millis(policy.window.max(policy.address_window));
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1 AND not_before < $2")
            .bind(now.saturating_sub(longest))
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Checks a login under the throttle (see the module's documentation). A wrong
    /// password, a missing account and a disabled one all answer
    /// [`StoreError::LoginFailed`] after the same work; a try that comes too soon answers
    /// [`StoreError::LoginThrottled`] before any password is looked at, whatever the name.
    pub async fn sign_in(&self, attempt: LoginAttempt<'_>, policy: &LoginPolicy) -> Result<User, StoreError> {
        let name = fold_name(attempt.username);
        let address = attempt.address.map(address_text);
        let now = Utc::now().timestamp_millis();
        let row = sqlx::query("SELECT id, password_hash, disabled FROM app_user WHERE username = $1")
            .bind(&name)
            .fetch_optional(self.pool())
            .await?;
        let id: Option<i64> = row.as_ref().map(|r| r.try_get("id")).transpose()?;
        // Asked for a missing account too (with an id no account has), so the answer
        // takes the same steps whether or not the name exists.
        let known = match &address {
            Some(address) => self.is_known_address(id.unwrap_or(-1), address, now).await?,
            None => false,
        };
        let keys = self.throttle_keys(&name, address.as_deref(), known);
        for key in &keys {
            if let Err(wait_ms) = self.admit(key, policy, now).await? {
                return Err(StoreError::LoginThrottled {
                    seconds: (wait_ms + 999) / 1000,
                });
            }
        }
        let hash: Option<String> = row.as_ref().map(|r| r.try_get("password_hash")).transpose()?;
        let disabled = row
            .as_ref()
            .map(|r| r.try_get::<i64, _>("disabled"))
            .transpose()?
            .is_some_and(|d| d != 0);
        let matched = verify_password(attempt.password.to_owned(), hash).await;
        let (Some(id), true, false) = (id, matched, disabled) else {
            return Err(StoreError::LoginFailed);
        };
        self.forgive(&keys).await?;
        if let Some(address) = &address {
            self.remember_address(id, address, now, policy).await?;
        }
        self.user(&name).await
    }

    /// Checks a login with the default throttle and no client address (the command
    /// line, tests): only the name's key counts.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<User, StoreError> {
        let attempt = LoginAttempt {
            username,
            password,
            address: None,
        };
        self.sign_in(attempt, &LoginPolicy::default()).await
    }

    /// Creates an account. Two requests creating the same name at once make one account;
    /// the other answers [`StoreError::Conflict`], as a name already taken does.
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let username = parse_username(&new.username)?;
        check_password(&new.password, &username)?;
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
        let taken = || StoreError::Conflict(format!("tên đăng nhập «{username}» đã có người dùng"));
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE username = $1")
            .bind(&username)
            .fetch_optional(self.pool())
            .await?;
        if exists.is_some() {
            return Err(taken());
        }
        let hash = hash_password(new.password).await?;
        let inserted = sqlx::query(
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
        .await;
        match inserted {
            Ok(_) => {}
            // Another request took the name between the check above and this insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
        self.user(&username).await
    }

    /// The account with this login name.
    pub async fn user(&self, username: &str) -> Result<User, StoreError> {
        let name = fold_name(username);
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

    /// Sets a new password (an admin's reset, `thidua user passwd`); every session of the
    /// account ends, and the name's throttle starts again so its owner can sign in.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        check_password(password, &user.username)?;
        let hash = hash_password(password.to_owned()).await?;
        let name_key = self.throttle_key(ThrottleKind::Account, &[&user.username]);
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE app_user SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_session WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_throttle WHERE kind = $1 AND throttle_key = $2")
            .bind(name_key.kind.as_str())
            .bind(&name_key.key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A signed-in user changes their own password: the current one is checked under the
    /// login throttle (a stolen session is no free password oracle), the new one against
    /// the policy, and every other session of the user ends — the one whose cookie is
    /// `keep_session` stays.
    pub async fn change_own_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        address: Option<IpAddr>,
        keep_session: &str,
        policy: &LoginPolicy,
    ) -> Result<(), StoreError> {
        check_password(new, &user.username)?;
        let attempt = LoginAttempt {
            username: &user.username,
            password: current,
            address,
        };
        let checked = self.sign_in(attempt, policy).await?;
        if checked.id != user.id {
            return Err(StoreError::LoginFailed);
        }
        let hash = hash_password(new.to_owned()).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE app_user SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_session WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.id)
            .bind(token_hash(keep_session))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the user ("đăng xuất khỏi mọi thiết bị"); returns how many.
    pub async fn end_all_sessions(&self, user: &User) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM user_session WHERE user_id = $1")
            .bind(user.id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Disables (or enables again) an account; disabling ends its sessions. `by` is the
    /// admin doing it (none from the command line): nobody disables themselves, and the
    /// last enabled admin stays enabled — checked in the same transaction as the write,
    /// with the admins' rows locked on PostgreSQL, so two admins disabling each other at
    /// once cannot leave none.
    pub async fn set_disabled(&self, by: Option<&User>, username: &str, disabled: bool) -> Result<(), StoreError> {
        let user = self.user(username).await?;
        if disabled && by.is_some_and(|admin| admin.id == user.id) {
            return Err(StoreError::Conflict("không thể tự khóa tài khoản của mình".into()));
        }
        let mut tx = self.begin_write().await?;
        if disabled && user.role == Role::Admin {
            let sql = match self.backend() {
                Backend::Postgres => "SELECT id FROM app_user WHERE role = $1 AND disabled = 0 ORDER BY id FOR UPDATE",
                // SQLite: `begin_write` already holds the database's one write lock.
                Backend::Sqlite => "SELECT id FROM app_user WHERE role = $1 AND disabled = 0 ORDER BY id",
            };
            let admins: Vec<i64> = sqlx::query_scalar(sql)
                .bind(Role::Admin.as_str())
                .fetch_all(&mut *tx)
                .await?;
            if !admins.iter().any(|&id| id != user.id) {
                return Err(StoreError::Conflict(format!(
                    "không thể khóa «{}»: đây là quản trị viên cuối cùng còn hoạt động; hãy tạo hoặc mở khóa một quản trị viên khác trước",
                    user.username
                )));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_address_is_counted_by_its_64_bit_prefix_and_a_mapped_ipv4_as_itself() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(address_text(a), address_text(b));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(address_text(mapped), "10.0.0.7");
    }

    #[test]
    fn typed_names_fold_to_the_stored_form() {
        assert_eq!(fold_name(" HaDong "), "hadong");
        assert_eq!(fold_name(&"x".repeat(10_000)).chars().count(), MAX_TYPED_NAME_CHARS);
    }
}
