-- +goose Up
-- Events are delivered from a persistent queue with backoff, like a hosted
-- provider's, for at least three days; each session's event is one entry.
ALTER TABLE sandbox_sessions ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE sandbox_sessions ADD COLUMN paid_at INTEGER;
ALTER TABLE sandbox_sessions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sandbox_sessions ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sandbox_sessions ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS sandbox_sessions_queue ON sandbox_sessions (next_attempt_at) WHERE delivered_at IS NULL AND event_id <> '';
DROP INDEX IF EXISTS sandbox_sessions_undelivered;
-- Charges report how they ended: succeeded, failed or requires_action.
ALTER TABLE sandbox_charges ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
UPDATE sandbox_charges SET outcome = CASE WHEN succeeded = 1 THEN 'succeeded' ELSE 'failed' END;
-- A test card may decline (fails = 1) or ask for 3-D Secure (fails = 2).

-- +goose Down
ALTER TABLE sandbox_charges DROP COLUMN outcome;
DROP INDEX sandbox_sessions_queue;
ALTER TABLE sandbox_sessions DROP COLUMN last_error;
ALTER TABLE sandbox_sessions DROP COLUMN next_attempt_at;
ALTER TABLE sandbox_sessions DROP COLUMN attempts;
ALTER TABLE sandbox_sessions DROP COLUMN paid_at;
ALTER TABLE sandbox_sessions DROP COLUMN customer_ref;
