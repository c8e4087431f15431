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
	"strings"
	"time"
)

// Service applies the billing rules. Handlers and the API call it; it knows
// nothing of HTTP or SQL.
type Service struct {
	store       Store
	provider    Provider
	clock       Clock
	checkoutTTL time.Duration
	returnURL   func(sessionID string) string
	cardReturn  string
	cardCancel  string
	log         *slog.Logger
	notify      bool
	policy      *Policy
	wall        Clock  // real time, for the worker's claims
	owner       string // names this process's claims
	mail        mailer // mail to customers; the zero value sends none
}

// Options configures a Service.
type Options struct {
	CheckoutTTL   time.Duration                 // how long a checkout session stays payable
	ReturnURL     func(sessionID string) string // where the provider sends the browser back
	CardReturnURL string                        // where the provider sends the browser after a card is saved
	CardCancelURL string                        // and where when the customer gives up
	Logger        *slog.Logger
	Notify        bool    // queue subscription.updated notifications for the app
	Policy        *Policy // the change policy; nil is DefaultPolicy
	// Wall is real time, which the worker's claims on due items expire
	// by (billing time may jump with the test clock); nil uses the
	// billing clock.
	Wall Clock
}

// NewService wires the billing rules to their store, provider and clock.
func NewService(store Store, provider Provider, clock Clock, opts Options) *Service {
	if opts.CheckoutTTL == 0 {
		opts.CheckoutTTL = 30 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Policy == nil {
		p := DefaultPolicy()
		opts.Policy = &p
	}
	if opts.Wall == nil {
		opts.Wall = clock
	}
	return &Service{store: store, provider: provider, clock: clock,
		checkoutTTL: opts.CheckoutTTL, returnURL: opts.ReturnURL, cardReturn: opts.CardReturnURL, cardCancel: opts.CardCancelURL,
		log: opts.Logger, notify: opts.Notify, policy: opts.Policy, wall: opts.Wall, owner: newID("worker")}
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

// FirstRenewalAt is when the new plan is next charged: when a scheduled
// change starts, or at the end of the new period.
func (p ChangePreview) FirstRenewalAt() time.Time {
	if p.Scheduled() {
		return p.EffectiveAt
	}
	return p.NewPeriodEnd
}

// FirstRenewal is what that charge will be: a scheduled change's first
// charge uses the account credit first, as every renewal does.
func (p ChangePreview) FirstRenewal() Money {
	if p.Scheduled() {
		return Money{max(p.To.Price.Amount-p.Current.Credit, 0), p.To.Price.Currency}
	}
	return p.To.Price
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
	d, err := s.policy.Decide(sub, to)
	if err != nil {
		return ChangePreview{}, err
	}
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

// SubscriptionByID returns a subscription by its own id.
func (s *Service) SubscriptionByID(ctx context.Context, id int64) (Subscription, error) {
	return s.store.SubscriptionByID(ctx, id)
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

// ProviderName is the payment provider's name, as in /webhooks/{name}.
func (s *Service) ProviderName() string { return s.provider.Name() }

// PlanAtInterval finds the plan of the customer's product billed at
// interval, for switching only the billing interval.
func (s *Service) PlanAtInterval(ctx context.Context, userID int64, interval Interval) (string, error) {
	sub, err := s.Subscription(ctx, userID)
	if err != nil {
		return "", err
	}
	if sub.Plan.Free() {
		return "", &ConflictError{Message: "The customer is on the free plan, which has no billing interval; choose a paid plan first."}
	}
	if sub.Plan.Interval == interval {
		return "", Invalid("billingPlan", "The customer is already billed %s.", strings.ToLower(interval.Label()))
	}
	plans, err := s.Plans(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range plans {
		if p.Product.ID == sub.Plan.Product.ID && p.Interval == interval {
			return p.ID, nil
		}
	}
	return "", Invalid("billingPlan", "%s is not offered with %s ", sub.Plan.Product.Name, strings.ToLower(interval.Label()))
}
