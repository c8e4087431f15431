-- +goose Up
-- Times are INTEGER unix seconds in UTC; money is INTEGER minor units with a currency code.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('customer', 'manager')),
    password_hash BLOB    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    features    TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    max_apps    INTEGER NOT NULL DEFAULT 0,    -- 0 means unlimited
    watermark   INTEGER NOT NULL DEFAULT 0,
    rank        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE plans (
    id         TEXT    PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    interval   TEXT    NOT NULL CHECK (interval IN ('month', 'year')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    currency   TEXT    NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default = 1;

CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY,
    user_id              INTEGER NOT NULL UNIQUE REFERENCES users (id),
    plan_id              TEXT    NOT NULL REFERENCES plans (id),
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'overdue', 'canceled')),
    anchor               INTEGER NOT NULL,
    period_start         INTEGER NOT NULL,
    period_end           INTEGER,          -- NULL on the free plan, which never renews
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    cancel_reason        TEXT    NOT NULL DEFAULT '',
    cancel_comment       TEXT    NOT NULL DEFAULT '',
    canceled_at          INTEGER,
    payment_failed_at    INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE checkout_sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    from_plan_id TEXT    NOT NULL REFERENCES plans (id),
    plan_id      TEXT    NOT NULL REFERENCES plans (id),
    timing       TEXT    NOT NULL CHECK (timing IN ('now', 'period_end')),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'completed', 'failed', 'expired')),
    payment_url  TEXT    NOT NULL DEFAULT '',
    provider_ref TEXT    UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX checkout_sessions_open ON checkout_sessions (user_id) WHERE status = 'open';

CREATE TABLE invoices (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users (id),
    description         TEXT    NOT NULL,
    amount              INTEGER NOT NULL,
    currency            TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('paid', 'failed')),
    period_start        INTEGER,
    period_end          INTEGER,
    checkout_session_id TEXT    UNIQUE REFERENCES checkout_sessions (id),
    created_at          INTEGER NOT NULL
);
CREATE INDEX invoices_by_user ON invoices (user_id, created_at);

CREATE TABLE provider_events (
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_id      INTEGER,
    actor_email   TEXT    NOT NULL,
    subject_id    INTEGER,
    subject_email TEXT    NOT NULL DEFAULT '',
    impersonated  INTEGER NOT NULL DEFAULT 0,
    action        TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    before        TEXT    NOT NULL DEFAULT '',
    after         TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_subject ON audit_log (subject_id, at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE provider_events;
DROP TABLE invoices;
DROP TABLE checkout_sessions;
DROP TABLE subscriptions;
DROP TABLE plans;
DROP TABLE products;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE settings;
