-- +goose Up
-- The sandbox provider's own records, kept apart from the portal's tables
-- (and migrated by the sandbox itself) as a hosted provider's would be.
-- IF NOT EXISTS: portals from before this file made these tables in their
-- own migrations.
CREATE TABLE IF NOT EXISTS sandbox_sessions (
    id           TEXT    PRIMARY KEY,
    client_ref   TEXT    NOT NULL UNIQUE,
    amount       INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    return_url   TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'declined', 'expired')),
    event_id     TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    delivered_at INTEGER
);

CREATE TABLE IF NOT EXISTS sandbox_cards (
    email TEXT PRIMARY KEY COLLATE NOCASE,
    fails INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS sandbox_charges (
    key        TEXT    PRIMARY KEY,
    email      TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    currency   TEXT    NOT NULL,
    succeeded  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE sandbox_charges;
DROP TABLE sandbox_cards;
DROP TABLE sandbox_sessions;
