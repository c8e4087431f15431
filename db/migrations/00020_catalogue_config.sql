-- +goose NO TRANSACTION
-- +goose Up
-- Without a transaction from goose, so that foreign keys can be switched off while the plans table is
-- rebuilt (SQLite ignores that pragma inside a transaction); the work itself is one transaction. The
-- portal migrates on its single writer connection, so the pragma and the transaction share it.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
-- The catalogue now comes from the operator's configuration file: products are matched by the file's id
-- ("key"), carry named integer limits and boolean flags instead of max_apps and watermark, and plans bill
-- every interval_count weeks, months or years.
ALTER TABLE products ADD COLUMN key TEXT;
ALTER TABLE products ADD COLUMN limits TEXT NOT NULL DEFAULT '{}'; -- JSON object: name → integer, -1 unlimited
ALTER TABLE products ADD COLUMN flags TEXT NOT NULL DEFAULT '{}';  -- JSON object: name → boolean
UPDATE products SET key = lower(replace(name, ' ', '-')),
    limits = json_object('apps', CASE max_apps WHEN 0 THEN -1 ELSE max_apps END),
    flags = json_object('watermark', json(CASE watermark WHEN 0 THEN 'false' ELSE 'true' END));
CREATE UNIQUE INDEX products_by_key ON products (key);
ALTER TABLE products DROP COLUMN max_apps;
ALTER TABLE products DROP COLUMN watermark;

-- SQLite cannot change a CHECK in place: the plans table is rebuilt. Other tables refer to plans by name,
-- and find the new table under the old name.
CREATE TABLE plans_new (
    id             TEXT    PRIMARY KEY,
    product_id     INTEGER NOT NULL REFERENCES products (id),
    interval       TEXT    NOT NULL CHECK (interval IN ('week', 'month', 'year')),
    interval_count INTEGER NOT NULL DEFAULT 1 CHECK (interval_count BETWEEN 1 AND 36),
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    currency       TEXT    NOT NULL,
    is_default     INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 1
);
INSERT INTO plans_new (id, product_id, interval, amount, currency, is_default, active)
    SELECT id, product_id, interval, amount, currency, is_default, active FROM plans;
DROP TABLE plans;
ALTER TABLE plans_new RENAME TO plans;
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default = 1;
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE plans_old (
    id         TEXT    PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id),
    interval   TEXT    NOT NULL CHECK (interval IN ('month', 'year')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    currency   TEXT    NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO plans_old SELECT id, product_id, interval, amount, currency, is_default, active FROM plans;
DROP TABLE plans;
ALTER TABLE plans_old RENAME TO plans;
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default = 1;
ALTER TABLE products ADD COLUMN max_apps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN watermark INTEGER NOT NULL DEFAULT 0;
UPDATE products SET max_apps = max(coalesce(json_extract(limits, '$.apps'), 0), 0),
    watermark = coalesce(json_extract(flags, '$.watermark'), 0);
DROP INDEX products_by_key;
ALTER TABLE products DROP COLUMN flags;
ALTER TABLE products DROP COLUMN limits;
ALTER TABLE products DROP COLUMN key;
COMMIT;
PRAGMA foreign_keys = ON;
