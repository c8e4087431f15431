-- +goose Up
-- Mail to customers: an outbox written in the same transaction as the change
-- a mail reports, delivered later by the mail worker. A row is claimed
-- ('sending') before the SMTP call and marked 'sent' after it, so no mail is
-- ever sent twice; a process that dies between the two leaves it 'sending'.
CREATE TABLE mails (
    id              TEXT    PRIMARY KEY,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    invoice_id      INTEGER REFERENCES invoices (id), -- its PDF is attached when the mail is sent
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_at      INTEGER,
    sent_at         INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX mails_due ON mails (next_attempt_at) WHERE status = 'queued';
CREATE INDEX mails_by_created ON mails (created_at);

-- Which optional mails a customer wants; no row means all of them.
-- Receipts, payment notices, cancellations and password resets are always sent.
CREATE TABLE mail_preferences (
    user_id              INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    renewal_reminders    INTEGER NOT NULL DEFAULT 1,
    change_confirmations INTEGER NOT NULL DEFAULT 1,
    updated_at           INTEGER NOT NULL
);

-- One renewal reminder per subscription period, whatever the worker's schedule.
CREATE TABLE renewal_reminders (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    period_end      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_end)
);

-- +goose Down
DROP TABLE renewal_reminders;
DROP TABLE mail_preferences;
DROP TABLE mails;
