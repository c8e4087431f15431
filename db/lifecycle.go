package db

import (
	"context"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

// Customer returns the user as billing names them.
func (q queries) Customer(ctx context.Context, userID int64) (billing.Customer, error) {
	c := billing.Customer{ID: userID}
	err := q.queryRow(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&c.Email)
	return c, notFound(err, fmt.Sprintf("user %d", userID))
}

// ScheduledChange returns the subscription's pending phase.
func (q queries) ScheduledChange(ctx context.Context, subscriptionID int64) (billing.ScheduledChange, error) {
	var sc billing.ScheduledChange
	var planID string
	var eff, created int64
	err := q.queryRow(ctx, `SELECT id, subscription_id, plan_id, effective_at, created_by, created_at
		FROM scheduled_changes WHERE subscription_id = ? AND canceled_at IS NULL AND applied_at IS NULL`, subscriptionID).
		Scan(&sc.ID, &sc.SubscriptionID, &planID, &eff, &sc.CreatedBy, &created)
	if err != nil {
		return sc, notFound(err, fmt.Sprintf("scheduled change of subscription %d", subscriptionID))
	}
	sc.EffectiveAt, sc.CreatedAt = time.Unix(eff, 0).UTC(), time.Unix(created, 0).UTC()
	sc.Plan, err = q.Plan(ctx, planID)
	return sc, err
}

// ScheduleChange replaces the pending phase with sc.
func (q queries) ScheduleChange(ctx context.Context, sc billing.ScheduledChange) error {
	if _, err := q.CancelScheduledChange(ctx, sc.SubscriptionID, sc.CreatedAt); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO scheduled_changes (subscription_id, plan_id, effective_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?)`, sc.SubscriptionID, sc.Plan.ID, sc.EffectiveAt.Unix(), sc.CreatedBy, sc.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: schedule change: %w", err)
	}
	return nil
}

// CancelScheduledChange withdraws the pending phase.
func (q queries) CancelScheduledChange(ctx context.Context, subscriptionID int64, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE scheduled_changes SET canceled_at = ?
		WHERE subscription_id = ? AND canceled_at IS NULL AND applied_at IS NULL`, at.Unix(), subscriptionID)
	if err != nil {
		return false, fmt.Errorf("db: cancel scheduled change: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// MarkScheduledChangeApplied records that a phase took effect.
func (q queries) MarkScheduledChangeApplied(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE scheduled_changes SET applied_at = ? WHERE id = ?`, at.Unix(), id)
	return err
}

// SubscriptionsDue lists users whose subscription has a period end, a retry
// or the end of grace at or before now.
func (q queries) SubscriptionsDue(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := q.query(ctx, `SELECT user_id FROM subscriptions
		WHERE (status = 'active' AND period_end IS NOT NULL AND period_end <= ?1)
		   OR (status = 'overdue' AND ((next_retry_at IS NOT NULL AND next_retry_at <= ?1) OR grace_ends_at <= ?1))
		ORDER BY user_id`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("db: subscriptions due: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

const chargeColumns = `id, purpose, subscription_id, plan_id, COALESCE(invoice_id, 0), amount, currency, credit_used, due_at,
	status, provider_ref, reason, created_at`

// Charge returns a charge by its idempotency key.
func (q queries) Charge(ctx context.Context, id string) (billing.Charge, error) {
	var c billing.Charge
	var due, created int64
	err := q.queryRow(ctx, `SELECT `+chargeColumns+` FROM charges WHERE id = ?`, id).Scan(&c.ID, &c.Purpose, &c.SubscriptionID,
		&c.PlanID, &c.InvoiceID, &c.Amount.Amount, &c.Amount.Currency, &c.CreditUsed, &due, &c.Status, &c.ProviderRef, &c.Reason, &created)
	c.DueAt, c.CreatedAt = time.Unix(due, 0).UTC(), time.Unix(created, 0).UTC()
	return c, notFound(err, "charge "+id)
}

// CreateCharge stores c unless its key exists, and returns the stored charge.
func (q queries) CreateCharge(ctx context.Context, c billing.Charge) (billing.Charge, error) {
	_, err := q.exec(ctx, `INSERT INTO charges (id, purpose, subscription_id, plan_id, invoice_id, amount, currency, credit_used,
		due_at, status, provider_ref, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, c.ID, c.Purpose, c.SubscriptionID, c.PlanID, nullID(c.InvoiceID), c.Amount.Amount,
		c.Amount.Currency, c.CreditUsed, c.DueAt.Unix(), c.Status, c.ProviderRef, c.Reason, c.CreatedAt.Unix())
	if err != nil {
		return billing.Charge{}, fmt.Errorf("db: create charge: %w", err)
	}
	return q.Charge(ctx, c.ID)
}

// UpdateCharge records a charge's outcome.
func (q queries) UpdateCharge(ctx context.Context, c billing.Charge) error {
	_, err := q.exec(ctx, `UPDATE charges SET status = ?, provider_ref = ?, reason = ?, invoice_id = ? WHERE id = ?`,
		c.Status, c.ProviderRef, c.Reason, nullID(c.InvoiceID), c.ID)
	if err != nil {
		return fmt.Errorf("db: update charge: %w", err)
	}
	return nil
}
