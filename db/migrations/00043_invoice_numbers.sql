-- +goose Up
-- Invoice numbers without gaps per seller: one counter row per seller,
-- incremented in the transaction that creates the invoice, so a rolled-back
-- invoice gives its number back.
CREATE TABLE invoice_counters (
    seller TEXT    PRIMARY KEY,
    last   INTEGER NOT NULL CHECK (last >= 0)
);
ALTER TABLE invoices ADD COLUMN seller TEXT NOT NULL DEFAULT 'default';
ALTER TABLE invoices ADD COLUMN number TEXT;
CREATE UNIQUE INDEX invoices_number ON invoices (seller, number);

-- Invoices written before numbering get numbers in the order they were written.
UPDATE invoices SET number = printf('INV-%06d', (SELECT COUNT(*) FROM invoices i WHERE i.id <= invoices.id));
INSERT INTO invoice_counters (seller, last) SELECT 'default', COUNT(*) FROM invoices WHERE (SELECT COUNT(*) FROM invoices) > 0;

-- +goose Down
DROP INDEX invoices_number;
ALTER TABLE invoices DROP COLUMN number;
ALTER TABLE invoices DROP COLUMN seller;
DROP TABLE invoice_counters;
