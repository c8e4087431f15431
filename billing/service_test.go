package billing_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
)

// fakeProvider records what billing asks of a payment provider.
type fakeProvider struct {
	mu        sync.Mutex
	created   map[string]billing.CheckoutRequest
	expired   []string
	fail      error
	charges   map[string]billing.ChargeRequest // by idempotency key
	declining bool                             // saved card declines
	onCharge  func()                           // called during each charge, if set
}

func (p *fakeProvider) Charge(_ context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.charges == nil {
		p.charges = map[string]billing.ChargeRequest{}
	}
	p.charges[req.Key] = req
	if p.onCharge != nil {
		p.onCharge()
	}
	if p.declining {
		return billing.ChargeResult{Ref: "ch_" + req.Key, Reason: "card declined"}, nil
	}
	return billing.ChargeResult{Ref: "ch_" + req.Key, Succeeded: true}, nil
}

func (p *fakeProvider) setDeclining(v bool) {
	p.mu.Lock()
	p.declining = v
	p.mu.Unlock()
}

func (p *fakeProvider) CreateCheckout(_ context.Context, req billing.CheckoutRequest) (billing.ProviderCheckout, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return billing.ProviderCheckout{}, p.fail
	}
	if p.created == nil {
		p.created = map[string]billing.CheckoutRequest{}
	}
	p.created[req.SessionID] = req
	return billing.ProviderCheckout{Ref: "ref_" + req.SessionID, PaymentURL: "https://pay.example/" + req.SessionID}, nil
}

func (p *fakeProvider) ExpireCheckout(_ context.Context, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expired = append(p.expired, ref)
	return nil
}

type fixture struct {
	store    *db.Store
	svc      *billing.Service
	provider *fakeProvider
	clock    *clock.Fixed
	cust     billing.Customer
	ctx      context.Context
}

var start = time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	store := dbtest.New(t)
	clk := clock.NewFixed(start)
	p := &fakeProvider{}
	svc := billing.NewService(store, p, clk, billing.Options{ProviderName: "fake", CheckoutTTL: 30 * time.Minute,
		ReturnURL: func(id string) string { return "https://portal.example/checkout/return?session_id=" + id },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil))})
	id := dbtest.Customer(t, store, "ann@example.com", start)
	return &fixture{store: store, svc: svc, provider: p, clock: clk, cust: billing.Customer{ID: id, Email: "ann@example.com"}, ctx: context.Background()}
}

func (f *fixture) change(t *testing.T, plan string) billing.ChangeResult {
	t.Helper()
	res, err := f.svc.RequestChange(f.ctx, billing.Actor{UserID: f.cust.ID, Email: f.cust.Email}, f.cust, plan, "")
	if err != nil {
		t.Fatalf("change to %s: %v", plan, err)
	}
	return res
}

func (f *fixture) sub(t *testing.T) billing.Subscription {
	t.Helper()
	s, err := f.svc.Subscription(f.ctx, f.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) pay(t *testing.T, cs *billing.CheckoutSession, eventID string, outcome billing.PaymentOutcome) {
	t.Helper()
	err := f.svc.ApplyPaymentEvent(f.ctx, billing.PaymentEvent{EventID: eventID, Outcome: outcome, ProviderRef: cs.ProviderRef, Amount: cs.Amount})
	if err != nil {
		t.Fatalf("apply %s: %v", eventID, err)
	}
}

func (f *fixture) invoices(t *testing.T) []billing.Invoice {
	t.Helper()
	invs, err := f.svc.Invoices(f.ctx, f.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

func TestPaidChangeAppliesOnceAfterWebhook(t *testing.T) {
	f := newFixture(t)
	res := f.change(t, "pro-annual")
	if res.Applied || res.Checkout == nil {
		t.Fatalf("a paid change must wait for checkout: %+v", res)
	}
	cs := res.Checkout
	if cs.Amount != (billing.Money{Amount: 29000, Currency: "USD"}) || cs.PaymentURL == "" || cs.Status != billing.CheckoutOpen {
		t.Fatalf("checkout = %+v", cs)
	}
	if f.sub(t).Plan.ID != "free" {
		t.Fatal("the plan changed before payment")
	}
	f.clock.Advance(10 * time.Minute)
	f.pay(t, cs, "evt_1", billing.PaymentSucceeded)
	f.pay(t, cs, "evt_1", billing.PaymentSucceeded) // replay
	f.pay(t, cs, "evt_2", billing.PaymentSucceeded) // a second event for the same checkout
	sub := f.sub(t)
	paidAt := start.Add(10 * time.Minute)
	if sub.Plan.ID != "pro-annual" || sub.Status != billing.Active || !sub.PeriodStart.Equal(paidAt) ||
		!sub.PeriodEnd.Equal(time.Date(2028, 1, 31, 12, 10, 0, 0, time.UTC)) {
		t.Fatalf("after paying: %+v", sub)
	}
	invs := f.invoices(t)
	if len(invs) != 1 || invs[0].Amount.Amount != 29000 || invs[0].Status != billing.InvoicePaid || invs[0].CheckoutID != cs.ID {
		t.Fatalf("invoices = %+v", invs)
	}
	got, err := f.svc.CheckoutForCustomer(f.ctx, f.cust.ID, cs.ID)
	if err != nil || got.Status != billing.CheckoutCompleted {
		t.Fatalf("checkout after paying: %+v %v", got, err)
	}
}

func TestDeclinedPaymentChangesNothing(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "starter-monthly").Checkout
	f.pay(t, cs, "evt_decline", billing.PaymentDeclined)
	if f.sub(t).Plan.ID != "free" || len(f.invoices(t)) != 0 {
		t.Fatal("a decline changed the subscription or wrote an invoice")
	}
	got, _ := f.svc.CheckoutForCustomer(f.ctx, f.cust.ID, cs.ID)
	if got.Status != billing.CheckoutFailed {
		t.Fatalf("declined checkout status = %s", got.Status)
	}
	// A late "paid" for a declined session changes nothing either.
	f.pay(t, cs, "evt_late", billing.PaymentSucceeded)
	if f.sub(t).Plan.ID != "free" {
		t.Fatal("a paid event after a decline applied")
	}
}

func TestExpiredCheckoutChangesNothing(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	f.clock.Advance(31 * time.Minute)
	got, _ := f.svc.CheckoutForCustomer(f.ctx, f.cust.ID, cs.ID)
	if got.Status != billing.CheckoutExpired {
		t.Fatalf("status after expiry = %s", got.Status)
	}
	f.pay(t, cs, "evt_after_expiry", billing.PaymentSucceeded)
	if f.sub(t).Plan.ID != "free" || len(f.invoices(t)) != 0 {
		t.Fatal("a payment after expiry applied")
	}
	// Asking again after expiry opens a new session.
	again := f.change(t, "pro-monthly").Checkout
	if again.ID == cs.ID {
		t.Fatal("an expired session was reused")
	}
}

func TestSameChangeReusesTheOpenSession(t *testing.T) {
	f := newFixture(t)
	first := f.change(t, "pro-annual").Checkout
	second := f.change(t, "pro-annual").Checkout
	if first.ID != second.ID || first.PaymentURL != second.PaymentURL || len(f.provider.created) != 1 {
		t.Fatalf("same change twice: %s and %s, provider calls %d", first.ID, second.ID, len(f.provider.created))
	}
	// A different change expires the first session, here and at the provider.
	other := f.change(t, "business-monthly").Checkout
	if other.ID == first.ID || len(f.provider.expired) != 1 || f.provider.expired[0] != first.ProviderRef {
		t.Fatalf("different change: %s, expired at provider %v", other.ID, f.provider.expired)
	}
	f.pay(t, first, "evt_old", billing.PaymentSucceeded)
	if f.sub(t).Plan.ID != "free" {
		t.Fatal("paying a superseded checkout applied it")
	}
}

func TestConcurrentDoubleSubmitMakesOneCheckout(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-annual", "now")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = res.Checkout.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("double submit opened several sessions: %v", ids)
		}
	}
	open, _ := f.store.OpenCheckoutSessions(f.ctx, f.cust.ID)
	if len(open) != 1 {
		t.Fatalf("%d open sessions", len(open))
	}
}

func TestRejectedChanges(t *testing.T) {
	f := newFixture(t)
	if err := f.store.SetPlanActive(f.ctx, "business-annual", false); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ plan, timing, field string }{
		"same plan":      {"free", "", "plan"},
		"unknown plan":   {"gold-monthly", "", "plan"},
		"malformed":      {"Pro Annual!", "", "plan"},
		"empty":          {"", "", "plan"},
		"inactive":       {"business-annual", "", "plan"},
		"unknown timing": {"pro-monthly", "tomorrow", "timing"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, c.plan, c.timing)
			var verr *billing.ValidationError
			if !errors.As(err, &verr) || verr.Problems[0].Field != c.field {
				t.Fatalf("err = %v, want a validation error on %s", err, c.field)
			}
		})
	}
	open, _ := f.store.OpenCheckoutSessions(f.ctx, f.cust.ID)
	if len(open) != 0 || f.sub(t).Plan.ID != "free" || len(f.provider.created) != 0 {
		t.Fatal("a rejected change left state behind")
	}
}

func TestProviderFailureLeavesNothingOpen(t *testing.T) {
	f := newFixture(t)
	f.provider.fail = errors.New("connection refused")
	_, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-monthly", "")
	var perr *billing.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a provider error", err)
	}
	open, _ := f.store.OpenCheckoutSessions(f.ctx, f.cust.ID)
	if len(open) != 0 || f.sub(t).Plan.ID != "free" {
		t.Fatal("a provider failure left an open session or changed the plan")
	}
	f.provider.fail = nil
	if cs := f.change(t, "pro-monthly").Checkout; cs.PaymentURL == "" {
		t.Fatal("retry after the provider recovered failed")
	}
}

func TestWrongAmountIsNotApplied(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	err := f.svc.ApplyPaymentEvent(f.ctx, billing.PaymentEvent{EventID: "evt_short", Outcome: billing.PaymentSucceeded,
		ProviderRef: cs.ProviderRef, Amount: billing.Money{Amount: 100, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.sub(t).Plan.ID != "free" {
		t.Fatal("an underpayment applied the change")
	}
}

func TestMoveToFreeWaitsForThePeriodEnd(t *testing.T) {
	f := newFixture(t)
	f.pay(t, f.change(t, "starter-monthly").Checkout, "evt_1", billing.PaymentSucceeded)
	res := f.change(t, "free")
	if !res.Scheduled || res.Checkout != nil || res.Applied {
		t.Fatalf("moving to free: %+v", res)
	}
	sub := f.sub(t)
	sc, ok, err := f.svc.ScheduledChange(f.ctx, f.cust.ID)
	if err != nil || !ok || sc.Plan.ID != "free" || !sc.EffectiveAt.Equal(sub.PeriodEnd) || sub.Plan.ID != "starter-monthly" {
		t.Fatalf("scheduled = %+v %v %v; sub on %s", sc, ok, err, sub.Plan.ID)
	}
}

func TestUnknownProviderReferenceIsIgnored(t *testing.T) {
	f := newFixture(t)
	err := f.svc.ApplyPaymentEvent(f.ctx, billing.PaymentEvent{EventID: "evt_x", Outcome: billing.PaymentSucceeded, ProviderRef: "ref_nobody"})
	if err != nil {
		t.Fatalf("unknown reference: %v", err)
	}
}

func TestCheckoutOfAnotherCustomerIsNotFound(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	other := dbtest.Customer(t, f.store, "eve@example.com", start)
	if _, err := f.svc.CheckoutForCustomer(f.ctx, other, cs.ID); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}
