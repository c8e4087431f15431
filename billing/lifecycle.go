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
		if ctx.Err() != nil { // stopping: leave the rest for the next run
			break
		}
		n, err := s.advanceClaimed(ctx, uid, now)
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

// claimFor is how long a claim on a subscription's due steps lasts without
// renewal; each step renews it. A process that dies holding one delays
// that subscription's steps by at most this long.
const claimFor = 30 * time.Second

// advanceClaimed applies one subscription's due steps while holding the
// claim on it, so several processes (or an advance of the test clock and
// the worker's tick) never work on one subscription at once. A
// subscription another process holds is left to it.
func (s *Service) advanceClaimed(ctx context.Context, userID int64, now time.Time) (int, error) {
	item := fmt.Sprintf("subscription:%d", userID)
	claim := func() (bool, error) {
		wall := s.wall.Now()
		return s.store.ClaimWork(context.WithoutCancel(ctx), item, s.owner, wall, wall.Add(claimFor))
	}
	held, err := claim()
	if err != nil || !held {
		return 0, err
	}
	defer func() { _ = s.store.ReleaseWork(context.WithoutCancel(ctx), item, s.owner) }()
	return s.advance(ctx, userID, now, claim)
}

// maxSteps bounds one subscription's catch-up, in case of a bug that keeps
// a step due; a decade of monthly renewals fits well within it.
const maxSteps = 500

// advance applies one subscription's due steps, oldest first. When ctx
// ends (the server is stopping) it stops between steps, never inside one: a
// step started runs to its end (for a charge, both of its transactions),
// since cutting it would leave work for the next run to repair.
func (s *Service) advance(ctx context.Context, userID int64, now time.Time, renew func() (bool, error)) (int, error) {
	for n := 0; n < maxSteps; n++ {
		if ctx.Err() != nil {
			return n, nil
		}
		if n > 0 { // keep the claim alive between steps; stop if it lapsed and another process took it
			if held, err := renew(); err != nil || !held {
				return n, err
			}
		}
		did, err := s.step(context.WithoutCancel(ctx), userID, now)
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
		return s.retry(ctx, sub)
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
	return s.renew(ctx, sub)
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

// nextAnniversary is the first period end after `after`, counted from anchor.
func nextAnniversary(anchor time.Time, i Interval, after time.Time) time.Time {
	for n := 1; ; n++ {
		if end := PeriodEnd(anchor, i, n); end.After(after) {
			return end
		}
	}
}
