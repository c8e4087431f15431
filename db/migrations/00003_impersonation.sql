-- +goose Up
-- Account managers acting as customers: an impersonation session belongs to
-- the customer and names the manager; checkouts remember who opened them.
ALTER TABLE sessions ADD COLUMN impersonator_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN impersonation_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE checkout_sessions ADD COLUMN opened_by_manager INTEGER NOT NULL DEFAULT 0;
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX users_by_name ON users (name COLLATE NOCASE);

-- +goose Down
DROP INDEX users_by_name;
DROP INDEX audit_log_by_at;
ALTER TABLE checkout_sessions DROP COLUMN opened_by_manager;
ALTER TABLE sessions DROP COLUMN impersonation_reason;
ALTER TABLE sessions DROP COLUMN impersonator_id;
