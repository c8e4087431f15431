-- +goose Up
-- The JSON API: personal tokens, one-time portal links, idempotency keys,
-- and the outbox of notifications to the app.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE portal_tokens (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    return_url TEXT    NOT NULL DEFAULT '',
    embed      INTEGER NOT NULL DEFAULT 0,
    accent     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE idempotency_keys (
    principal   TEXT    NOT NULL, -- "server" or "user:<id>": keys are scoped to who sent them
    key         TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    body_hash   BLOB    NOT NULL,
    status      INTEGER NOT NULL,
    response    BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
);

CREATE TABLE notifications (
    id              TEXT    PRIMARY KEY,
    event_type      TEXT    NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    payload         BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE delivered_at IS NULL;

ALTER TABLE sessions ADD COLUMN return_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN return_url;
DROP TABLE notifications;
DROP TABLE idempotency_keys;
DROP TABLE portal_tokens;
DROP TABLE api_tokens;
