-- +goose Up
-- What an immediate plan change took off the new plan's price for the unused
-- part of the previous plan, so invoices show each line of the calculation.
ALTER TABLE invoices ADD COLUMN proration_credit INTEGER NOT NULL DEFAULT 0 CHECK (proration_credit >= 0);

-- +goose Down
ALTER TABLE invoices DROP COLUMN proration_credit;
