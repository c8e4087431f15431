-- +goose Up
-- Sessions where a customer saves a new card without paying (kind
-- 'setup'); 'paid' then means the card was saved, and card is the test
-- card chosen (0 works, 1 declines, 2 asks for 3-D Secure).
ALTER TABLE sandbox_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'setup'));
ALTER TABLE sandbox_sessions ADD COLUMN cancel_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sandbox_sessions ADD COLUMN card INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sandbox_sessions DROP COLUMN card;
ALTER TABLE sandbox_sessions DROP COLUMN cancel_url;
ALTER TABLE sandbox_sessions DROP COLUMN kind;
