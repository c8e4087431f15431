package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/billingportal/portal/billing"
)

// InTx implements billing.Store.
func (s *Store) InTx(ctx context.Context, fn func(billing.Tx) error) error {
	return s.inTx(ctx, func(q queries) error { return fn(q) })
}

const planColumns = `p.id, p.interval, p.interval_count, p.amount, p.currency, p.is_default, p.active,
	r.id, r.key, r.name, r.description, r.features, r.limits, r.flags, r.rank`

const planJoin = `plans p JOIN products r ON r.id = p.product_id`

type scanner interface{ Scan(dest ...any) error }

func scanPlan(row scanner, extra ...any) (billing.Plan, error) {
	var p billing.Plan
	var features, limits, flags string
	var key sql.NullString
	dest := append([]any{&p.ID, &p.Interval.Unit, &p.Interval.Count, &p.Price.Amount, &p.Price.Currency, &p.IsDefault, &p.Active,
		&p.Product.ID, &key, &p.Product.Name, &p.Product.Description, &features, &limits, &flags, &p.Product.Rank}, extra...)
	if err := row.Scan(dest...); err != nil {
		return billing.Plan{}, err
	}
	p.Product.Key = key.String
	for _, f := range []struct {
		raw string
		to  any
	}{{features, &p.Product.Features}, {limits, &p.Product.Entitlements.Limits}, {flags, &p.Product.Entitlements.Flags}} {
		if err := json.Unmarshal([]byte(f.raw), f.to); err != nil {
			return billing.Plan{}, fmt.Errorf("db: plan %s product: %w", p.ID, err)
		}
	}
	return p, nil
}

// Plans returns every plan, cheapest product first, monthly before annual.
// Callers get a copy they may change.
func (q queries) Plans(ctx context.Context) ([]billing.Plan, error) {
	plans, err := q.catalogue(ctx)
	return slices.Clone(plans), err
}

// catalogue is the cached list of every plan, shared: read it, never change it.
func (q queries) catalogue(ctx context.Context) ([]billing.Plan, error) {
	if cached := q.plans.Load(); cached != nil {
		return *cached, nil
	}
	plans, err := q.loadPlans(ctx)
	if err != nil {
		return nil, err
	}
	q.plans.Store(&plans)
	return plans, nil
}

func (q queries) loadPlans(ctx context.Context) ([]billing.Plan, error) {
	rows, err := q.query(ctx, `SELECT `+planColumns+` FROM `+planJoin+` ORDER BY r.rank, r.id, p.interval = 'year', p.interval = 'month', p.interval_count, p.amount`)
	if err != nil {
		return nil, fmt.Errorf("db: plans: %w", err)
	}
	return scanAll(rows, func(r scanner) (billing.Plan, error) { return scanPlan(r) })
}

// Plan returns one plan by id.
// The catalogue holds every plan, active or not, so a miss is not found.
func (q queries) Plan(ctx context.Context, id string) (billing.Plan, error) {
	plans, err := q.catalogue(ctx)
	if err != nil {
		return billing.Plan{}, err
	}
	for _, p := range plans {
		if p.ID == id {
			return p, nil
		}
	}
	return billing.Plan{}, fmt.Errorf("db: plan %s: %w", id, billing.ErrNotFound)
}

const subscriptionColumns = `s.id, s.user_id, s.status, s.anchor, s.period_start, s.period_end,
	s.cancel_at_period_end, s.cancel_reason, s.cancel_comment, s.canceled_at, s.ended_at, s.credit,
	s.payment_failed_at, s.retry_count, s.next_retry_at, s.grace_ends_at, COALESCE(s.overdue_invoice_id, 0), s.updated_at`

// Subscription returns the user's current subscription with its plan.
func (q queries) Subscription(ctx context.Context, userID int64) (billing.Subscription, error) {
	sub, err := q.subscriptionWhere(ctx, "s.user_id = ?", userID)
	return sub, notFound(err, fmt.Sprintf("subscription of user %d", userID))
}

// SubscriptionByID returns a subscription by its own id.
func (q queries) SubscriptionByID(ctx context.Context, id int64) (billing.Subscription, error) {
	sub, err := q.subscriptionWhere(ctx, "s.id = ?", id)
	return sub, notFound(err, fmt.Sprintf("subscription %d", id))
}

func (q queries) subscriptionWhere(ctx context.Context, where string, arg any) (billing.Subscription, error) {
	var s billing.Subscription
	var planID string
	var anchor, start int64
	var end, canceled, ended, failed, retry, grace sql.NullInt64
	var updated int64
	err := q.queryRow(ctx, `SELECT s.plan_id, `+subscriptionColumns+` FROM subscriptions s WHERE `+where, arg).Scan(
		&planID, &s.ID, &s.UserID, &s.Status, &anchor, &start, &end, &s.CancelAtPeriodEnd, &s.CancelReason, &s.CancelComment,
		&canceled, &ended, &s.Credit, &failed, &s.RetryCount, &retry, &grace, &s.OverdueInvoiceID, &updated)
	if err != nil {
		return billing.Subscription{}, err
	}
	// The plan comes from the cached catalogue rather than a join: it is
	// the same on every page and costs a JSON decode per row otherwise.
	if s.Plan, err = q.Plan(ctx, planID); err != nil {
		return billing.Subscription{}, err
	}
	s.Anchor, s.PeriodStart = time.Unix(anchor, 0).UTC(), time.Unix(start, 0).UTC()
	s.PeriodEnd, s.CanceledAt, s.EndedAt = fromUnix(end), fromUnix(canceled), fromUnix(ended)
	s.PaymentFailedAt, s.NextRetryAt, s.GraceEndsAt = fromUnix(failed), fromUnix(retry), fromUnix(grace)
	s.UpdatedAt = time.Unix(updated, 0).UTC()
	return s, nil
}

// UpdateSubscription writes every mutable field of the subscription.
func (q queries) UpdateSubscription(ctx context.Context, s billing.Subscription) error {
	_, err := q.exec(ctx, `UPDATE subscriptions SET plan_id = ?, status = ?, anchor = ?, period_start = ?,
		period_end = ?, cancel_at_period_end = ?, cancel_reason = ?, cancel_comment = ?, canceled_at = ?, ended_at = ?,
		credit = ?, payment_failed_at = ?, retry_count = ?, next_retry_at = ?, grace_ends_at = ?, overdue_invoice_id = ?,
		updated_at = ? WHERE id = ?`,
		s.Plan.ID, s.Status, s.Anchor.Unix(), s.PeriodStart.Unix(), unix(s.PeriodEnd), boolInt(s.CancelAtPeriodEnd),
		s.CancelReason, s.CancelComment, unix(s.CanceledAt), unix(s.EndedAt), s.Credit, unix(s.PaymentFailedAt),
		s.RetryCount, unix(s.NextRetryAt), unix(s.GraceEndsAt), nullID(s.OverdueInvoiceID), s.UpdatedAt.Unix(), s.ID)
	if err != nil {
		return fmt.Errorf("db: update subscription %d: %w", s.ID, err)
	}
	return nil
}

// Invoices returns the user's invoices, newest first.
func (q queries) Invoices(ctx context.Context, userID int64) ([]billing.Invoice, error) {
	rows, err := q.query(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: invoices: %w", err)
	}
	return scanAll(rows, scanInvoice)
}

const invoiceColumns = `id, user_id, description, amount, currency, status, period_start, period_end,
	COALESCE(checkout_session_id, ''), credit_applied, proration_credit, refunded,
	COALESCE((SELECT opened_by_manager FROM checkout_sessions c WHERE c.id = checkout_session_id), 0), created_at,
	COALESCE(number, ''), bill_name, bill_company, bill_line1, bill_line2, bill_postal_code, bill_city, bill_country, bill_tax_id, bill_email`

func scanInvoice(row scanner) (billing.Invoice, error) {
	var inv billing.Invoice
	var ps, pe sql.NullInt64
	var created int64
	b := &inv.BillTo
	err := row.Scan(&inv.ID, &inv.UserID, &inv.Description, &inv.Amount.Amount, &inv.Amount.Currency, &inv.Status,
		&ps, &pe, &inv.CheckoutID, &inv.CreditApplied, &inv.ProrationCredit, &inv.Refunded, &inv.ByManager, &created,
		&inv.Number, &b.Name, &b.Company, &b.Line1, &b.Line2, &b.PostalCode, &b.City, &b.Country, &b.TaxID, &inv.BillToEmail)
	inv.PeriodStart, inv.PeriodEnd, inv.CreatedAt = fromUnix(ps), fromUnix(pe), time.Unix(created, 0).UTC()
	return inv, err
}

// Invoice returns one invoice.
func (q queries) Invoice(ctx context.Context, id int64) (billing.Invoice, error) {
	inv, err := scanInvoice(q.queryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = ?`, id))
	return inv, notFound(err, fmt.Sprintf("invoice %d", id))
}

// SetInvoiceStatus marks an invoice paid or failed.
func (q queries) SetInvoiceStatus(ctx context.Context, id int64, status billing.InvoiceStatus) error {
	_, err := q.exec(ctx, `UPDATE invoices SET status = ? WHERE id = ?`, status, id)
	if err != nil {
		return fmt.Errorf("db: invoice %d status: %w", id, err)
	}
	return nil
}

// CreateInvoice stores an invoice with the seller's next number and the
// customer's billing details as they are now, and returns its id.
func (q queries) CreateInvoice(ctx context.Context, inv billing.Invoice) (int64, error) {
	var checkout any
	if inv.CheckoutID != "" {
		checkout = inv.CheckoutID
	}
	var id int64
	err := q.writeRow(ctx, `INSERT INTO invoices (user_id, description, amount, currency, status, period_start,
		period_end, checkout_session_id, credit_applied, proration_credit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		inv.UserID, inv.Description, inv.Amount.Amount, inv.Amount.Currency, inv.Status, unix(inv.PeriodStart),
		unix(inv.PeriodEnd), checkout, inv.CreditApplied, inv.ProrationCredit, inv.CreatedAt.Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: create invoice: %w", err)
	}
	return id, q.stampInvoice(ctx, id, inv.UserID)
}

const checkoutColumns = `id, user_id, purpose, COALESCE(invoice_id, 0), credit_used, opened_by_manager, from_plan_id, plan_id, timing,
	amount, currency, status, payment_url, COALESCE(provider_ref, ''), closed_reason, created_at, expires_at, completed_at`

func scanCheckout(row scanner) (billing.CheckoutSession, error) {
	var c billing.CheckoutSession
	var created, expires int64
	var completed sql.NullInt64
	err := row.Scan(&c.ID, &c.UserID, &c.Purpose, &c.InvoiceID, &c.CreditUsed, &c.ByManager, &c.FromPlanID, &c.PlanID, &c.Timing,
		&c.Amount.Amount, &c.Amount.Currency, &c.Status, &c.PaymentURL, &c.ProviderRef, &c.ClosedReason, &created, &expires, &completed)
	c.CreatedAt, c.ExpiresAt, c.CompletedAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC(), fromUnix(completed)
	return c, err
}

// CheckoutSession returns a checkout session by the portal's id.
func (q queries) CheckoutSession(ctx context.Context, id string) (billing.CheckoutSession, error) {
	c, err := scanCheckout(q.queryRow(ctx, `SELECT `+checkoutColumns+` FROM checkout_sessions WHERE id = ?`, id))
	return c, notFound(err, "checkout session "+id)
}

// CheckoutSessionByRef returns a checkout session by the provider's reference.
func (q queries) CheckoutSessionByRef(ctx context.Context, ref string) (billing.CheckoutSession, error) {
	c, err := scanCheckout(q.queryRow(ctx, `SELECT `+checkoutColumns+` FROM checkout_sessions WHERE provider_ref = ?`, ref))
	return c, notFound(err, "checkout session with provider ref "+ref)
}

// OpenCheckoutSessions returns the user's open checkout sessions.
func (q queries) OpenCheckoutSessions(ctx context.Context, userID int64) ([]billing.CheckoutSession, error) {
	rows, err := q.query(ctx, `SELECT `+checkoutColumns+` FROM checkout_sessions WHERE user_id = ? AND status = 'open' ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: open checkout sessions: %w", err)
	}
	return scanAll(rows, scanCheckout)
}

// CreateCheckoutSession stores a new checkout session.
func (q queries) CreateCheckoutSession(ctx context.Context, c billing.CheckoutSession) error {
	_, err := q.exec(ctx, `INSERT INTO checkout_sessions (id, user_id, purpose, invoice_id, credit_used,
		opened_by_manager, from_plan_id, plan_id, timing, amount, currency, status, payment_url, provider_ref, created_at,
		expires_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.UserID, c.Purpose, nullID(c.InvoiceID), c.CreditUsed, boolInt(c.ByManager), c.FromPlanID, c.PlanID, c.Timing, c.Amount.Amount, c.Amount.Currency, c.Status, c.PaymentURL,
		nullString(c.ProviderRef), c.CreatedAt.Unix(), c.ExpiresAt.Unix(), unix(c.CompletedAt))
	if err != nil {
		return fmt.Errorf("db: create checkout session: %w", err)
	}
	return nil
}

// UpdateCheckoutSession writes a checkout session's status and provider details.
func (q queries) UpdateCheckoutSession(ctx context.Context, c billing.CheckoutSession) error {
	_, err := q.exec(ctx, `UPDATE checkout_sessions SET status = ?, payment_url = ?, provider_ref = ?, closed_reason = ?,
		completed_at = ? WHERE id = ?`, c.Status, c.PaymentURL, nullString(c.ProviderRef), c.ClosedReason, unix(c.CompletedAt), c.ID)
	if err != nil {
		return fmt.Errorf("db: update checkout session %s: %w", c.ID, err)
	}
	return nil
}

// RecordProviderEvent stores an event id under a unique key.
func (q queries) RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO provider_events (provider, event_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, provider, eventID, at.Unix())
	if err != nil {
		return false, fmt.Errorf("db: record provider event: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddAudit appends to the audit log; emails are looked up when not given.
func (q queries) AddAudit(ctx context.Context, e billing.AuditEntry) error {
	_, err := q.exec(ctx, `INSERT INTO audit_log (at, actor_id, actor_email, subject_id, subject_email,
		impersonated, action, reason, before, after, request_id, ip)
		VALUES (?, ?, ?, ?, COALESCE(NULLIF(?, ''), (SELECT email FROM users WHERE id = ?), ''), ?, ?, ?, ?, ?, ?, ?)`,
		e.At.Unix(), nullID(e.Actor.UserID), e.Actor.Email, nullID(e.Subject.ID), e.Subject.Email, e.Subject.ID,
		boolInt(e.Impersonated || e.Actor.Impersonated), e.Action, firstNonEmpty(e.Reason, e.Actor.Reason), e.Before, e.After,
		e.Actor.RequestID, e.Actor.IP)
	if err != nil {
		return fmt.Errorf("db: audit: %w", err)
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// notFound turns sql.ErrNoRows into billing.ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: %s: %w", what, billing.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// AuditLog lists audit entries matching f, newest first, and counts them all.
func (q queries) AuditLog(ctx context.Context, f billing.AuditFilter) ([]billing.AuditEntry, int, error) {
	where := ` FROM audit_log WHERE (?1 = 0 OR subject_id = ?1) AND (?2 = '' OR lower(actor_email) LIKE '%' || lower(?2) || '%')
		AND (?3 = '' OR action LIKE ?3 || '%')`
	args := []any{f.SubjectID, f.Actor, f.Action}
	var total int
	if err := q.queryRow(ctx, `SELECT COUNT(*)`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("db: audit log: %w", err)
	}
	rows, err := q.query(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor_email, COALESCE(subject_id, 0), subject_email,
		impersonated, action, reason, before, after, request_id, ip`+where+` ORDER BY at DESC, id DESC LIMIT ?4 OFFSET ?5`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("db: audit log: %w", err)
	}
	defer rows.Close()
	var out []billing.AuditEntry
	for rows.Next() {
		var e billing.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor.UserID, &e.Actor.Email, &e.Subject.ID, &e.Subject.Email, &e.Impersonated,
			&e.Action, &e.Reason, &e.Before, &e.After, &e.Actor.RequestID, &e.Actor.IP); err != nil {
			return nil, 0, err
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, total, rows.Err()
}
