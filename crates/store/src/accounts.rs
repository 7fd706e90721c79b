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
use thidua_core::account::{AccountDraft, AccountProblem, account_search_key, check_new_account, search_words};
use thidua_core::{Principal, Role, UnitCode};

use crate::error::StoreError;
use crate::store::{Backend, Store, parse_stored};

/// How long a session lasts without signing in again.
const SESSION_HOURS: i64 = 12;
/// How many addresses an account remembers as its own (the most recent).
const KNOWN_ADDRESSES_PER_USER: i64 = 10;
/// How long an address stays known without a sign-in from it.
const KNOWN_ADDRESS_DAYS: i64 = 180;
/// Accounts whose search key is filled per transaction when the store opens.
const SEARCH_KEY_BATCH: i64 = 500;
/// Most words of a search that are matched (each is one `LIKE`); the rest are ignored.
const MAX_SEARCH_WORDS: usize = 8;

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
    /// Thông báo chưa đọc — how many of the user's notifications are unread (the bell in
    /// the pages' header; 0 for an API token, which has no pages).
    pub unread: i64,
}

/// The login name as it is looked up and throttled: NFC, lower case, trimmed.
fn fold_name(raw: &str) -> String {
    thidua_core::account::fold_username(raw)
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

/// The columns `user_from_row` reads, over `app_user a LEFT JOIN unit u`: a macro, so
/// that the session's query selects them with its own and both stay `&'static str`.
macro_rules! user_fields {
    () => {
        "a.id, a.username, a.display_name, a.role, u.code AS unit, a.disabled"
    };
}

const USER_COLUMNS: &str = concat!(
    "SELECT ",
    user_fields!(),
    " FROM app_user a LEFT JOIN unit u ON u.id = a.unit_id"
);

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

/// What a name already taken is called, to the web page and the command line alike.
fn name_taken_message(username: &str) -> String {
    format!("tên đăng nhập «{username}» đã có người dùng")
}

/// A word made safe inside `LIKE … ESCAPE '\'`: `%`, `_` and the escape itself match
/// only themselves.
fn escape_like(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Fills the search key of the accounts that have none (made before migration 19), a
/// batch per transaction, when the store opens. A filled key is never empty (it holds at
/// least a space), so each batch shrinks what is left and the loop ends; with every key
/// filled it costs one query.
pub(crate) async fn fill_search_keys(pool: &sqlx::AnyPool) -> Result<(), StoreError> {
    loop {
        let rows = sqlx::query(
            "SELECT a.id, a.username, a.display_name, u.code AS unit
             FROM app_user a LEFT JOIN unit u ON u.id = a.unit_id
             WHERE a.search_key = '' ORDER BY a.id LIMIT $1",
        )
        .bind(SEARCH_KEY_BATCH)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = pool.begin().await?;
        for row in &rows {
            let unit = row
                .try_get::<Option<String>, _>("unit")?
                .map(|u| parse_stored(UnitCode::parse(&u)))
                .transpose()?;
            let username: String = row.try_get("username")?;
            let display_name: String = row.try_get("display_name")?;
            sqlx::query("UPDATE app_user SET search_key = $1 WHERE id = $2")
                .bind(account_search_key(&username, &display_name, unit.as_ref()))
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
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
        let unit = new.unit.as_ref().map_or("", UnitCode::as_str);
        self.create_account(AccountDraft {
            username: &new.username,
            display_name: &new.display_name,
            role: new.role.as_str(),
            unit,
            password: &new.password,
        })
        .await
    }

    /// Creates an account from the text of the admin's form, after every rule of
    /// [`check_new_account`] and what only the database knows — the name not taken, the
    /// unit in the directory and still working. Every mistake is found at once:
    /// [`thidua_core::Error::InvalidAccount`] lists them, each naming its field; a name
    /// taken and nothing else wrong answers [`StoreError::Conflict`], also when two
    /// requests create the same name at the same moment.
    pub async fn create_account(&self, draft: AccountDraft<'_>) -> Result<User, StoreError> {
        let checked = check_new_account(&draft);
        let mut problems = checked.as_ref().err().cloned().unwrap_or_default();
        // The database's checks on whatever parsed, so they are said beside the others.
        let username = thidua_core::account::parse_username(draft.username).ok();
        if let Some(name) = &username {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE username = $1")
                .bind(name)
                .fetch_optional(self.pool())
                .await?;
            if exists.is_some() {
                problems.insert(0, AccountProblem::name_taken(name));
            }
        }
        let unit_code = Some(draft.unit.trim())
            .filter(|u| !u.is_empty())
            .and_then(|u| UnitCode::parse(&u.to_ascii_uppercase()).ok())
            .filter(|_| !draft.role.trim().eq_ignore_ascii_case(Role::Admin.as_str()));
        let mut unit_id = None;
        if let Some(code) = &unit_code {
            // A unit that has ended (a district after 1/7/2025) still gets accounts: its
            // officers answer for the years it reported, which are reviewed today.
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM unit WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(self.pool())
                .await?;
            match id {
                None => problems.push(AccountProblem::unknown_unit(code)),
                Some(id) => unit_id = Some(id),
            }
        }
        // Problems keep the form's order, the taken name first among the username's.
        problems.sort_by_key(|p| p.field as u8);
        let taken = || StoreError::Conflict(name_taken_message(username.as_deref().unwrap_or_default()));
        let new = match checked {
            Ok(new) if problems.is_empty() => new,
            _ if problems.len() == 1 && problems[0].taken => return Err(taken()),
            _ => return Err(thidua_core::Error::InvalidAccount(problems).into()),
        };
        let hash = hash_password(draft.password.to_owned()).await?;
        let key = account_search_key(&new.username, &new.display_name, new.unit.as_ref());
        let inserted = sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, created_at, search_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(hash)
        .bind(new.role.as_str())
        .bind(unit_id)
        .bind(Utc::now().to_rfc3339())
        .bind(key)
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => {}
            // Another request took the name between the check above and this insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
        self.user(&new.username).await
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

    /// One page of the accounts a search finds, and how many it finds in all (one
    /// `COUNT`): page 1 is the first, a page past the end gives the last. Every word of
    /// `query` must start a word of the account's login name, display name or unit code,
    /// without diacritics or case ("nguyen van" finds "Nguyễn Văn An", "ha" finds
    /// "hadong" but not "Thanh"); an empty query finds every account.
    ///
    /// Ordered by login name, in bytes (`COLLATE "C"` on PostgreSQL, SQLite's default):
    /// neither engine knows the Vietnamese collation, and login names are lower-case
    /// ASCII, whose letters and digits byte order already puts in Vietnamese order.
    pub async fn users_page(&self, query: &str, page: u32, per_page: u32) -> Result<(Vec<User>, u64), StoreError> {
        let words: Vec<String> = search_words(query).into_iter().take(MAX_SEARCH_WORDS).collect();
        let filter: String = (1..=words.len())
            .map(|n| format!(" AND a.search_key LIKE ${n} ESCAPE '\\'"))
            .collect();
        let patterns: Vec<String> = words.iter().map(|w| format!("% {}%", escape_like(w))).collect();
        let count_sql = format!("SELECT COUNT(*) FROM app_user a WHERE 1 = 1{filter}");
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for p in &patterns {
            count = count.bind(p.clone());
        }
        let total = u64::try_from(count.fetch_one(self.pool()).await?).unwrap_or(0);
        let per_page = per_page.max(1);
        let last_page = u32::try_from(total.div_ceil(u64::from(per_page)))
            .unwrap_or(u32::MAX)
            .max(1);
        let page = page.clamp(1, last_page);
        let collate = match self.backend() {
            Backend::Postgres => " COLLATE \"C\"",
            Backend::Sqlite => "",
        };
        let n = words.len();
        let sql = format!(
            "{USER_COLUMNS} WHERE 1 = 1{filter} ORDER BY a.username{collate} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut select = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in patterns {
            select = select.bind(p);
        }
        let rows = select
            .bind(i64::from(per_page))
            .bind(i64::from(page - 1) * i64::from(per_page))
            .fetch_all(self.pool())
            .await?;
        let users = rows.iter().map(user_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok((users, total))
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
        // One statement for the session, its account and the unread count: every request
        // signed in with a cookie makes it, and each round trip costs (the JSON API's
        // rollups answer in about a millisecond).
        let row = sqlx::query(concat!(
            "SELECT ",
            user_fields!(),
            ", s.csrf_token, s.expires_at,
                    (SELECT COUNT(*) FROM notification n WHERE n.user_id = a.id AND n.read_at IS NULL) AS unread
                 FROM user_session s JOIN app_user a ON a.id = s.user_id LEFT JOIN unit u ON u.id = a.unit_id
                 WHERE s.token_hash = $1 AND a.disabled = 0"
        ))
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        if parse_time(&row.try_get::<String, _>("expires_at")?)? < Utc::now() {
            return Ok(None);
        }
        Ok(Some(Session {
            user: user_from_row(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            unread: row.try_get("unread")?,
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
        assert_eq!(fold_name(&"x".repeat(10_000)).chars().count(), 64);
    }
}
