package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ChangeResult is the outcome of a change request: applied at once (nothing
// was due), scheduled for the period end, or waiting for payment at
// Checkout.PaymentURL.
type ChangeResult struct {
	Preview   ChangePreview
	Applied   bool
	Scheduled bool
	Checkout  *CheckoutSession
}

// ManagerCheckoutTTL is how long a checkout opened by an account manager
// stays payable: its link is sent to the customer by email or chat.
const ManagerCheckoutTTL = 24 * time.Hour

// ChangeOption adjusts a change request.
type ChangeOption func(*changeOptions)

type changeOptions struct {
	refuseOther bool
	returnURL   string
}

// RefuseOtherCheckout makes a request fail with a ConflictError while a
// checkout for a different change is open, instead of expiring that
// checkout. The JSON API uses it so that two scripts cannot silently undo
// each other; the pages expire it, because a person changed their mind.
func RefuseOtherCheckout() ChangeOption { return func(o *changeOptions) { o.refuseOther = true } }

// ReturnTo sends the customer back to url after checkout instead of the
// portal's return page; embedded portals return to the app that framed
// them. The checkout session id is added as ?checkout_session=.
func ReturnTo(url string) ChangeOption { return func(o *changeOptions) { o.returnURL = url } }

// errStaleCheckouts asks the caller to expire checkouts at the provider
// before the transaction that closes them here is tried again.
type errStaleCheckouts struct{ refs []string }

func (e *errStaleCheckouts) Error() string {
	return "open checkouts must be expired at the provider first"
}

// maxCloseRounds bounds how often a request expires checkouts that other
// requests keep opening meanwhile.
const maxCloseRounds = 3

// RequestChange starts a plan change. When money is due it opens (or reuses)
// one checkout session; the change itself waits for the provider's webhook.
// Checkouts for anything else are expired at the provider before they are
// closed here, so no payment page stays live for a checkout the portal
// considers closed.
func (s *Service) RequestChange(ctx context.Context, actor Actor, cust Customer, planID, timing string, opts ...ChangeOption) (ChangeResult, error) {
	var o changeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var res ChangeResult
	err := s.withClosedCheckouts(ctx, func(tx Tx, expired []string) error {
		res = ChangeResult{}
		return s.requestChangeTx(ctx, tx, actor, cust, planID, timing, o, expired, &res)
	})
	if err != nil {
		return ChangeResult{}, err
	}
	if res.Checkout != nil && res.Checkout.PaymentURL == "" {
		desc := fmt.Sprintf("%s, from %s", res.Preview.To.Name(), res.Preview.EffectiveAt.Format("2 January 2006"))
		cs, err := s.attachProvider(ctx, cust, *res.Checkout, desc, o.returnURL)
		if err != nil {
			return ChangeResult{}, err
		}
		res.Checkout = &cs
	}
	return res, nil
}

// withClosedCheckouts runs fn in a transaction; when fn finds checkouts
// that must first be expired at the provider, it expires them outside any
// transaction and runs fn again, telling it which references are expired.
func (s *Service) withClosedCheckouts(ctx context.Context, fn func(tx Tx, expired []string) error) error {
	var expired []string
	for round := 0; ; round++ {
		err := s.store.InTx(ctx, func(tx Tx) error { return fn(tx, expired) })
		var stale *errStaleCheckouts
		switch {
		case !errors.As(err, &stale):
			return err
		case round == maxCloseRounds:
			return &ConflictError{Message: "Other changes to this subscription are being made at the same moment. Try again in a few seconds."}
		}
		if err := s.expireAtProvider(ctx, stale.refs); err != nil {
			return err
		}
		expired = append(expired, stale.refs...)
	}
}

func (s *Service) requestChangeTx(ctx context.Context, tx Tx, actor Actor, cust Customer, planID, timing string, o changeOptions, expired []string, res *ChangeResult) error {
	p, err := s.preview(ctx, tx, cust.ID, planID, timing)
	if err != nil {
		return err
	}
	res.Preview = p
	if o.refuseOther {
		if err := s.refuseOtherCheckout(ctx, tx, cust.ID, p); err != nil {
			return err
		}
	}
	if p.Scheduled() || p.AmountDue.IsZero() {
		if _, err := s.closeCheckouts(ctx, tx, cust.ID, expired, nil); err != nil {
			return err
		}
	}
	switch {
	case p.Scheduled():
		res.Scheduled = true
		return s.schedule(ctx, tx, actor, cust, p)
	case p.AmountDue.IsZero():
		res.Applied = true
		_, err := s.applyPaidChange(ctx, tx, actor, p.Current, p.To, p.Quote, Money{0, p.To.Price.Currency}, "")
		return err
	}
	want := CheckoutSession{Purpose: ForChange, FromPlanID: p.Current.Plan.ID, PlanID: p.To.ID, Timing: p.Timing,
		Amount: p.AmountDue, CreditUsed: p.Quote.AccountCredit.Amount, ByManager: actor.Impersonated}
	cs, err := s.openCheckout(ctx, tx, cust, want, expired)
	res.Checkout = &cs
	return err
}

// refuseOtherCheckout fails when an unexpired checkout is open for
// anything other than exactly this change.
func (s *Service) refuseOtherCheckout(ctx context.Context, tx Tx, userID int64, p ChangePreview) error {
	open, err := tx.OpenCheckoutSessions(ctx, userID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, cs := range open {
		same := cs.Purpose == ForChange && cs.PlanID == p.To.ID && cs.Timing == p.Timing && cs.Amount == p.AmountDue && !p.Scheduled()
		if !same && !cs.ExpiredAt(now) {
			return &ConflictError{Message: fmt.Sprintf("A checkout for another change (to %s, %s) is open until %s. Pay it, "+
				"let it expire, or send that change again to get its payment link.", cs.PlanID, cs.Amount, cs.ExpiresAt.Format(time.RFC3339))}
		}
	}
	return nil
}

// schedule stores the change as the subscription's next phase, replacing
// any earlier one. Choosing a plan for after the period also withdraws a
// cancellation: the customer has said what they want next.
func (s *Service) schedule(ctx context.Context, tx Tx, actor Actor, cust Customer, p ChangePreview) error {
	now := s.clock.Now()
	sub := p.Current
	if err := tx.ScheduleChange(ctx, ScheduledChange{SubscriptionID: sub.ID, Plan: p.To, EffectiveAt: p.EffectiveAt, CreatedBy: actor.Email, CreatedAt: now}); err != nil {
		return err
	}
	before := describe(sub)
	if sub.CancelAtPeriodEnd {
		sub.CancelAtPeriodEnd, sub.CancelReason, sub.CancelComment, sub.CanceledAt = false, "", "", time.Time{}
		sub.UpdatedAt = now
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
	}
	return s.record(ctx, tx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: "change.scheduled", Before: before,
		After: fmt.Sprintf("%s (%s) from %s", p.To.Name(), p.To.ID, p.EffectiveAt.Format(time.RFC3339))})
}

// closeCheckouts closes the customer's open checkouts except the one keep
// accepts. A checkout the provider may still take money for (it has a
// provider reference not yet in expired) is not closed: the call fails
// with errStaleCheckouts naming it, to be expired there first.
func (s *Service) closeCheckouts(ctx context.Context, tx Tx, userID int64, expired []string, keep func(CheckoutSession) bool) (*CheckoutSession, error) {
	open, err := tx.OpenCheckoutSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	var kept *CheckoutSession
	var stale []string
	for _, cs := range open {
		if kept == nil && keep != nil && keep(cs) {
			kept = &cs
			continue
		}
		if cs.ProviderRef != "" && !slices.Contains(expired, cs.ProviderRef) {
			stale = append(stale, cs.ProviderRef)
		}
	}
	if len(stale) > 0 {
		return nil, &errStaleCheckouts{refs: stale}
	}
	now := s.clock.Now()
	for _, cs := range open {
		if kept != nil && cs.ID == kept.ID {
			continue
		}
		reason := "superseded"
		if cs.ExpiredAt(now) {
			reason = "timeout"
		}
		cs.Status, cs.ClosedReason = CheckoutExpired, reason
		if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// openCheckout returns the open, unexpired session for exactly this
// payment, or creates one after closing sessions opened for anything else.
func (s *Service) openCheckout(ctx context.Context, tx Tx, cust Customer, want CheckoutSession, expired []string) (CheckoutSession, error) {
	now := s.clock.Now()
	kept, err := s.closeCheckouts(ctx, tx, cust.ID, expired, func(cs CheckoutSession) bool {
		return cs.Purpose == want.Purpose && cs.PlanID == want.PlanID && cs.FromPlanID == want.FromPlanID &&
			cs.Timing == want.Timing && cs.Amount == want.Amount && cs.InvoiceID == want.InvoiceID && !cs.ExpiredAt(now)
	})
	if err != nil || kept != nil {
		return derefCheckout(kept), err
	}
	want.ID, want.UserID, want.Status = newID("cs_"), cust.ID, CheckoutOpen
	want.CreatedAt, want.ExpiresAt = now, now.Add(s.checkoutTTL)
	if want.ByManager {
		// A manager sends the link to the customer, who may not open it at once.
		want.ExpiresAt = now.Add(ManagerCheckoutTTL)
	}
	return want, tx.CreateCheckoutSession(ctx, want)
}

func derefCheckout(cs *CheckoutSession) CheckoutSession {
	if cs == nil {
		return CheckoutSession{}
	}
	return *cs
}

// siblingWait is how long a request whose provider call failed waits for a
// concurrent request for the same checkout to attach the payment page: a
// provider may refuse the second of two concurrent calls with one
// idempotency key while the first succeeds.
var siblingWait = 2 * time.Second

// attachProvider asks the provider for a payment page, outside any
// transaction, and records it only while the checkout is still open. A
// page made for a checkout closed meanwhile is expired at once and never
// handed out. A provider failure leaves the checkout open, without a page,
// so that a concurrent request that did get the page is never undercut; it
// expires on its own.
func (s *Service) attachProvider(ctx context.Context, cust Customer, cs CheckoutSession, description, returnURL string) (CheckoutSession, error) {
	customerRef, err := s.ensureCustomer(ctx, cust)
	if err != nil {
		return CheckoutSession{}, err
	}
	ret := s.returnURL(cs.ID)
	if returnURL != "" {
		ret = withQuery(returnURL, "checkout_session", cs.ID)
	}
	pc, perr := s.provider.CreateCheckout(ctx, CheckoutRequest{
		SessionID: cs.ID, Amount: cs.Amount, Customer: cust, CustomerRef: customerRef, ExpiresAt: cs.ExpiresAt,
		Description: description, ReturnURL: ret,
	})
	if perr != nil {
		return s.awaitSibling(ctx, cs.ID, perr)
	}
	var closed bool
	err = s.store.InTx(ctx, func(tx Tx) error {
		closed = false // the transaction may run again
		cur, err := tx.CheckoutSession(ctx, cs.ID)
		if err != nil {
			return err
		}
		cs = cur
		switch {
		case cur.Status != CheckoutOpen:
			closed = true
			return nil
		case cur.PaymentURL != "": // a concurrent request attached it first
			return nil
		}
		cs.ProviderRef, cs.PaymentURL = pc.Ref, pc.PaymentURL
		return tx.UpdateCheckoutSession(ctx, cs)
	})
	if err != nil {
		return CheckoutSession{}, err
	}
	if closed {
		if err := s.provider.ExpireCheckout(ctx, pc.Ref); err != nil && !errors.Is(err, ErrCheckoutPaid) {
			s.log.Warn("expire a payment page made for a closed checkout", "checkout", cs.ID, "err", err)
		}
		return CheckoutSession{}, errReplaced
	}
	return cs, nil
}

var errReplaced = &ConflictError{Message: "This change was replaced by another one you asked for (in another tab or window). " +
	"Nothing was charged for it; check your subscription and choose again if needed."}

// awaitSibling waits briefly for a concurrent request to attach the page
// this request's provider call failed to get.
func (s *Service) awaitSibling(ctx context.Context, id string, perr error) (CheckoutSession, error) {
	deadline := time.Now().Add(siblingWait)
	for {
		cur, err := s.store.CheckoutSession(ctx, id)
		if err != nil {
			return CheckoutSession{}, err
		}
		switch {
		case cur.Status == CheckoutOpen && cur.PaymentURL != "":
			return cur, nil
		case cur.Status != CheckoutOpen:
			return CheckoutSession{}, errReplaced
		case time.Now().After(deadline):
			return CheckoutSession{}, &ProviderError{Err: perr}
		}
		select {
		case <-ctx.Done():
			return CheckoutSession{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ensureCustomer returns the provider's customer for the user, creating it
// at the provider once and keeping its reference.
func (s *Service) ensureCustomer(ctx context.Context, cust Customer) (string, error) {
	acct, err := s.store.PaymentAccount(ctx, cust.ID, s.provider.Name())
	if err == nil && acct.CustomerRef != "" {
		// The provider is told the customer's email again, so what it
		// sends (receipts, 3-D Secure mails) goes where the portal's does.
		if _, err := s.provider.EnsureCustomer(ctx, cust, acct.CustomerRef); err != nil {
			return "", &ProviderError{Err: err}
		}
		return acct.CustomerRef, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	ref, err := s.provider.EnsureCustomer(ctx, cust, "")
	if err != nil {
		return "", &ProviderError{Err: err}
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		acct, err := tx.PaymentAccount(ctx, cust.ID, s.provider.Name())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if acct.CustomerRef != "" {
			ref = acct.CustomerRef // a concurrent request stored it first
			return nil
		}
		acct.UserID, acct.Provider, acct.CustomerRef, acct.UpdatedAt = cust.ID, s.provider.Name(), ref, s.clock.Now()
		return tx.SavePaymentAccount(ctx, acct)
	})
	return ref, err
}

// expireAtProvider expires checkouts at the provider. One the customer
// already paid cannot be expired: its payment is being confirmed, and the
// request that wanted it closed is refused until then.
func (s *Service) expireAtProvider(ctx context.Context, refs []string) error {
	for _, ref := range refs {
		err := s.provider.ExpireCheckout(ctx, ref)
		switch {
		case errors.Is(err, ErrCheckoutPaid):
			return &ConflictError{Message: "A payment you made a moment ago is still being confirmed. " +
				"Wait a minute, then check your subscription before changing it again."}
		case err != nil:
			return &ProviderError{Err: err}
		}
	}
	return nil
}

// CheckoutForCustomer returns one of the customer's checkout sessions; another
// customer's id is not found.
func (s *Service) CheckoutForCustomer(ctx context.Context, userID int64, id string) (CheckoutSession, error) {
	cs, err := s.store.CheckoutSession(ctx, id)
	if err != nil {
		return CheckoutSession{}, err
	}
	if cs.UserID != userID {
		return CheckoutSession{}, ErrNotFound
	}
	return cs, nil
}

// ProviderActor is the audit log's name for changes a payment made.
var ProviderActor = Actor{Email: "payment provider"}

// applyPaidChange moves the subscription to plan `to` now, starting a new
// period, settles account credit as quote q says, withdraws any scheduled
// change and writes the invoice for `charged` (none for the free plan). It
// returns the invoice's id.
func (s *Service) applyPaidChange(ctx context.Context, tx Tx, actor Actor, sub Subscription, to Plan, q Quote, charged Money, checkoutID string) (int64, error) {
	now := s.clock.Now()
	if _, err := tx.CancelScheduledChange(ctx, sub.ID, now); err != nil {
		return 0, err
	}
	// Unused value beyond the new price stays as credit (Prorate adds it
	// to CreditAfter); credit used pays part of the invoice below.
	unusedLeft := q.CreditAfter.Amount - (sub.Credit - q.AccountCredit.Amount)
	changed, err := s.applyChange(ctx, tx, actor, Customer{ID: sub.UserID}, sub, to, "plan.changed")
	if err != nil {
		return 0, err
	}
	if err := s.addCredit(ctx, tx, &changed, CreditEntry{Amount: Money{unusedLeft, to.Price.Currency}, Reason: CreditUnusedTime,
		Note: fmt.Sprintf("unused time on %s was worth more than %s", sub.Plan.Name(), to.Name())}); err != nil {
		return 0, err
	}
	var invID int64
	if !to.Free() {
		// Whatever the price did not charge beyond credit used came off for
		// the unused time (and, when the price rose since the quote, what the
		// customer was never asked for), so the invoice's lines add up.
		invID, err = tx.CreateInvoice(ctx, Invoice{
			UserID: sub.UserID, Description: to.Name() + " subscription", Amount: charged, Status: InvoicePaid,
			PeriodStart: changed.PeriodStart, PeriodEnd: changed.PeriodEnd, CheckoutID: checkoutID,
			CreditApplied: q.AccountCredit.Amount, ProrationCredit: max(to.Price.Amount-q.AccountCredit.Amount-charged.Amount, 0),
			CreatedAt: now,
		})
		if err != nil {
			return 0, err
		}
	}
	return invID, s.addCredit(ctx, tx, &changed, CreditEntry{Amount: Money{-q.AccountCredit.Amount, to.Price.Currency},
		Reason: CreditUsed, Note: "used for " + to.Name(), InvoiceID: invID})
}

// applyChange moves the subscription to plan `to` now, starting a new period.
func (s *Service) applyChange(ctx context.Context, tx Tx, actor Actor, cust Customer, sub Subscription, to Plan, action string) (Subscription, error) {
	now := s.clock.Now()
	before := describe(sub)
	sub.Plan, sub.Status = to, Active
	sub.Anchor, sub.PeriodStart, sub.PeriodEnd = now, now, time.Time{}
	if !to.Free() {
		sub.PeriodEnd = PeriodEnd(now, to.Interval, 1)
	}
	sub.CancelAtPeriodEnd, sub.CancelReason, sub.CancelComment, sub.CanceledAt = false, "", "", time.Time{}
	clearDunning(&sub)
	sub.UpdatedAt = now
	if err := tx.UpdateSubscription(ctx, sub); err != nil {
		return sub, err
	}
	return sub, s.record(ctx, tx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: action, Before: before, After: describe(sub)})
}
