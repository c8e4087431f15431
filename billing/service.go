package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"time"
)

// Service applies the billing rules. Handlers and the API call it; it knows
// nothing of HTTP or SQL.
type Service struct {
	store       Store
	provider    Provider
	clock       Clock
	providerID  string
	checkoutTTL time.Duration
	returnURL   func(sessionID string) string
	log         *slog.Logger
	notify      bool
	mail        mailer // mail to customers; the zero value sends none
}

// Options configures a Service.
type Options struct {
	ProviderName string                        // recorded with provider events, e.g. "sandbox"
	CheckoutTTL  time.Duration                 // how long a checkout session stays payable
	ReturnURL    func(sessionID string) string // where the provider sends the browser back
	Logger       *slog.Logger
	Notify       bool // queue subscription.updated notifications for the app
}

// NewService wires the billing rules to their store, provider and clock.
func NewService(store Store, provider Provider, clock Clock, opts Options) *Service {
	if opts.CheckoutTTL == 0 {
		opts.CheckoutTTL = 30 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: store, provider: provider, clock: clock, providerID: opts.ProviderName,
		checkoutTTL: opts.CheckoutTTL, returnURL: opts.ReturnURL, log: opts.Logger, notify: opts.Notify}
}

// Now is billing time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Plans lists the plans customers can choose, cheapest product first.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	all, err := s.store.Plans(ctx)
	if err != nil {
		return nil, err
	}
	active := all[:0]
	for _, p := range all {
		if p.Active {
			active = append(active, p)
		}
	}
	return active, nil
}

// Audit records an event that is not a billing state change, such as the
// start or end of an impersonation.
func (s *Service) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.clock.Now()
	}
	return s.store.InTx(ctx, func(tx Tx) error { return tx.AddAudit(ctx, e) })
}

// AuditLog lists audit entries, newest first, with the total count.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error) {
	return s.store.AuditLog(ctx, f)
}

// Plan returns one plan, active or not (history and checkouts name old plans too).
func (s *Service) Plan(ctx context.Context, id string) (Plan, error) { return s.store.Plan(ctx, id) }

// Subscription returns the customer's current subscription.
func (s *Service) Subscription(ctx context.Context, userID int64) (Subscription, error) {
	return s.store.Subscription(ctx, userID)
}

// Invoices lists the customer's invoices, newest first.
func (s *Service) Invoices(ctx context.Context, userID int64) ([]Invoice, error) {
	return s.store.Invoices(ctx, userID)
}

// ChangePreview is what a plan change will do, shown before the customer confirms.
type ChangePreview struct {
	Current      Subscription
	To           Plan
	Decision     Decision // the policy's verdict: kind, allowed timings, reason
	Timing       Timing
	EffectiveAt  time.Time
	Quote        Quote // the price now, with its workings; zero for changes at period end
	AmountDue    Money
	NewPeriodEnd time.Time // zero when the new plan does not renew
}

// Scheduled reports whether the change waits for the end of the period.
func (p ChangePreview) Scheduled() bool { return p.Timing == AtPeriodEnd }

var planIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// PreviewChange checks a requested change and prices it without changing anything.
func (s *Service) PreviewChange(ctx context.Context, userID int64, planID string, timing string) (ChangePreview, error) {
	return s.preview(ctx, s.store, userID, planID, timing)
}

func (s *Service) preview(ctx context.Context, r Reader, userID int64, planID, timing string) (ChangePreview, error) {
	to, err := activePlan(ctx, r, planID)
	if err != nil {
		return ChangePreview{}, err
	}
	sub, err := r.Subscription(ctx, userID)
	if err != nil {
		return ChangePreview{}, err
	}
	if sub.Plan.ID == to.ID {
		return ChangePreview{}, Invalid("plan", "You are already on %s. Choose a different plan.", to.Name())
	}
	if sub.Status == Overdue && !to.Free() {
		return ChangePreview{}, &ConflictError{Message: "Your last payment failed. Pay the overdue amount first, or move to the free plan."}
	}
	d := Decide(sub, to)
	t, err := chooseTiming(d, timing)
	if err != nil {
		return ChangePreview{}, err
	}
	now := s.clock.Now()
	p := ChangePreview{Current: sub, To: to, Decision: d, Timing: t, EffectiveAt: now}
	if t == AtPeriodEnd {
		p.EffectiveAt = sub.PeriodEnd
		p.AmountDue = Money{0, to.Price.Currency}
	} else {
		p.Quote = Prorate(sub, to, now)
		p.AmountDue = p.Quote.Due
	}
	if !to.Free() {
		p.NewPeriodEnd = PeriodEnd(p.EffectiveAt, to.Interval, 1)
	}
	return p, nil
}

func activePlan(ctx context.Context, r Reader, planID string) (Plan, error) {
	if !planIDPattern.MatchString(planID) {
		return Plan{}, Invalid("plan", "Choose a plan from the list; %q is not a plan id.", truncate(planID, 40))
	}
	to, err := r.Plan(ctx, planID)
	if errors.Is(err, ErrNotFound) {
		return Plan{}, Invalid("plan", "There is no plan called %q.", planID)
	}
	if err != nil {
		return Plan{}, err
	}
	if !to.Active {
		return Plan{}, Invalid("plan", "%s is no longer offered. Choose another plan.", to.Name())
	}
	return to, nil
}

// chooseTiming picks the requested timing, or the policy's default.
func chooseTiming(d Decision, requested string) (Timing, error) {
	t := Timing(requested)
	switch t {
	case "":
		return d.Timings[0], nil
	case Now, AtPeriodEnd:
	default:
		return "", Invalid("timing", "Timing must be \"now\" or \"period_end\", not %q.", truncate(requested, 20))
	}
	if !d.Allows(t) {
		when := "today"
		if t == AtPeriodEnd {
			when = "at the end of the period"
		}
		return "", Invalid("timing", "This change cannot take effect %s. %s", when, d.Reason)
	}
	return t, nil
}

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

// RequestChange starts a plan change. When money is due it opens (or reuses)
// one checkout session; the change itself waits for the provider's webhook.
func (s *Service) RequestChange(ctx context.Context, actor Actor, cust Customer, planID, timing string, opts ...ChangeOption) (ChangeResult, error) {
	var o changeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var res ChangeResult
	var staleRefs []string
	err := s.store.InTx(ctx, func(tx Tx) error {
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
		switch {
		case p.Scheduled():
			res.Scheduled = true
			staleRefs, err = s.expireOpenCheckouts(ctx, tx, cust.ID)
			if err != nil {
				return err
			}
			return s.schedule(ctx, tx, actor, cust, p)
		case p.AmountDue.IsZero():
			res.Applied = true
			staleRefs, err = s.expireOpenCheckouts(ctx, tx, cust.ID)
			if err != nil {
				return err
			}
			return s.applyPaidChange(ctx, tx, actor, p.Current, p.To, p.Quote.CreditAfter.Amount, Money{0, p.To.Price.Currency}, "", p.Quote.AccountCredit.Amount)
		}
		want := CheckoutSession{Purpose: ForChange, FromPlanID: p.Current.Plan.ID, PlanID: p.To.ID, Timing: p.Timing,
			Amount: p.AmountDue, CreditUsed: p.Quote.AccountCredit.Amount, ByManager: actor.Impersonated}
		cs, stale, err := s.openCheckout(ctx, tx, cust, want)
		res.Checkout, staleRefs = &cs, stale
		return err
	})
	if err != nil {
		return ChangeResult{}, err
	}
	s.expireAtProvider(ctx, staleRefs)
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

// SubscriptionByID returns a subscription by its own id.
func (s *Service) SubscriptionByID(ctx context.Context, id int64) (Subscription, error) {
	return s.store.SubscriptionByID(ctx, id)
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

// expireOpenCheckouts closes every open checkout of the customer, returning
// the provider references to expire there too.
func (s *Service) expireOpenCheckouts(ctx context.Context, tx Tx, userID int64) ([]string, error) {
	open, err := tx.OpenCheckoutSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, cs := range open {
		cs.Status = CheckoutExpired
		if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
			return nil, err
		}
		if cs.ProviderRef != "" {
			refs = append(refs, cs.ProviderRef)
		}
	}
	return refs, nil
}

// openCheckout returns the open session for exactly this payment, or
// creates one after expiring sessions opened for anything else.
func (s *Service) openCheckout(ctx context.Context, tx Tx, cust Customer, want CheckoutSession) (CheckoutSession, []string, error) {
	now := s.clock.Now()
	open, err := tx.OpenCheckoutSessions(ctx, cust.ID)
	if err != nil {
		return CheckoutSession{}, nil, err
	}
	var stale []string
	for _, cs := range open {
		same := cs.Purpose == want.Purpose && cs.PlanID == want.PlanID && cs.FromPlanID == want.FromPlanID &&
			cs.Timing == want.Timing && cs.Amount == want.Amount && cs.InvoiceID == want.InvoiceID
		if same && !cs.ExpiredAt(now) {
			return cs, stale, nil
		}
		cs.Status = CheckoutExpired
		if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
			return CheckoutSession{}, nil, err
		}
		if cs.ProviderRef != "" {
			stale = append(stale, cs.ProviderRef)
		}
	}
	want.ID, want.UserID, want.Status = newID("cs_"), cust.ID, CheckoutOpen
	want.CreatedAt, want.ExpiresAt = now, now.Add(s.checkoutTTL)
	if want.ByManager {
		// A manager sends the link to the customer, who may not open it at once.
		want.ExpiresAt = now.Add(ManagerCheckoutTTL)
	}
	return want, stale, tx.CreateCheckoutSession(ctx, want)
}

// attachProvider asks the provider for a payment page, outside any
// transaction, and records it. A provider failure fails the session so that
// nothing is left open that nobody can pay.
func (s *Service) attachProvider(ctx context.Context, cust Customer, cs CheckoutSession, description, returnURL string) (CheckoutSession, error) {
	ret := s.returnURL(cs.ID)
	if returnURL != "" {
		ret = withQuery(returnURL, "checkout_session", cs.ID)
	}
	pc, perr := s.provider.CreateCheckout(ctx, CheckoutRequest{
		SessionID: cs.ID, Amount: cs.Amount, Email: cust.Email, ExpiresAt: cs.ExpiresAt,
		Description: description, ReturnURL: ret,
	})
	err := s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.CheckoutSession(ctx, cs.ID)
		if err != nil {
			return err
		}
		if cur.PaymentURL != "" { // a concurrent request attached it first
			cs = cur
			return nil
		}
		if perr != nil {
			cur.Status = CheckoutFailed
		} else {
			cur.ProviderRef, cur.PaymentURL = pc.Ref, pc.PaymentURL
		}
		cs = cur
		return tx.UpdateCheckoutSession(ctx, cur)
	})
	if err != nil {
		return CheckoutSession{}, err
	}
	if cs.PaymentURL == "" && perr != nil {
		return CheckoutSession{}, &ProviderError{Err: perr}
	}
	return cs, nil
}

func (s *Service) expireAtProvider(ctx context.Context, refs []string) {
	for _, ref := range refs {
		if err := s.provider.ExpireCheckout(ctx, ref); err != nil {
			// The session is already expired on our side, so a late payment
			// for it cannot apply; the provider will expire it on its own.
			s.log.Warn("expire checkout at provider", "ref", ref, "err", err)
		}
	}
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
	if cs.ExpiredAt(s.clock.Now()) {
		cs.Status = CheckoutExpired // shown as expired; the row is left to the writer paths
	}
	return cs, nil
}

// ApplyPaymentEvent applies a verified provider event exactly once: the
// event id, the plan change and the invoice are written in one transaction.
func (s *Service) ApplyPaymentEvent(ctx context.Context, ev PaymentEvent) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		now := s.clock.Now()
		fresh, err := tx.RecordProviderEvent(ctx, s.providerID, ev.EventID, now)
		if err != nil || !fresh {
			return err
		}
		cs, err := tx.CheckoutSessionByRef(ctx, ev.ProviderRef)
		if errors.Is(err, ErrNotFound) {
			s.log.Warn("payment event for unknown checkout", "ref", ev.ProviderRef, "event", ev.EventID)
			return nil
		}
		if err != nil {
			return err
		}
		if cs.Status != CheckoutOpen {
			s.log.Warn("payment event for closed checkout", "checkout", cs.ID, "status", cs.Status, "outcome", ev.Outcome)
			return nil
		}
		if ev.Outcome != PaymentSucceeded {
			cs.Status = CheckoutFailed
			return tx.UpdateCheckoutSession(ctx, cs)
		}
		if cs.ExpiredAt(now) {
			// The customer saw a price that is no longer guaranteed; an
			// expired session changes nothing. Providers refuse to take
			// payment after expiry, so this is logged for a refund by hand.
			s.log.Error("payment for an expired checkout; refund it", "checkout", cs.ID, "event", ev.EventID)
			cs.Status = CheckoutExpired
			return tx.UpdateCheckoutSession(ctx, cs)
		}
		if ev.Amount != cs.Amount {
			s.log.Error("paid amount differs from amount due", "checkout", cs.ID, "paid", ev.Amount, "due", cs.Amount)
			cs.Status = CheckoutFailed
			return tx.UpdateCheckoutSession(ctx, cs)
		}
		return s.completeCheckout(ctx, tx, cs, now)
	})
}

// ProviderActor is the audit log's name for changes a payment made.
var ProviderActor = Actor{Email: "payment provider"}

func (s *Service) completeCheckout(ctx context.Context, tx Tx, cs CheckoutSession, now time.Time) error {
	sub, err := tx.Subscription(ctx, cs.UserID)
	if err != nil {
		return err
	}
	cs.Status, cs.CompletedAt = CheckoutCompleted, now
	if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
		return err
	}
	provider := ProviderActor
	if cs.Purpose == ForOverdue {
		return s.settleOverdue(ctx, tx, provider, sub, cs.InvoiceID, "overdue.paid")
	}
	to, err := tx.Plan(ctx, cs.PlanID)
	if err != nil {
		return err
	}
	if sub.Plan.ID != cs.FromPlanID {
		// Paid for a change quoted on another plan (the period rolled over
		// meanwhile): the customer paid for `to` from now, so it applies.
		s.log.Warn("checkout completed after the plan changed", "checkout", cs.ID, "quoted_from", cs.FromPlanID, "now_on", sub.Plan.ID)
	}
	credit := max(sub.Credit-cs.CreditUsed, 0)
	return s.applyPaidChange(ctx, tx, provider, sub, to, credit, cs.Amount, cs.ID, cs.CreditUsed)
}

// applyPaidChange moves the subscription to plan `to` now, starting a new
// period, leaves `credit` as account credit, withdraws any scheduled change
// and writes the invoice for `paid` (none for the free plan).
func (s *Service) applyPaidChange(ctx context.Context, tx Tx, actor Actor, sub Subscription, to Plan, credit int64, paid Money, checkoutID string, creditUsed int64) error {
	now := s.clock.Now()
	if _, err := tx.CancelScheduledChange(ctx, sub.ID, now); err != nil {
		return err
	}
	sub.Credit = credit
	changed, err := s.applyChange(ctx, tx, actor, Customer{ID: sub.UserID}, sub, to, "plan.changed")
	if err != nil || to.Free() {
		return err
	}
	_, err = tx.CreateInvoice(ctx, Invoice{
		UserID: sub.UserID, Description: to.Name() + " subscription", Amount: paid, Status: InvoicePaid,
		PeriodStart: changed.PeriodStart, PeriodEnd: changed.PeriodEnd, CheckoutID: checkoutID, CreditApplied: creditUsed, CreatedAt: now,
	})
	return err
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

func clearDunning(sub *Subscription) {
	sub.PaymentFailedAt, sub.NextRetryAt, sub.GraceEndsAt = time.Time{}, time.Time{}, time.Time{}
	sub.RetryCount, sub.OverdueInvoiceID = 0, 0
}

func describe(s Subscription) string {
	d := fmt.Sprintf("%s (%s), %s", s.Plan.Name(), s.Plan.ID, s.Status.Label())
	if s.Renews() {
		d += fmt.Sprintf(", period %s to %s", s.PeriodStart.Format(time.DateOnly), s.PeriodEnd.Format(time.DateOnly))
	}
	return d
}

func newID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + hex.EncodeToString(b)
}

// withQuery adds key=value to a URL's query.
func withQuery(raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
