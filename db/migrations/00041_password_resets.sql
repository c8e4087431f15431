-- +goose Up
-- One-time password-reset links: only the token's SHA-256 is stored.
CREATE TABLE password_resets (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- +goose Down
DROP TABLE password_resets;
