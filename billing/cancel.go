package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CancelReasons are the reasons a customer may give, in the order shown.
var CancelReasons = []struct{ Code, Label string }{
	{"too_expensive", "It's too expensive"},
	{"missing_features", "It's missing features I need"},
	{"switched_service", "I switched to another service"},
	{"unused", "I don't use it enough"},
	{"customer_service", "Customer service was not good enough"},
	{"too_complex", "It's too complicated"},
	{"low_quality", "Quality was lower than expected"},
	{"other", "Another reason"},
}

// CancelReasonLabel returns the words for a reason code, or "".
func CancelReasonLabel(code string) string {
	for _, r := range CancelReasons {
		if r.Code == code {
			return r.Label
		}
	}
	return ""
}

// MaxCommentLength bounds the optional cancellation comment.
const MaxCommentLength = 1000

// Policy is the change policy in force, for pages that offer only what it allows.
func (s *Service) Policy() Policy { return *s.policy }

// Cancel ends the subscription at the end of the paid period: the plan
// stays until then, and the customer then moves to the free plan.
func (s *Service) Cancel(ctx context.Context, actor Actor, cust Customer, reason, comment string) (Subscription, error) {
	comment = strings.TrimSpace(comment)
	switch {
	case CancelReasonLabel(reason) == "":
		return Subscription{}, Invalid("reason", "Choose a reason for cancelling.")
	case len([]rune(comment)) > MaxCommentLength:
		return Subscription{}, Invalid("comment", "Keep the comment under %d characters.", MaxCommentLength)
	}
	if !s.policy.Switches.Cancel {
		return Subscription{}, &ConflictError{Message: "Cancelling here is not offered. Contact support to end your subscription."}
	}
	var out Subscription
	err := s.store.InTx(ctx, func(tx Tx) error {
		sub, err := tx.Subscription(ctx, cust.ID)
		if err != nil {
			return err
		}
		switch {
		case !sub.Renews():
			return &ConflictError{Message: "You are on the free plan: there is nothing to cancel."}
		case sub.Status == Overdue:
			return &ConflictError{Message: "Your last payment failed. Pay it, or move to the free plan, which ends your paid plan today."}
		case sub.CancelAtPeriodEnd:
			return &ConflictError{Message: fmt.Sprintf("Your subscription is already set to end on %s.", sub.PeriodEnd.Format("2 January 2006"))}
		}
		now := s.clock.Now()
		before := describe(sub)
		// A scheduled change would contradict the cancellation: the customer
		// moves to the free plan, so it is withdrawn.
		if _, err := tx.CancelScheduledChange(ctx, sub.ID, now); err != nil {
			return err
		}
		sub.CancelAtPeriodEnd, sub.CancelReason, sub.CancelComment, sub.CanceledAt, sub.UpdatedAt = true, reason, comment, now, now
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		out = sub
		return s.record(ctx, tx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: "subscription.cancel_requested",
			Reason: reason, Before: before, After: fmt.Sprintf("ends %s; reason %s; %s", sub.PeriodEnd.Format(time.RFC3339), reason, comment)})
	})
	return out, err
}

// Resume withdraws a cancellation before the period ends.
func (s *Service) Resume(ctx context.Context, actor Actor, cust Customer) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		sub, err := tx.Subscription(ctx, cust.ID)
		if err != nil {
			return err
		}
		if !sub.CancelAtPeriodEnd {
			return &ConflictError{Message: "Your subscription is not set to end, so there is nothing to resume."}
		}
		now := s.clock.Now()
		before := describe(sub)
		sub.CancelAtPeriodEnd, sub.CancelReason, sub.CancelComment, sub.CanceledAt, sub.UpdatedAt = false, "", "", time.Time{}, now
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: "subscription.resumed", Before: before, After: describe(sub)})
	})
}

// ScheduledChange returns the customer's pending change, if any (ok false).
func (s *Service) ScheduledChange(ctx context.Context, userID int64) (ScheduledChange, bool, error) {
	sub, err := s.store.Subscription(ctx, userID)
	if err != nil {
		return ScheduledChange{}, false, err
	}
	return s.ScheduledChangeOf(ctx, sub)
}

// ScheduledChangeOf returns the pending change of a subscription already
// loaded, sparing pages a second read of it.
func (s *Service) ScheduledChangeOf(ctx context.Context, sub Subscription) (ScheduledChange, bool, error) {
	sc, err := s.store.ScheduledChange(ctx, sub.ID)
	if errors.Is(err, ErrNotFound) {
		return ScheduledChange{}, false, nil
	}
	return sc, err == nil, err
}

// CancelScheduledChange undoes a pending change; the current plan renews as before.
func (s *Service) CancelScheduledChange(ctx context.Context, actor Actor, cust Customer) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		sub, err := tx.Subscription(ctx, cust.ID)
		if err != nil {
			return err
		}
		sc, err := tx.ScheduledChange(ctx, sub.ID)
		if errors.Is(err, ErrNotFound) {
			return &ConflictError{Message: "There is no scheduled change to undo."}
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.CancelScheduledChange(ctx, sub.ID, now); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: "change.unscheduled",
			Before: fmt.Sprintf("%s from %s", sc.Plan.ID, sc.EffectiveAt.Format(time.RFC3339)), After: describe(sub)})
	})
}
