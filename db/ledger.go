package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

const paymentColumns = `id, provider, ref, COALESCE(user_id, 0), kind, COALESCE(checkout_session_id, ''), COALESCE(charge_id, ''),
	amount, currency, COALESCE(invoice_id, 0), applied, credited, held, reason, refunded, received_at`

func scanPayment(row scanner) (billing.Payment, error) {
	var p billing.Payment
	var received int64
	err := row.Scan(&p.ID, &p.Provider, &p.Ref, &p.UserID, &p.Kind, &p.CheckoutID, &p.ChargeID, &p.Amount.Amount,
		&p.Amount.Currency, &p.InvoiceID, &p.Applied, &p.Credited, &p.Held, &p.Reason, &p.Refunded, &received)
	p.ReceivedAt = time.Unix(received, 0).UTC()
	return p, err
}

// RecordPayment stores a payment once per provider reference.
func (q queries) RecordPayment(ctx context.Context, p billing.Payment) (int64, bool, error) {
	var id int64
	err := q.writeRow(ctx, `INSERT INTO payments (provider, ref, user_id, kind, checkout_session_id, charge_id, amount, currency,
		held, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, ref) DO NOTHING RETURNING id`,
		p.Provider, p.Ref, nullID(p.UserID), p.Kind, nullString(p.CheckoutID), nullString(p.ChargeID), p.Amount.Amount,
		p.Amount.Currency, p.Held, p.ReceivedAt.Unix()).Scan(&id)
	if err == sql.ErrNoRows {
		stored, err := q.PaymentByRef(ctx, p.Provider, p.Ref)
		return stored.ID, false, err
	}
	if err != nil {
		return 0, false, fmt.Errorf("db: record payment %s: %w", p.Ref, err)
	}
	return id, true, nil
}

// AllocatePayment writes where a payment's money went.
func (q queries) AllocatePayment(ctx context.Context, p billing.Payment) error {
	_, err := q.exec(ctx, `UPDATE payments SET invoice_id = ?, applied = ?, credited = ?, held = ?, reason = ? WHERE id = ?`,
		nullID(p.InvoiceID), p.Applied, p.Credited, p.Held, p.Reason, p.ID)
	if err != nil {
		return fmt.Errorf("db: allocate payment %s: %w", p.Ref, err)
	}
	return nil
}

// PaymentByRef returns a payment by its provider reference.
func (q queries) PaymentByRef(ctx context.Context, provider, ref string) (billing.Payment, error) {
	p, err := scanPayment(q.queryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE provider = ? AND ref = ?`, provider, ref))
	return p, notFound(err, "payment "+ref)
}

// PaymentForCheckout returns the first payment recorded for a checkout.
func (q queries) PaymentForCheckout(ctx context.Context, checkoutID string) (billing.Payment, error) {
	p, err := scanPayment(q.queryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE checkout_session_id = ? ORDER BY id LIMIT 1`, checkoutID))
	return p, notFound(err, "payment for checkout "+checkoutID)
}

// SetPaymentRefunded records how much of a payment was returned.
func (q queries) SetPaymentRefunded(ctx context.Context, id int64, refunded int64) error {
	_, err := q.exec(ctx, `UPDATE payments SET refunded = ? WHERE id = ?`, refunded, id)
	return err
}

// AddInvoiceRefund adds to the refunded part of an invoice.
func (q queries) AddInvoiceRefund(ctx context.Context, invoiceID int64, amount int64) error {
	_, err := q.exec(ctx, `UPDATE invoices SET refunded = refunded + ? WHERE id = ?`, amount, invoiceID)
	return err
}

// ApplyCreditToInvoice moves part of an invoice from charged to paid by credit.
func (q queries) ApplyCreditToInvoice(ctx context.Context, invoiceID int64, amount int64) error {
	_, err := q.exec(ctx, `UPDATE invoices SET amount = amount - ?, credit_applied = credit_applied + ? WHERE id = ? AND amount >= ?`,
		amount, amount, invoiceID, amount)
	return err
}

// AddCreditEntry journals a movement of account credit.
func (q queries) AddCreditEntry(ctx context.Context, e billing.CreditEntry) error {
	_, err := q.exec(ctx, `INSERT INTO credit_entries (user_id, amount, currency, reason, note, payment_id, invoice_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.UserID, e.Amount.Amount, e.Amount.Currency, e.Reason, e.Note, nullID(e.PaymentID),
		nullID(e.InvoiceID), e.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: credit entry: %w", err)
	}
	return nil
}

// CreditEntries lists a user's credit movements, newest first.
func (q queries) CreditEntries(ctx context.Context, userID int64) ([]billing.CreditEntry, error) {
	rows, err := q.query(ctx, `SELECT id, user_id, amount, currency, reason, note, COALESCE(payment_id, 0), COALESCE(invoice_id, 0),
		created_at FROM credit_entries WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: credit entries: %w", err)
	}
	return scanAll(rows, func(r scanner) (billing.CreditEntry, error) {
		var e billing.CreditEntry
		var created int64
		err := r.Scan(&e.ID, &e.UserID, &e.Amount.Amount, &e.Amount.Currency, &e.Reason, &e.Note, &e.PaymentID, &e.InvoiceID, &created)
		e.CreatedAt = time.Unix(created, 0).UTC()
		return e, err
	})
}

// PaymentAccount returns the user's customer and card at a provider.
func (q queries) PaymentAccount(ctx context.Context, userID int64, provider string) (billing.PaymentAccount, error) {
	var a billing.PaymentAccount
	var updated int64
	err := q.queryRow(ctx, `SELECT user_id, provider, customer_ref, card_ref, card_brand, card_last4, card_exp_month, card_exp_year,
		updated_at FROM payment_accounts WHERE user_id = ? AND provider = ?`, userID, provider).Scan(&a.UserID, &a.Provider,
		&a.CustomerRef, &a.Card.Ref, &a.Card.Brand, &a.Card.Last4, &a.Card.ExpMonth, &a.Card.ExpYear, &updated)
	a.UpdatedAt = time.Unix(updated, 0).UTC()
	return a, notFound(err, fmt.Sprintf("payment account of user %d at %s", userID, provider))
}

// PaymentAccountByCustomer finds the account of a provider's customer.
func (q queries) PaymentAccountByCustomer(ctx context.Context, provider, customerRef string) (billing.PaymentAccount, error) {
	var userID int64
	err := q.queryRow(ctx, `SELECT user_id FROM payment_accounts WHERE provider = ? AND customer_ref = ? AND customer_ref <> ''
		ORDER BY user_id LIMIT 1`, provider, customerRef).Scan(&userID)
	if err != nil {
		return billing.PaymentAccount{}, notFound(err, fmt.Sprintf("payment account of customer %s at %s", customerRef, provider))
	}
	return q.PaymentAccount(ctx, userID, provider)
}

// SavePaymentAccount stores the user's customer and card at a provider.
func (q queries) SavePaymentAccount(ctx context.Context, a billing.PaymentAccount) error {
	_, err := q.exec(ctx, `INSERT INTO payment_accounts (user_id, provider, customer_ref, card_ref, card_brand, card_last4,
		card_exp_month, card_exp_year, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, provider) DO UPDATE SET customer_ref = excluded.customer_ref, card_ref = excluded.card_ref,
		card_brand = excluded.card_brand, card_last4 = excluded.card_last4, card_exp_month = excluded.card_exp_month,
		card_exp_year = excluded.card_exp_year, updated_at = excluded.updated_at`,
		a.UserID, a.Provider, a.CustomerRef, a.Card.Ref, a.Card.Brand, a.Card.Last4, a.Card.ExpMonth, a.Card.ExpYear, a.UpdatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: payment account: %w", err)
	}
	return nil
}
