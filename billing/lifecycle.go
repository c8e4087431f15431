package billing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RunDue applies every lifecycle step due at the current billing time, in
// order for each subscription: cancellations that take effect, scheduled
// changes, renewals, dunning retries and the end of grace. One advance of
// the clock may cross several periods; each is applied in turn. Running it
// twice for the same moment changes nothing the second time.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	users, err := s.store.SubscriptionsDue(ctx, now)
	if err != nil {
		return 0, err
	}
	steps := 0
	var errs []error
	for _, uid := range users {
		n, err := s.advance(ctx, uid, now)
		steps += n
		if err != nil {
			errs = append(errs, fmt.Errorf("user %d: %w", uid, err))
		}
	}
	// Reminders look at the periods the steps above left in force.
	if _, err := s.remindRenewals(ctx, now); err != nil {
		errs = append(errs, err)
	}
	return steps, errors.Join(errs...)
}

// maxSteps bounds one subscription's catch-up, in case of a bug that keeps
// a step due; a decade of monthly renewals fits well within it.
const maxSteps = 500

// advance applies one subscription's due steps, oldest first.
func (s *Service) advance(ctx context.Context, userID int64, now time.Time) (int, error) {
	for n := 0; n < maxSteps; n++ {
		did, err := s.step(ctx, userID, now)
		if err != nil || !did {
			return n, err
		}
	}
	return maxSteps, fmt.Errorf("still due after %d steps", maxSteps)
}

// step applies the earliest due step, if any. Each step is one transaction,
// except charges, whose provider call sits between two (see renew).
func (s *Service) step(ctx context.Context, userID int64, now time.Time) (bool, error) {
	sub, err := s.store.Subscription(ctx, userID)
	if err != nil {
		return false, err
	}
	switch {
	case sub.Status == Overdue && !now.Before(sub.GraceEndsAt):
		return true, s.endUnpaid(ctx, sub)
	case sub.Status == Overdue && !sub.NextRetryAt.IsZero() && !now.Before(sub.NextRetryAt):
		return true, s.retry(ctx, sub)
	case sub.Status == Overdue || !sub.Renews() || now.Before(sub.PeriodEnd):
		return false, nil
	case sub.CancelAtPeriodEnd:
		return true, s.endCancelled(ctx, sub)
	}
	sc, err := s.store.ScheduledChange(ctx, sub.ID)
	switch {
	case err == nil && !sc.EffectiveAt.After(sub.PeriodEnd):
		return true, s.applyScheduled(ctx, sub, sc)
	case err != nil && !errors.Is(err, ErrNotFound):
		return false, err
	}
	return true, s.renew(ctx, sub)
}

var worker = Actor{Email: "lifecycle worker"}

// unchanged re-reads the subscription inside a transaction and reports
// whether it is still as the step saw it, so two workers never apply the
// same step twice.
func unchanged(ctx context.Context, tx Tx, seen Subscription) (Subscription, bool, error) {
	cur, err := tx.Subscription(ctx, seen.UserID)
	if err != nil {
		return cur, false, err
	}
	return cur, cur.UpdatedAt.Equal(seen.UpdatedAt) && cur.Status == seen.Status && cur.PeriodEnd.Equal(seen.PeriodEnd) &&
		cur.Plan.ID == seen.Plan.ID && cur.RetryCount == seen.RetryCount, nil
}

// toFree moves a subscription to the free plan at `at`, ending the paid one.
func (s *Service) toFree(ctx context.Context, tx Tx, sub Subscription, at time.Time, status Status, action string) error {
	free, err := defaultPlan(ctx, tx)
	if err != nil {
		return err
	}
	before := describe(sub)
	if _, err := tx.CancelScheduledChange(ctx, sub.ID, at); err != nil {
		return err
	}
	sub.Plan, sub.Status = free, status
	sub.Anchor, sub.PeriodStart, sub.PeriodEnd, sub.EndedAt = at, at, time.Time{}, at
	sub.CancelAtPeriodEnd = false // the reason and the time it was asked for stay, for the record
	clearDunning(&sub)
	sub.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, sub); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: at, Actor: worker, Subject: Customer{ID: sub.UserID}, Action: action, Before: before, After: describe(sub)})
}

func defaultPlan(ctx context.Context, r Reader) (Plan, error) {
	plans, err := r.Plans(ctx)
	if err != nil {
		return Plan{}, err
	}
	for _, p := range plans {
		if p.IsDefault {
			return p, nil
		}
	}
	return Plan{}, errors.New("billing: the catalogue has no default plan")
}

// endCancelled ends a subscription cancelled at period end: the customer
// moves to the free plan when the paid period runs out.
func (s *Service) endCancelled(ctx context.Context, seen Subscription) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		sub, ok, err := unchanged(ctx, tx, seen)
		if err != nil || !ok {
			return err
		}
		return s.toFree(ctx, tx, sub, sub.PeriodEnd, Canceled, "subscription.ended")
	})
}

// endUnpaid cancels an overdue subscription whose grace period is over.
func (s *Service) endUnpaid(ctx context.Context, seen Subscription) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		sub, ok, err := unchanged(ctx, tx, seen)
		if err != nil || !ok {
			return err
		}
		return s.toFree(ctx, tx, sub, sub.GraceEndsAt, Canceled, "subscription.canceled_unpaid")
	})
}

// applyScheduled switches to the scheduled plan at the period end. A paid
// plan is then due at once, and the next step renews (charges) it.
func (s *Service) applyScheduled(ctx context.Context, seen Subscription, sc ScheduledChange) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		sub, ok, err := unchanged(ctx, tx, seen)
		if err != nil || !ok {
			return err
		}
		at := sub.PeriodEnd
		if err := tx.MarkScheduledChangeApplied(ctx, sc.ID, at); err != nil {
			return err
		}
		if sc.Plan.Free() {
			return s.toFree(ctx, tx, sub, at, Active, "change.applied")
		}
		before := describe(sub)
		sub.Plan, sub.Anchor, sub.PeriodStart = sc.Plan, at, at // PeriodEnd stays at `at`: the new plan's first period is due
		sub.UpdatedAt = s.clock.Now()
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{At: at, Actor: worker, Subject: Customer{ID: sub.UserID}, Action: "change.applied",
			Before: before, After: fmt.Sprintf("%s (%s) from %s", sc.Plan.Name(), sc.Plan.ID, at.Format(time.RFC3339))})
	})
}

// renew charges the next period. The charge row is written first under an
// idempotency key, the provider is called outside any transaction with that
// key, and the outcome is applied in a second transaction; a crash anywhere
// leaves a pending charge that the next run completes without charging twice.
func (s *Service) renew(ctx context.Context, sub Subscription) error {
	at := sub.PeriodEnd
	used := min(sub.Credit, sub.Plan.Price.Amount)
	c := Charge{ID: fmt.Sprintf("renewal:%d:%d", sub.ID, at.Unix()), SubscriptionID: sub.ID, PlanID: sub.Plan.ID,
		Amount: Money{sub.Plan.Price.Amount - used, sub.Plan.Price.Currency}, CreditUsed: used, DueAt: at,
		Status: ChargePending, CreatedAt: s.clock.Now()}
	c, res, err := s.charge(ctx, sub, c, sub.Plan.Name()+" renewal")
	if err != nil {
		return err
	}
	return s.settleCharge(ctx, sub, c, res, func(tx Tx, cur Subscription) error {
		next := nextAnniversary(cur.Anchor, cur.Plan.Interval, at)
		before := describe(cur)
		inv := Invoice{UserID: cur.UserID, Description: cur.Plan.Name() + " renewal", Amount: cur.Plan.Price, Status: InvoicePaid,
			PeriodStart: at, PeriodEnd: next, CreditApplied: used, CreatedAt: at}
		inv.Amount.Amount -= used
		cur.PeriodStart, cur.PeriodEnd = at, next
		action := "subscription.renewed"
		if res.Succeeded {
			cur.Credit -= used
		} else {
			inv.Status, action = InvoiceFailed, "renewal.failed"
			cur.Status, cur.PaymentFailedAt, cur.RetryCount = Overdue, at, 0
			cur.NextRetryAt, cur.GraceEndsAt = at.Add(RetrySchedule[0]), at.Add(PermitDays*24*time.Hour)
		}
		id, err := tx.CreateInvoice(ctx, inv)
		if err != nil {
			return err
		}
		if !res.Succeeded {
			cur.OverdueInvoiceID = id
		}
		cur.UpdatedAt = s.clock.Now()
		if err := tx.UpdateSubscription(ctx, cur); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{At: at, Actor: worker, Subject: Customer{ID: cur.UserID}, Action: action,
			Before: before, After: describe(cur), Reason: res.Reason})
	})
}

// retry charges an overdue invoice again, on the dunning schedule.
func (s *Service) retry(ctx context.Context, sub Subscription) error {
	inv, err := s.store.Invoice(ctx, sub.OverdueInvoiceID)
	if err != nil {
		return err
	}
	c := Charge{ID: fmt.Sprintf("retry:%d:%d:%d", sub.ID, inv.ID, sub.RetryCount+1), SubscriptionID: sub.ID, PlanID: sub.Plan.ID,
		Amount: inv.Amount, DueAt: sub.NextRetryAt, Status: ChargePending, CreatedAt: s.clock.Now()}
	c, res, err := s.charge(ctx, sub, c, inv.Description+" (retry)")
	if err != nil {
		return err
	}
	return s.settleCharge(ctx, sub, c, res, func(tx Tx, cur Subscription) error {
		if res.Succeeded {
			return s.settleOverdue(ctx, tx, worker, cur, inv.ID, "overdue.recovered")
		}
		before := describe(cur)
		cur.RetryCount++
		cur.NextRetryAt = time.Time{}
		if cur.RetryCount < len(RetrySchedule) {
			cur.NextRetryAt = cur.PaymentFailedAt.Add(RetrySchedule[cur.RetryCount])
		}
		cur.UpdatedAt = s.clock.Now()
		if err := tx.UpdateSubscription(ctx, cur); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{At: c.DueAt, Actor: worker, Subject: Customer{ID: cur.UserID}, Action: "retry.failed",
			Before: before, After: describe(cur), Reason: res.Reason})
	})
}

// settleCharge records the provider's answer and applies it in one
// transaction: apply runs only if the charge was not recorded before and
// the subscription is still as the step saw it; otherwise money taken
// becomes credit.
func (s *Service) settleCharge(ctx context.Context, seen Subscription, c Charge, res ChargeResult, apply func(tx Tx, cur Subscription) error) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		cur, ok, err := unchanged(ctx, tx, seen)
		if err != nil {
			return err
		}
		if done, err := recordCharge(ctx, tx, &c, res); err != nil || done {
			return err
		}
		if !ok {
			return s.creditOrphanCharge(ctx, tx, cur, c, res)
		}
		return apply(tx, cur)
	})
}

// creditOrphanCharge handles money taken for a step that no longer applies
// because the subscription changed while the provider was being called:
// nothing is lost, it becomes account credit for the next charge.
func (s *Service) creditOrphanCharge(ctx context.Context, tx Tx, cur Subscription, c Charge, res ChargeResult) error {
	if !res.Succeeded || c.Amount.IsZero() {
		return nil
	}
	before := describe(cur)
	cur.Credit += c.Amount.Amount
	cur.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, cur); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: worker, Subject: Customer{ID: cur.UserID}, Action: "charge.credited",
		Before: before, After: fmt.Sprintf("%s credited from charge %s", c.Amount, c.ID)})
}

// charge stores the charge (or finds it stored) and asks the provider for
// the money unless it is already settled or nothing is owed.
func (s *Service) charge(ctx context.Context, sub Subscription, c Charge, description string) (Charge, ChargeResult, error) {
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		c, err = tx.CreateCharge(ctx, c)
		return err
	})
	if err != nil {
		return c, ChargeResult{}, err
	}
	switch {
	case c.Status != ChargePending:
		return c, ChargeResult{Ref: c.ProviderRef, Succeeded: c.Status == ChargeSucceeded}, nil
	case c.Amount.IsZero():
		return c, ChargeResult{Succeeded: true}, nil
	}
	cust, err := s.store.Customer(ctx, sub.UserID)
	if err != nil {
		return c, ChargeResult{}, err
	}
	res, err := s.provider.Charge(ctx, ChargeRequest{Key: c.ID, Amount: c.Amount, Email: cust.Email, Description: description})
	if err != nil {
		return c, ChargeResult{}, &ProviderError{Err: err}
	}
	return c, res, nil
}

// recordCharge stores the provider's answer; done is true when another
// worker already recorded it (and applied its effects).
func recordCharge(ctx context.Context, tx Tx, c *Charge, res ChargeResult) (done bool, err error) {
	stored, err := tx.Charge(ctx, c.ID)
	if err != nil {
		return false, err
	}
	if stored.Status != ChargePending {
		return true, nil
	}
	c.Status, c.ProviderRef = ChargeFailed, res.Ref
	if res.Succeeded {
		c.Status = ChargeSucceeded
	}
	return false, tx.UpdateCharge(ctx, *c)
}

// settleOverdue marks the overdue invoice paid and makes the subscription
// active again, keeping its period.
func (s *Service) settleOverdue(ctx context.Context, tx Tx, actor Actor, sub Subscription, invoiceID int64, action string) error {
	if sub.Status != Overdue || sub.OverdueInvoiceID != invoiceID {
		s.log.Warn("overdue payment for a subscription no longer overdue on that invoice", "user", sub.UserID, "invoice", invoiceID)
		return tx.SetInvoiceStatus(ctx, invoiceID, InvoicePaid)
	}
	before := describe(sub)
	if err := tx.SetInvoiceStatus(ctx, invoiceID, InvoicePaid); err != nil {
		return err
	}
	sub.Status = Active
	clearDunning(&sub)
	sub.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, sub); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: actor, Subject: Customer{ID: sub.UserID}, Action: action, Before: before, After: describe(sub)})
}

// nextAnniversary is the first period end after `after`, counted from anchor.
func nextAnniversary(anchor time.Time, i Interval, after time.Time) time.Time {
	for n := 1; ; n++ {
		if end := PeriodEnd(anchor, i, n); end.After(after) {
			return end
		}
	}
}

// PayOverdue opens a checkout for the overdue invoice, so the customer can
// pay with another card while retries continue.
func (s *Service) PayOverdue(ctx context.Context, actor Actor, cust Customer, opts ...ChangeOption) (CheckoutSession, error) {
	var o changeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var cs CheckoutSession
	var stale []string
	var desc string
	err := s.store.InTx(ctx, func(tx Tx) error {
		sub, err := tx.Subscription(ctx, cust.ID)
		if err != nil {
			return err
		}
		if sub.Status != Overdue || sub.OverdueInvoiceID == 0 {
			return &ConflictError{Message: "Nothing is overdue: your payments are up to date."}
		}
		inv, err := tx.Invoice(ctx, sub.OverdueInvoiceID)
		if err != nil {
			return err
		}
		desc = inv.Description + ", overdue since " + sub.PaymentFailedAt.Format("2 January 2006")
		cs, stale, err = s.openCheckout(ctx, tx, cust, CheckoutSession{Purpose: ForOverdue, InvoiceID: inv.ID,
			FromPlanID: sub.Plan.ID, PlanID: sub.Plan.ID, Timing: Now, Amount: inv.Amount, ByManager: actor.Impersonated})
		return err
	})
	if err != nil {
		return CheckoutSession{}, err
	}
	s.expireAtProvider(ctx, stale)
	if cs.PaymentURL != "" {
		return cs, nil
	}
	return s.attachProvider(ctx, cust, cs, desc, o.returnURL)
}
