-- +goose Up
-- Customers' billing details, and a copy of them on every invoice created
-- after they were given, so later edits never rewrite an issued invoice.
CREATE TABLE billing_details (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    company     TEXT    NOT NULL DEFAULT '',
    line1       TEXT    NOT NULL,
    line2       TEXT    NOT NULL DEFAULT '',
    postal_code TEXT    NOT NULL DEFAULT '',
    city        TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    tax_id      TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
);

ALTER TABLE invoices ADD COLUMN bill_name TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_company TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_line1 TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_line2 TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_city TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_country TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_tax_id TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN bill_email TEXT NOT NULL DEFAULT '';
UPDATE invoices SET bill_email = COALESCE((SELECT email FROM users WHERE users.id = invoices.user_id), '');

-- +goose Down
ALTER TABLE invoices DROP COLUMN bill_email;
ALTER TABLE invoices DROP COLUMN bill_tax_id;
ALTER TABLE invoices DROP COLUMN bill_country;
ALTER TABLE invoices DROP COLUMN bill_city;
ALTER TABLE invoices DROP COLUMN bill_postal_code;
ALTER TABLE invoices DROP COLUMN bill_line2;
ALTER TABLE invoices DROP COLUMN bill_line1;
ALTER TABLE invoices DROP COLUMN bill_company;
ALTER TABLE invoices DROP COLUMN bill_name;
DROP TABLE billing_details;
