//! Thư điện tử — notifications by e-mail, when the server is given an SMTP server
//! (`thidua serve --smtp URL`): `smtp://host:port` speaks plain SMTP (a relay on the same
//! machine or network), `smtps://user:pass@host` over TLS (rustls, the Web PKI roots),
//! `smtp://…?tls=required` with STARTTLS. The notification rows are the outbox: a
//! background task claims the pending ones, sends each with a timeout, and marks it sent,
//! or failed once [`thidua_store::MAX_MAIL_TRIES`] tries have not got it through.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{App, Error};

/// How long one mail may take to send.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the sender looks for mail without being woken.
const WAKE_EVERY: Duration = Duration::from_secs(5);
/// How many mails one pass claims.
const BATCH: i64 = 20;

/// The SMTP server, the sender's address, and the site's address for the links.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL's password stays out of logs.
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `smtp_url`, sending as `from` ("Thi đua <noreply@example.vn>"), its
    /// links under `public_url` ("https://thidua.example.vn"; empty leaves them as paths).
    pub fn new(smtp_url: &str, from: &str, public_url: &str) -> Result<Arc<Mailer>, Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| Error::Invalid(format!("địa chỉ máy chủ thư «--smtp» không dùng được: {e}")))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| Error::Invalid(format!("địa chỉ người gửi «{from}» không đúng: {e}")))?;
        Ok(Arc::new(Mailer {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            wake: tokio::sync::Notify::new(),
        }))
    }

    /// Wakes the sender: a notification to mail was just written.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    fn message(&self, mail: &thidua_store::PendingMail) -> Result<Message, String> {
        let to = Mailbox::new(
            Some(mail.display_name.clone()),
            mail.email
                .parse()
                .map_err(|e| format!("địa chỉ «{}»: {e}", mail.email))?,
        );
        let body = format!(
            "Kính gửi {},\r\n\r\n{}\r\n\r\nXem tại: {}{}\r\n\r\n-- \r\nthidua · Thi đua – khen thưởng, Mặt trận Tổ quốc Việt Nam\r\n",
            mail.display_name, mail.message, self.public_url, mail.link
        );
        let subject: String = format!("[Thi đua] {}", mail.message).chars().take(120).collect();
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }
}

/// One pass of the sender: claims the pending mails and sends each; returns how many
/// went through.
pub async fn send_pending(app: &App) -> Result<usize, Error> {
    let Some(mailer) = app.mailer() else {
        return Ok(0);
    };
    let store = app.store();
    let mut sent = 0;
    for mail in store.claim_mails(BATCH).await? {
        let outcome = match mailer.message(&mail) {
            Ok(message) => match tokio::time::timeout(SEND_TIMEOUT, mailer.transport.send(message)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("quá thời gian chờ máy chủ thư".to_owned()),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                store.mail_sent(mail.id).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(notification = mail.id, "chưa gửi được thư: {e}");
                store.mail_failed(mail.id).await?;
            }
        }
    }
    Ok(sent)
}

/// The sender: a pass every few seconds, or as soon as it is nudged. Never returns.
pub async fn run(app: &App) {
    let Some(mailer) = app.mailer() else {
        return;
    };
    loop {
        if let Err(e) = send_pending(app).await {
            tracing::warn!("gửi thư thông báo: {e}");
        }
        tokio::select! {
            () = mailer.wake.notified() => {},
            () = tokio::time::sleep(WAKE_EVERY) => {},
        }
    }
}
