-- +goose Up
-- The sandbox provider's own records on PostgreSQL, as the SQLite
-- migrations 00001-00003 leave them, in one file.
CREATE TABLE IF NOT EXISTS sandbox_sessions (
    id              TEXT    PRIMARY KEY,
    client_ref      TEXT    NOT NULL UNIQUE,
    amount          BIGINT  NOT NULL,
    currency        TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    return_url      TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'declined', 'expired')),
    event_id        TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    delivered_at    BIGINT,
    customer_ref    TEXT    NOT NULL DEFAULT '',
    paid_at         BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    -- 'setup' sessions save a card without paying; card is the test card chosen.
    kind            TEXT    NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'setup')),
    cancel_url      TEXT    NOT NULL DEFAULT '',
    card            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sandbox_sessions_queue ON sandbox_sessions (next_attempt_at) WHERE delivered_at IS NULL AND event_id <> '';

-- Emails are stored in lower case (the sandbox folds them), as SQLite's
-- NOCASE key compares them.
CREATE TABLE IF NOT EXISTS sandbox_cards (
    email TEXT    PRIMARY KEY,
    fails INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS sandbox_charges (
    key        TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    amount     BIGINT  NOT NULL,
    currency   TEXT    NOT NULL,
    succeeded  INTEGER NOT NULL,
    created_at BIGINT  NOT NULL,
    outcome    TEXT    NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE sandbox_charges;
DROP TABLE sandbox_cards;
DROP TABLE sandbox_sessions;
