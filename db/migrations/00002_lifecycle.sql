-- +goose Up
-- Plan-change rules and the subscription lifecycle: account credit, dunning,
-- scheduled changes and renewal charges.
ALTER TABLE subscriptions ADD COLUMN credit INTEGER NOT NULL DEFAULT 0 CHECK (credit >= 0); -- account credit, minor units of the plan's currency
ALTER TABLE subscriptions ADD COLUMN ended_at INTEGER;
ALTER TABLE subscriptions ADD COLUMN retry_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN next_retry_at INTEGER;
ALTER TABLE subscriptions ADD COLUMN grace_ends_at INTEGER;
ALTER TABLE subscriptions ADD COLUMN overdue_invoice_id INTEGER REFERENCES invoices (id);

CREATE TABLE scheduled_changes (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    plan_id         TEXT    NOT NULL REFERENCES plans (id),
    effective_at    INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    canceled_at     INTEGER,
    applied_at      INTEGER
);
-- At most one pending phase per subscription: a new request replaces the old one.
CREATE UNIQUE INDEX scheduled_changes_one_pending ON scheduled_changes (subscription_id)
    WHERE canceled_at IS NULL AND applied_at IS NULL;

ALTER TABLE checkout_sessions ADD COLUMN purpose TEXT NOT NULL DEFAULT 'change' CHECK (purpose IN ('change', 'overdue'));
ALTER TABLE checkout_sessions ADD COLUMN invoice_id INTEGER REFERENCES invoices (id);
ALTER TABLE checkout_sessions ADD COLUMN credit_used INTEGER NOT NULL DEFAULT 0;

ALTER TABLE invoices ADD COLUMN credit_applied INTEGER NOT NULL DEFAULT 0;

-- A renewal or dunning charge against the saved card. The id is the
-- idempotency key, so a worker that crashed after charging finds the charge
-- and never charges twice.
CREATE TABLE charges (
    id              TEXT    PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    plan_id         TEXT    NOT NULL REFERENCES plans (id),
    amount          INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    credit_used     INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_ref    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);

-- +goose Down
DROP TABLE charges;
ALTER TABLE invoices DROP COLUMN credit_applied;
ALTER TABLE checkout_sessions DROP COLUMN credit_used;
ALTER TABLE checkout_sessions DROP COLUMN invoice_id;
ALTER TABLE checkout_sessions DROP COLUMN purpose;
DROP TABLE scheduled_changes;
ALTER TABLE subscriptions DROP COLUMN overdue_invoice_id;
ALTER TABLE subscriptions DROP COLUMN grace_ends_at;
ALTER TABLE subscriptions DROP COLUMN next_retry_at;
ALTER TABLE subscriptions DROP COLUMN retry_count;
ALTER TABLE subscriptions DROP COLUMN ended_at;
ALTER TABLE subscriptions DROP COLUMN credit;
