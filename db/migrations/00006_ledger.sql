-- +goose Up
-- One ledger for every payment a provider reports. Each payment is recorded
-- once per (provider, ref), in the same transaction as its effect, and its
-- money is split between the invoice it paid (applied), account credit
-- (credited) and, when it cannot be tied to a customer, held for a person
-- to refund. The three always add up to the amount.
CREATE TABLE payments (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL,
    ref                 TEXT    NOT NULL,
    user_id             INTEGER REFERENCES users (id),
    kind                TEXT    NOT NULL CHECK (kind IN ('checkout', 'charge', 'legacy')),
    checkout_session_id TEXT    REFERENCES checkout_sessions (id),
    charge_id           TEXT    REFERENCES charges (id),
    amount              INTEGER NOT NULL CHECK (amount > 0),
    currency            TEXT    NOT NULL,
    invoice_id          INTEGER REFERENCES invoices (id),
    applied             INTEGER NOT NULL DEFAULT 0 CHECK (applied >= 0),
    credited            INTEGER NOT NULL DEFAULT 0 CHECK (credited >= 0),
    held                INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    reason              TEXT    NOT NULL DEFAULT '',
    refunded            INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    received_at         INTEGER NOT NULL,
    UNIQUE (provider, ref),
    CHECK (applied + credited + held = amount),
    CHECK (applied = 0 OR invoice_id IS NOT NULL)
);
-- No invoice is paid by two payments.
CREATE UNIQUE INDEX payments_one_per_invoice ON payments (invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX payments_by_checkout ON payments (checkout_session_id) WHERE checkout_session_id IS NOT NULL;
CREATE INDEX payments_by_user ON payments (user_id);
CREATE INDEX payments_by_charge ON payments (charge_id) WHERE charge_id IS NOT NULL;

-- Every movement of a customer's account credit; subscriptions.credit is
-- always the sum of the user's entries.
CREATE TABLE credit_entries (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    currency   TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    payment_id INTEGER REFERENCES payments (id),
    invoice_id INTEGER REFERENCES invoices (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX credit_entries_by_user ON credit_entries (user_id, created_at);
CREATE INDEX credit_entries_by_payment ON credit_entries (payment_id) WHERE payment_id IS NOT NULL;
INSERT INTO credit_entries (user_id, amount, currency, reason, note, created_at)
    SELECT s.user_id, s.credit, p.currency, 'opening_balance', 'credit held before the ledger', s.updated_at
    FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.credit > 0;

-- Paid invoices from before the ledger get the payment that paid them.
INSERT INTO payments (provider, ref, user_id, kind, checkout_session_id, amount, currency, invoice_id, applied, received_at)
    SELECT 'legacy', 'invoice:' || i.id, i.user_id, 'legacy', i.checkout_session_id, i.amount, i.currency, i.id, i.amount, i.created_at
    FROM invoices i WHERE i.status = 'paid' AND i.amount > 0;
UPDATE payments SET checkout_session_id = (SELECT c.id FROM checkout_sessions c
        WHERE c.invoice_id = payments.invoice_id AND c.status = 'completed' LIMIT 1)
    WHERE kind = 'legacy' AND checkout_session_id IS NULL;

ALTER TABLE invoices ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkout_sessions ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE charges ADD COLUMN purpose TEXT NOT NULL DEFAULT 'renewal' CHECK (purpose IN ('renewal', 'retry'));
ALTER TABLE charges ADD COLUMN invoice_id INTEGER REFERENCES invoices (id);
ALTER TABLE charges ADD COLUMN reason TEXT NOT NULL DEFAULT '';
UPDATE charges SET purpose = 'retry' WHERE id LIKE 'retry:%';
-- Their payments are the legacy ones above, which cannot be matched to them.
UPDATE charges SET reason = 'before the ledger' WHERE status = 'succeeded';

-- The customer and saved card the portal keeps per user and provider.
CREATE TABLE payment_accounts (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    provider     TEXT    NOT NULL,
    customer_ref TEXT    NOT NULL DEFAULT '',
    card_ref     TEXT    NOT NULL DEFAULT '',
    card_brand   TEXT    NOT NULL DEFAULT '',
    card_last4   TEXT    NOT NULL DEFAULT '',
    card_exp_month INTEGER NOT NULL DEFAULT 0,
    card_exp_year  INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, provider)
);

-- Idempotency keys are claimed before the request runs (status 0 while it
-- runs) and expire after a day.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- +goose Down
DROP INDEX idempotency_keys_by_age;
DROP TABLE payment_accounts;
ALTER TABLE charges DROP COLUMN reason;
ALTER TABLE charges DROP COLUMN invoice_id;
ALTER TABLE charges DROP COLUMN purpose;
ALTER TABLE checkout_sessions DROP COLUMN closed_reason;
ALTER TABLE invoices DROP COLUMN refunded;
DROP TABLE credit_entries;
DROP TABLE payments;
