package billing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ChargeStatus is where a renewal or retry charge stands.
type ChargeStatus string

// Charge statuses. A pending charge with a provider reference waits for
// the provider's webhook (an asynchronous payment method).
const (
	ChargePending   ChargeStatus = "pending"
	ChargeSucceeded ChargeStatus = "succeeded"
	ChargeFailed    ChargeStatus = "failed"
)

// ChargePurpose says what a charge of the saved card pays for.
type ChargePurpose string

// Charge purposes.
const (
	ForRenewal ChargePurpose = "renewal" // the next period
	ForRetry   ChargePurpose = "retry"   // a dunning retry of an overdue invoice
)

// Charge is a renewal or retry charge against the saved card. It is written
// before the provider is called, keyed by its idempotency key.
type Charge struct {
	ID             string
	Purpose        ChargePurpose
	SubscriptionID int64
	PlanID         string
	InvoiceID      int64 // the overdue invoice a retry pays, or the invoice a failed renewal left
	Amount         Money
	CreditUsed     int64
	DueAt          time.Time
	Status         ChargeStatus
	ProviderRef    string
	Reason         string
	CreatedAt      time.Time
}

// renew charges the next period. The charge row is written first under an
// idempotency key, the provider is called outside any transaction with that
// key, and the outcome is applied in a second transaction; a crash anywhere
// leaves a pending charge that the next run completes without charging twice.
func (s *Service) renew(ctx context.Context, sub Subscription) (bool, error) {
	used := min(sub.Credit, sub.Plan.Price.Amount)
	c := Charge{ID: fmt.Sprintf("renewal:%d:%d", sub.ID, sub.PeriodEnd.Unix()), Purpose: ForRenewal, SubscriptionID: sub.ID,
		PlanID: sub.Plan.ID, Amount: Money{sub.Plan.Price.Amount - used, sub.Plan.Price.Currency}, CreditUsed: used,
		DueAt: sub.PeriodEnd, Status: ChargePending, CreatedAt: s.clock.Now()}
	return s.runCharge(ctx, sub, c, sub.Plan.Name()+" renewal")
}

// retry charges an overdue invoice again, on the dunning schedule. Account
// credit that covers the whole invoice pays it without a charge.
func (s *Service) retry(ctx context.Context, sub Subscription) (bool, error) {
	inv, err := s.store.Invoice(ctx, sub.OverdueInvoiceID)
	if err != nil {
		return false, err
	}
	if sub.Credit >= inv.Amount.Amount {
		return true, s.store.InTx(ctx, func(tx Tx) error {
			cur, ok, err := unchanged(ctx, tx, sub)
			if err != nil || !ok {
				return err
			}
			return s.settleFromCredit(ctx, tx, worker, cur, inv)
		})
	}
	c := Charge{ID: fmt.Sprintf("retry:%d:%d:%d", sub.ID, inv.ID, sub.RetryCount+1), Purpose: ForRetry, SubscriptionID: sub.ID,
		PlanID: sub.Plan.ID, InvoiceID: inv.ID, Amount: inv.Amount, DueAt: sub.NextRetryAt, Status: ChargePending, CreatedAt: s.clock.Now()}
	return s.runCharge(ctx, sub, c, inv.Description+" (retry)")
}

// runCharge stores the charge (or finds it stored), asks the provider for
// the money unless it is settled, awaited or nothing is owed, and settles
// the answer. did is false when the charge waits for the provider's webhook.
func (s *Service) runCharge(ctx context.Context, sub Subscription, c Charge, description string) (did bool, err error) {
	err = s.store.InTx(ctx, func(tx Tx) error {
		c, err = tx.CreateCharge(ctx, c)
		return err
	})
	if err != nil {
		return false, err
	}
	var res ChargeResult
	switch {
	case c.Status != ChargePending:
		return true, nil // settled by another worker or a webhook
	case c.ProviderRef != "":
		return false, nil // asynchronous: the provider's webhook settles it
	case c.Amount.IsZero():
		res = ChargeResult{Outcome: ChargeOutcomeSucceeded}
	default:
		if res, err = s.chargeProvider(ctx, sub, c, description); err != nil {
			return false, err
		}
	}
	if res.Outcome == ChargeOutcomePending {
		c.ProviderRef = res.PaymentRef
		return false, s.store.InTx(ctx, func(tx Tx) error { return tx.UpdateCharge(ctx, c) })
	}
	return true, s.store.InTx(ctx, func(tx Tx) error { return s.settleCharge(ctx, tx, c.ID, res, c.Amount) })
}

func (s *Service) chargeProvider(ctx context.Context, sub Subscription, c Charge, description string) (ChargeResult, error) {
	cust, err := s.store.Customer(ctx, sub.UserID)
	if err != nil {
		return ChargeResult{}, err
	}
	acct, err := s.store.PaymentAccount(ctx, sub.UserID, s.provider.Name())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return ChargeResult{}, err
	}
	res, err := s.provider.Charge(ctx, ChargeRequest{Key: c.ID, Amount: c.Amount, Customer: cust, CustomerRef: acct.CustomerRef,
		PaymentMethodRef: acct.Card.Ref, Description: description})
	if err != nil {
		return ChargeResult{}, &ProviderError{Err: err}
	}
	return res, nil
}

// chargeEvent settles a charge from the provider's webhook.
func (s *Service) chargeEvent(ctx context.Context, tx Tx, ev Event) error {
	res := ChargeResult{Outcome: ChargeOutcomeFailed, PaymentRef: ev.PaymentRef, Reason: ev.Reason}
	if ev.Kind == EventChargeSucceeded {
		res.Outcome = ChargeOutcomeSucceeded
	}
	_, err := tx.Charge(ctx, ev.ChargeKey)
	if errors.Is(err, ErrNotFound) {
		if res.Succeeded() {
			return s.hold(ctx, tx, Payment{Provider: s.provider.Name(), Ref: ev.PaymentRef, Kind: PaidByCharge, Amount: ev.Amount,
				ReceivedAt: s.clock.Now()}, "the payment names a charge the portal does not know")
		}
		return nil
	}
	if err != nil {
		return err
	}
	return s.settleCharge(ctx, tx, ev.ChargeKey, res, ev.Amount)
}

// settleCharge records a charge's outcome and applies it, once, whether
// the answer came from the provider call or a webhook. Money taken is
// recorded in the ledger and applied to the invoice it pays; when the step
// no longer applies (the subscription changed meanwhile, or the amount is
// not the one asked for), it becomes credit.
func (s *Service) settleCharge(ctx context.Context, tx Tx, id string, res ChargeResult, taken Money) error {
	c, err := tx.Charge(ctx, id)
	if err != nil {
		return err
	}
	late := c.Status == ChargeFailed && res.Succeeded() // e.g. 3-D Secure completed after the renewal failed
	if c.Status != ChargePending && !late {
		return nil
	}
	c.Status, c.ProviderRef, c.Reason = ChargeFailed, firstOf(res.PaymentRef, c.ProviderRef), res.Reason
	if res.Succeeded() {
		c.Status, c.Reason = ChargeSucceeded, ""
	}
	sub, err := tx.SubscriptionByID(ctx, c.SubscriptionID)
	if err != nil {
		return err
	}
	var p *Payment
	if res.Succeeded() && !c.Amount.IsZero() {
		p = &Payment{Provider: s.provider.Name(), Ref: firstOf(res.PaymentRef, "charge:"+c.ID), UserID: sub.UserID, Kind: PaidByCharge,
			ChargeID: c.ID, Amount: taken, ReceivedAt: s.clock.Now()}
		if fresh, err := s.recordPayment(ctx, tx, p); err != nil || !fresh {
			return err
		}
	}
	st, err := s.applyCharge(ctx, tx, &c, sub, res, taken, late)
	if err != nil {
		return err
	}
	if err := tx.UpdateCharge(ctx, c); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	return s.allocate(ctx, tx, *p, st)
}

// applyCharge applies a charge's outcome to the subscription and says what
// its money paid.
func (s *Service) applyCharge(ctx context.Context, tx Tx, c *Charge, sub Subscription, res ChargeResult, taken Money, late bool) (settlement, error) {
	switch {
	case res.Succeeded() && taken != c.Amount:
		c.Status, c.Reason = ChargeFailed, "the provider took another amount"
		return settlement{reason: fmt.Sprintf("the card was charged %s where %s was asked", taken, c.Amount)}, nil
	case late || c.Purpose == ForRetry:
		return s.applyToOverdue(ctx, tx, c, sub, res)
	case sub.Status != Active || sub.Plan.ID != c.PlanID || !sub.PeriodEnd.Equal(c.DueAt) || sub.CancelAtPeriodEnd:
		return settlement{reason: "the subscription changed while the card was being charged"}, nil
	}
	return s.renewed(ctx, tx, c, sub, res)
}

// renewed starts the next period after a renewal charge: paid, or overdue
// with dunning when the charge failed.
func (s *Service) renewed(ctx context.Context, tx Tx, c *Charge, sub Subscription, res ChargeResult) (settlement, error) {
	at := c.DueAt
	next := nextAnniversary(sub.Anchor, sub.Plan.Interval, at)
	before := describe(sub)
	inv := Invoice{UserID: sub.UserID, Description: sub.Plan.Name() + " renewal", Amount: c.Amount, Status: InvoicePaid,
		PeriodStart: at, PeriodEnd: next, CreditApplied: c.CreditUsed, CreatedAt: at}
	sub.PeriodStart, sub.PeriodEnd = at, next
	action := "subscription.renewed"
	if !res.Succeeded() {
		// Credit is kept for the retries: the failed invoice asks the full price.
		inv.Amount, inv.CreditApplied, inv.Status, action = sub.Plan.Price, 0, InvoiceFailed, "renewal.failed"
		sub.Status, sub.PaymentFailedAt, sub.RetryCount = Overdue, at, 0
		sub.NextRetryAt, sub.GraceEndsAt = at.Add(RetrySchedule[0]), at.Add(PermitDays*24*time.Hour)
	}
	id, err := tx.CreateInvoice(ctx, inv)
	if err != nil {
		return settlement{}, err
	}
	if res.Succeeded() {
		if err := s.addCredit(ctx, tx, &sub, CreditEntry{Amount: Money{-c.CreditUsed, sub.Plan.Price.Currency}, Reason: CreditUsed,
			Note: "used for " + inv.Description, InvoiceID: id}); err != nil {
			return settlement{}, err
		}
	} else {
		sub.OverdueInvoiceID, c.InvoiceID = id, id
		if err := s.QueuePaymentFailed(ctx, tx, id); err != nil {
			return settlement{}, err
		}
	}
	sub.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, sub); err != nil {
		return settlement{}, err
	}
	return settlement{invoiceID: id, applied: c.Amount.Amount}, s.record(ctx, tx, AuditEntry{At: at, Actor: worker,
		Subject: Customer{ID: sub.UserID}, Action: action, Before: before, After: describe(sub), Reason: res.Reason})
}

// applyToOverdue applies a retry's outcome, or money that arrived late for
// a renewal that had failed, to the overdue invoice it was for.
func (s *Service) applyToOverdue(ctx context.Context, tx Tx, c *Charge, sub Subscription, res ChargeResult) (settlement, error) {
	onIt := sub.Status == Overdue && sub.OverdueInvoiceID == c.InvoiceID && c.InvoiceID != 0
	if !res.Succeeded() {
		if !onIt {
			return settlement{}, nil
		}
		return settlement{}, s.retryFailed(ctx, tx, sub, c, res.Reason)
	}
	if !onIt {
		return settlement{reason: "the overdue invoice had already been settled"}, nil
	}
	action := "overdue.recovered"
	if c.Purpose == ForRenewal {
		action = "overdue.paid"
	}
	return settlement{invoiceID: c.InvoiceID, applied: c.Amount.Amount}, s.settleOverdue(ctx, tx, worker, sub, c.InvoiceID, action)
}

func (s *Service) retryFailed(ctx context.Context, tx Tx, sub Subscription, c *Charge, reason string) error {
	before := describe(sub)
	sub.RetryCount++
	sub.NextRetryAt = time.Time{}
	if sub.RetryCount < len(RetrySchedule) {
		sub.NextRetryAt = sub.PaymentFailedAt.Add(RetrySchedule[sub.RetryCount])
	}
	sub.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, sub); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: c.DueAt, Actor: worker, Subject: Customer{ID: sub.UserID}, Action: "retry.failed",
		Before: before, After: describe(sub), Reason: reason})
}

// settleOverdue marks the overdue invoice paid and makes the subscription
// active again, keeping its period. Callers check that the subscription is
// overdue on exactly that invoice.
func (s *Service) settleOverdue(ctx context.Context, tx Tx, actor Actor, sub Subscription, invoiceID int64, action string) error {
	if sub.Status != Overdue || sub.OverdueInvoiceID != invoiceID {
		return fmt.Errorf("billing: settle invoice %d of user %d, which is not overdue on it", invoiceID, sub.UserID)
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

// settleFromCredit pays the overdue invoice with account credit alone.
func (s *Service) settleFromCredit(ctx context.Context, tx Tx, actor Actor, sub Subscription, inv Invoice) error {
	if err := tx.ApplyCreditToInvoice(ctx, inv.ID, inv.Amount.Amount); err != nil {
		return err
	}
	if err := s.addCredit(ctx, tx, &sub, CreditEntry{Amount: Money{-inv.Amount.Amount, sub.Plan.Price.Currency}, Reason: CreditUsed,
		Note: "used for " + inv.Description, InvoiceID: inv.ID}); err != nil {
		return err
	}
	return s.settleOverdue(ctx, tx, actor, sub, inv.ID, "overdue.paid_from_credit")
}

// PayOverdue opens a checkout for the overdue invoice, so the customer can
// pay with another card while retries continue. Account credit that covers
// the whole invoice pays it at once.
func (s *Service) PayOverdue(ctx context.Context, actor Actor, cust Customer, opts ...ChangeOption) (CheckoutSession, error) {
	var o changeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var cs CheckoutSession
	var desc string
	err := s.withClosedCheckouts(ctx, func(tx Tx, expired []string) error {
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
		if sub.Credit >= inv.Amount.Amount {
			cs = CheckoutSession{}
			return s.settleFromCredit(ctx, tx, actor, sub, inv)
		}
		desc = inv.Description + ", overdue since " + sub.PaymentFailedAt.Format("2 January 2006")
		cs, err = s.openCheckout(ctx, tx, cust, CheckoutSession{Purpose: ForOverdue, InvoiceID: inv.ID,
			FromPlanID: sub.Plan.ID, PlanID: sub.Plan.ID, Timing: Now, Amount: inv.Amount, ByManager: actor.Impersonated}, expired)
		return err
	})
	if err != nil || cs.ID == "" || cs.PaymentURL != "" {
		return cs, err
	}
	return s.attachProvider(ctx, cust, cs, desc, o.returnURL)
}
