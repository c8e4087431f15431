-- +goose Up
-- One row that /healthz rewrites to prove the database still takes writes
-- (a full disk or a read-only file lets reads through and fails every write).
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE health_probe;
