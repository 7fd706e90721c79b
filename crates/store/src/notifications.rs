//! Thông báo — what the application tells a person without being asked (a returned form,
//! a deadline three days away, an opened ballot, a recorded decision), kept one row per
//! person and event: writing the same event twice writes it once (`event_key`). The same
//! rows are the e-mail outbox when an SMTP server is configured (`mail_state`).

use sqlx::Row;
use thidua_core::UnitCode;

use crate::emulation::now;
use crate::error::StoreError;
use crate::store::Store;

/// How many notifications a person's list shows, newest first.
pub const MAX_LISTED: i64 = 50;
/// How many times a mail is tried before it is marked failed.
pub const MAX_MAIL_TRIES: i64 = 5;

/// One notification of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// What happened (`returned`, `deadline`, `ballot`, `decision`).
    pub kind: String,
    /// The message, in Vietnamese.
    pub message: String,
    /// The page it is about (a path, `/units/…`).
    pub link: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// Whether its owner has read it.
    pub read: bool,
}

/// A notification to write, for each of a set of people.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// What happened.
    pub kind: &'a str,
    /// Names the event: a second write with the same key for the same person is ignored.
    pub event_key: &'a str,
    /// The message.
    pub message: &'a str,
    /// The page it is about.
    pub link: &'a str,
}

/// A mail to send: a notification claimed from the outbox, with its owner's address.
#[derive(Debug, Clone)]
pub struct PendingMail {
    /// The notification's id.
    pub id: i64,
    /// Where to.
    pub email: String,
    /// The owner's display name.
    pub display_name: String,
    /// The message.
    pub message: String,
    /// The page it is about.
    pub link: String,
}

impl Store {
    /// Writes `n` for each of `users` (ids), once per person and event; `mail` says
    /// whether a person with an e-mail address gets it by mail too (an SMTP server is
    /// configured). Returns how many rows were new.
    pub async fn notify(&self, users: &[i64], n: &NewNotification<'_>, mail: bool) -> Result<u64, StoreError> {
        let at = now();
        let mut written = 0;
        let mut tx = self.begin_write().await?;
        for user in users {
            let done = sqlx::query(
                "INSERT INTO notification (user_id, kind, event_key, message, link, created_at, mail_state)
                 SELECT id, $2, $3, $4, $5, $6,
                        CASE WHEN $7 = 1 AND email IS NOT NULL AND email <> '' THEN 'pending' ELSE 'none' END
                 FROM app_user WHERE id = $1
                 ON CONFLICT (user_id, event_key) DO NOTHING",
            )
            .bind(*user)
            .bind(n.kind)
            .bind(n.event_key)
            .bind(n.message)
            .bind(n.link)
            .bind(&at)
            .bind(i64::from(mail))
            .execute(&mut *tx)
            .await?;
            written += done.rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }

    /// A person's latest notifications (at most [`MAX_LISTED`]), newest first.
    pub async fn notifications(&self, user: i64) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, message, link, created_at, read_at FROM notification
             WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user)
        .bind(MAX_LISTED)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    message: r.try_get("message")?,
                    link: r.try_get("link")?,
                    created_at: r.try_get("created_at")?,
                    read: r.try_get::<Option<String>, _>("read_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Marks every notification of `user` read (only theirs).
    pub async fn mark_notifications_read(&self, user: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE notification SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
            .bind(user)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// A person's e-mail address, if they gave one.
    pub async fn email(&self, user: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT email FROM app_user WHERE id = $1")
            .bind(user)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "tài khoản",
                key: user.to_string(),
            })?;
        Ok(row.try_get::<Option<String>, _>("email")?.filter(|e| !e.is_empty()))
    }

    /// Sets (or, with `None`, removes) a person's e-mail address; the caller has checked it.
    pub async fn set_email(&self, user: i64, email: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE app_user SET email = $2 WHERE id = $1")
            .bind(user)
            .bind(email)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The ids of the active accounts that enter the figures of `units` (officers and
    /// chairs whose unit is one of them).
    pub async fn officers_of(&self, units: &[UnitCode]) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for unit in units {
            let rows = sqlx::query(
                "SELECT a.id FROM app_user a JOIN unit u ON u.id = a.unit_id
                 WHERE u.code = $1 AND a.disabled = 0 AND a.role IN ('officer', 'chair') ORDER BY a.id",
            )
            .bind(unit.as_str())
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(r.try_get("id")?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The units that have an active officer or chair account: whom the deadline sweep
    /// looks at.
    pub async fn units_with_officers(&self) -> Result<Vec<UnitCode>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT u.code FROM app_user a JOIN unit u ON u.id = a.unit_id
             WHERE a.disabled = 0 AND a.role IN ('officer', 'chair') ORDER BY u.code",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| crate::store::parse_stored(UnitCode::parse(&r.try_get::<String, _>("code")?)))
            .collect()
    }

    /// Up to `limit` mails waiting to be sent, oldest first, each counted as one more try
    /// (so a crash mid-send does not retry forever).
    pub async fn claim_mails(&self, limit: i64) -> Result<Vec<PendingMail>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT n.id, a.email, a.display_name, n.message, n.link FROM notification n
             JOIN app_user a ON a.id = n.user_id
             WHERE n.mail_state = 'pending' ORDER BY n.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mail = PendingMail {
                id: r.try_get("id")?,
                email: r.try_get::<Option<String>, _>("email")?.unwrap_or_default(),
                display_name: r.try_get("display_name")?,
                message: r.try_get("message")?,
                link: r.try_get("link")?,
            };
            sqlx::query("UPDATE notification SET mail_tries = mail_tries + 1 WHERE id = $1")
                .bind(mail.id)
                .execute(&mut *tx)
                .await?;
            out.push(mail);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records a mail sent.
    pub async fn mail_sent(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE notification SET mail_state = 'sent' WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a failed try: the mail stays pending until [`MAX_MAIL_TRIES`], then is
    /// marked failed.
    pub async fn mail_failed(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE notification SET mail_state = 'failed' WHERE id = $1 AND mail_tries >= $2")
            .bind(id)
            .bind(MAX_MAIL_TRIES)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A notification's mail state and tries (`none`, `pending`, `sent`, `failed`).
    pub async fn mail_state(&self, id: i64) -> Result<(String, i64), StoreError> {
        let row = sqlx::query("SELECT mail_state, mail_tries FROM notification WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok((row.try_get("mail_state")?, row.try_get("mail_tries")?))
    }
}
