package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

// BillingDetails returns the customer's details; zero when none were given.
func (q queries) BillingDetails(ctx context.Context, userID int64) (billing.BillingDetails, error) {
	var d billing.BillingDetails
	var updated int64
	err := q.queryRow(ctx, `SELECT name, company, line1, line2, postal_code, city, country, tax_id, updated_at
		FROM billing_details WHERE user_id = ?`, userID).
		Scan(&d.Name, &d.Company, &d.Line1, &d.Line2, &d.PostalCode, &d.City, &d.Country, &d.TaxID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return billing.BillingDetails{}, nil
	}
	if err != nil {
		return d, fmt.Errorf("db: billing details of user %d: %w", userID, err)
	}
	d.UpdatedAt = time.Unix(updated, 0).UTC()
	return d, nil
}

// SaveBillingDetails stores the customer's details, replacing earlier ones.
func (q queries) SaveBillingDetails(ctx context.Context, userID int64, d billing.BillingDetails) error {
	_, err := q.exec(ctx, `INSERT INTO billing_details (user_id, name, company, line1, line2, postal_code, city, country, tax_id, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (user_id) DO UPDATE SET name = ?2, company = ?3, line1 = ?4,
		line2 = ?5, postal_code = ?6, city = ?7, country = ?8, tax_id = ?9, updated_at = ?10`,
		userID, d.Name, d.Company, d.Line1, d.Line2, d.PostalCode, d.City, d.Country, d.TaxID, d.UpdatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: save billing details: %w", err)
	}
	return nil
}

// DefaultSeller is the seller whose counter numbers invoices until the
// configuration names sellers.
const DefaultSeller = "default"

// stampInvoice gives a new invoice, in its own transaction, the seller's
// next number and a copy of the customer's billing details and email. The
// counter row is written in the same transaction, so numbers have no gaps:
// an invoice rolled back gives its number back.
func (q queries) stampInvoice(ctx context.Context, invoiceID, userID int64) error {
	if _, err := q.exec(ctx, `INSERT INTO invoice_counters (seller, last) VALUES (?, 0) ON CONFLICT DO NOTHING`, DefaultSeller); err != nil {
		return fmt.Errorf("db: invoice counter: %w", err)
	}
	var n int64
	if err := q.writeRow(ctx, `UPDATE invoice_counters SET last = last + 1 WHERE seller = ? RETURNING last`, DefaultSeller).Scan(&n); err != nil {
		return fmt.Errorf("db: invoice counter: %w", err)
	}
	_, err := q.exec(ctx, `UPDATE invoices SET seller = ?1, number = ?2,
		bill_email = COALESCE((SELECT email FROM users WHERE id = ?3), ''),
		bill_name = COALESCE(d.name, ''), bill_company = COALESCE(d.company, ''), bill_line1 = COALESCE(d.line1, ''),
		bill_line2 = COALESCE(d.line2, ''), bill_postal_code = COALESCE(d.postal_code, ''), bill_city = COALESCE(d.city, ''),
		bill_country = COALESCE(d.country, ''), bill_tax_id = COALESCE(d.tax_id, '')
		FROM (SELECT 1) AS one LEFT JOIN billing_details d ON d.user_id = ?3 WHERE invoices.id = ?4`,
		DefaultSeller, fmt.Sprintf("INV-%06d", n), userID, invoiceID)
	if err != nil {
		return fmt.Errorf("db: stamp invoice %d: %w", invoiceID, err)
	}
	return nil
}
