package db

import (
	"context"
	"fmt"

	"github.com/billingportal/portal/billing"
)

// bookChecks are the ledger's invariants as queries: each row a query
// returns is one violation, described by its subject and detail columns.
var bookChecks = []struct {
	rule  string
	query string
}{
	{billing.RuleOneSubscription, `SELECT 'user ' || u.id || ' (' || u.email || ')', 'has ' || COUNT(s.id) || ' current subscriptions'
		FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id WHERE u.role = 'customer' GROUP BY u.id, u.email HAVING COUNT(s.id) <> 1`},
	{billing.RulePaymentAllocated, `SELECT 'payment ' || provider || ':' || ref, held || ' ' || currency || ' held for review: ' || reason
		FROM payments WHERE held > 0`},
	{billing.RulePaymentAllocated, `SELECT 'payment ' || p.provider || ':' || p.ref,
		'credited ' || p.credited || ' but its credit entries add up to ' || COALESCE(SUM(e.amount), 0)
		FROM payments p LEFT JOIN credit_entries e ON e.payment_id = p.id AND e.reason = 'payment'
		GROUP BY p.id, p.provider, p.ref, p.credited HAVING p.credited <> COALESCE(SUM(e.amount), 0)`},
	{billing.RulePaymentAllocated, `SELECT 'payment ' || p.provider || ':' || p.ref,
		'applied ' || p.applied || ' to invoice ' || i.id || ' of ' || i.amount || ' for user ' || i.user_id
		FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.applied <> i.amount OR p.user_id IS DISTINCT FROM i.user_id`},
	{billing.RuleInvoicePaidOnce, `SELECT 'invoice ' || i.id, 'paid ' || i.amount || ' ' || i.currency || ' with no payment in the ledger'
		FROM invoices i WHERE i.status = 'paid' AND i.amount > 0 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id)`},
	{billing.RuleInvoicePaidOnce, `SELECT 'invoice ' || i.id, 'marked failed but paid by payment ' || p.ref
		FROM invoices i JOIN payments p ON p.invoice_id = i.id WHERE i.status <> 'paid'`},
	{billing.RuleInvoicePaidOnce, `SELECT 'invoice ' || invoice_id, 'paid by ' || COUNT(*) || ' payments'
		FROM payments WHERE invoice_id IS NOT NULL GROUP BY invoice_id HAVING COUNT(*) > 1`},
	{billing.RuleCheckoutInvoiced, `SELECT 'checkout ' || c.id, 'completed without a paid invoice'
		FROM checkout_sessions c WHERE c.status = 'completed' AND NOT EXISTS (SELECT 1 FROM payments p
		JOIN invoices i ON i.id = p.invoice_id WHERE p.checkout_session_id = c.id AND i.status = 'paid')`},
	{billing.RuleCreditBalance, `SELECT 'user ' || s.user_id, 'credit ' || s.credit || ' but its entries add up to ' || COALESCE(SUM(e.amount), 0)
		FROM subscriptions s LEFT JOIN credit_entries e ON e.user_id = s.user_id
		GROUP BY s.id, s.user_id, s.credit HAVING s.credit <> COALESCE(SUM(e.amount), 0) OR s.credit < 0`},
	{billing.RuleChargeRecorded, `SELECT 'charge ' || c.id, 'succeeded for ' || c.amount || ' ' || c.currency || ' with no payment in the ledger'
		FROM charges c WHERE c.status = 'succeeded' AND c.amount > 0 AND c.reason <> 'before the ledger'
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.charge_id = c.id)`},
}

// BookViolations runs every invariant of the books on the live database.
func (q queries) BookViolations(ctx context.Context) ([]billing.Violation, error) {
	var out []billing.Violation
	for _, check := range bookChecks {
		rows, err := q.query(ctx, check.query)
		if err != nil {
			return nil, fmt.Errorf("db: books check %s: %w", check.rule, err)
		}
		found, err := scanAll(rows, func(r scanner) (billing.Violation, error) {
			v := billing.Violation{Rule: check.rule}
			return v, r.Scan(&v.Subject, &v.Detail)
		})
		if err != nil {
			return nil, fmt.Errorf("db: books check %s: %w", check.rule, err)
		}
		out = append(out, found...)
	}
	return out, nil
}
