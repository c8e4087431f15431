-- +goose Up
-- Embedded sessions run inside another site's frame with that site's accent colour.
ALTER TABLE sessions ADD COLUMN embed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN accent TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN accent;
ALTER TABLE sessions DROP COLUMN embed;
