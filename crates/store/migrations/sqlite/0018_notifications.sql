-- Thông báo — what the application tells a person without being asked: a form of theirs
-- was returned, a deadline is three days away, a ballot they vote in opened, a decision on
-- a proposal was recorded. One row per person and event (event_key makes a reminder
-- idempotent: the deadline sweep may run many times and writes it once). The same row is
-- the e-mail outbox when an SMTP server is configured: mail_state 'none' (no mail asked
-- or no address), 'pending', 'sent' or 'failed' after mail_tries attempts.
ALTER TABLE app_user ADD COLUMN email TEXT;

CREATE TABLE notification (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    event_key   TEXT NOT NULL,
    message     TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    mail_state  TEXT NOT NULL DEFAULT 'none',
    mail_tries  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, event_key)
);
CREATE INDEX notification_of_user ON notification (user_id, read_at);
CREATE INDEX notification_mail ON notification (mail_state);
