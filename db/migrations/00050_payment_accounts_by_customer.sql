-- +goose Up
-- A provider's events name its customer (a card saved at Stripe names the
-- Stripe customer); the portal finds the user by it.
CREATE INDEX payment_accounts_by_customer ON payment_accounts (provider, customer_ref);

-- +goose Down
DROP INDEX payment_accounts_by_customer;
