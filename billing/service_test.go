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
	p := newFakeProvider(clk)
	svc := billing.NewService(store, p, clk, billing.Options{CheckoutTTL: 30 * time.Minute,
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

// pay pays the checkout at the provider and delivers the provider's event
// once; outcome PaymentDeclined declines it instead.
func (f *fixture) pay(t *testing.T, cs *billing.CheckoutSession, outcome outcome) {
	t.Helper()
	if outcome == declined {
		f.deliver(t, f.provider.decline(cs.ProviderRef))
		return
	}
	ev, ok := f.provider.pay(cs.ProviderRef)
	if !ok {
		t.Fatalf("the provider refused to take payment for %s", cs.ID)
	}
	f.deliver(t, ev)
}

type outcome bool

const (
	paid     outcome = true
	declined outcome = false
)

// deliver applies a provider event as the webhook would.
func (f *fixture) deliver(t *testing.T, ev billing.Event) {
	t.Helper()
	if err := f.svc.ApplyEvent(f.ctx, ev); err != nil {
		t.Fatalf("apply %s: %v", ev.ID, err)
	}
}

// assertBooks checks the books after a scenario: clean invariants, and
// every cent the provider took is in the ledger and ended applied to a paid
// invoice or as account credit.
func (f *fixture) assertBooks(t *testing.T) dbtest.Money {
	t.Helper()
	vs, err := f.svc.CheckBooks(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("books: %s %s: %s", v.Rule, v.Subject, v.Detail)
	}
	m := dbtest.Books(t, f.store)
	taken := f.provider.moneyTaken()
	if m.Recorded != taken || m.Applied+m.Credited != taken || m.Held != 0 {
		t.Fatalf("money: provider took %d; ledger recorded %d; applied %d + credited %d = %d; held %d",
			taken, m.Recorded, m.Applied, m.Credited, m.Applied+m.Credited, m.Held)
	}
	return m
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
	ev, ok := f.provider.pay(cs.ProviderRef)
	if !ok {
		t.Fatal("the provider refused the payment")
	}
	f.deliver(t, ev)
	f.deliver(t, ev) // replay
	second := ev     // another event about the same payment
	second.ID = "evt_again"
	f.deliver(t, second)
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
	if acct, err := f.store.PaymentAccount(f.ctx, f.cust.ID, "fake"); err != nil || acct.Card.Last4 != "4242" || acct.CustomerRef == "" {
		t.Fatalf("the card paid with is not saved for renewals: %+v %v", acct, err)
	}
	if m := f.assertBooks(t); m.Applied != 29000 || m.Credited != 0 {
		t.Fatalf("books: %+v", m)
	}
}

func TestDeclinedPaymentChangesNothing(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "starter-monthly").Checkout
	f.pay(t, cs, declined)
	if f.sub(t).Plan.ID != "free" || len(f.invoices(t)) != 0 {
		t.Fatal("a decline changed the subscription or wrote an invoice")
	}
	got, _ := f.svc.CheckoutForCustomer(f.ctx, f.cust.ID, cs.ID)
	if got.Status != billing.CheckoutFailed {
		t.Fatalf("declined checkout status = %s", got.Status)
	}
	// Money reported for a declined checkout (a provider that took it
	// anyway) is never dropped: it becomes credit, and changes no plan.
	f.deliver(t, billing.Event{ID: "evt_late", Kind: billing.EventCheckoutPaid, CheckoutRef: cs.ProviderRef, PaymentRef: "pay_odd",
		Amount: cs.Amount})
	if sub := f.sub(t); sub.Plan.ID != "free" || sub.Credit != 900 {
		t.Fatalf("a paid event after a decline: plan %s, credit %d", sub.Plan.ID, sub.Credit)
	}
	if m := dbtest.Books(t, f.store); m.Recorded != 900 || m.Credited != 900 || m.Applied != 0 {
		t.Fatalf("books: %+v", m)
	}
}

func TestExpiredCheckoutCannotBePaid(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	f.clock.Advance(31 * time.Minute)
	if _, ok := f.provider.pay(cs.ProviderRef); ok {
		t.Fatal("the provider took payment after the checkout expired")
	}
	// Asking again after expiry opens a new session; the old one is expired
	// at the provider first.
	again := f.change(t, "pro-monthly").Checkout
	got, _ := f.svc.CheckoutForCustomer(f.ctx, f.cust.ID, cs.ID)
	if again.ID == cs.ID || got.Status != billing.CheckoutExpired || got.ClosedReason != "timeout" {
		t.Fatalf("after expiry: new %s, old %s (%s)", again.ID, got.Status, got.ClosedReason)
	}
	f.pay(t, again, paid)
	if f.sub(t).Plan.ID != "pro-monthly" {
		t.Fatal("the new checkout did not apply")
	}
	f.assertBooks(t)
}

func TestLateEventForAPaymentMadeInTimeApplies(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	f.clock.Advance(29 * time.Minute)
	ev, ok := f.provider.pay(cs.ProviderRef) // paid in time
	if !ok {
		t.Fatal("payment refused")
	}
	f.clock.Advance(3 * 24 * time.Hour) // the event arrives days later (an outage)
	f.deliver(t, ev)
	if sub := f.sub(t); sub.Plan.ID != "pro-monthly" {
		t.Fatalf("a late event for a payment made in time: plan %s", sub.Plan.ID)
	}
	f.assertBooks(t)
}

func TestSameChangeReusesTheOpenSession(t *testing.T) {
	f := newFixture(t)
	first := f.change(t, "pro-annual").Checkout
	second := f.change(t, "pro-annual").Checkout
	if creates, _, _ := f.provider.counts(); first.ID != second.ID || first.PaymentURL != second.PaymentURL || creates != 1 {
		t.Fatalf("same change twice: %s and %s, provider calls %d", first.ID, second.ID, creates)
	}
	// A different change expires the first session, at the provider first.
	other := f.change(t, "business-monthly").Checkout
	if _, expires, _ := f.provider.counts(); other.ID == first.ID || expires != 1 || f.provider.expireCalls[0] != first.ProviderRef {
		t.Fatalf("different change: %s, expired at provider %v", other.ID, f.provider.expireCalls)
	}
	if _, ok := f.provider.pay(first.ProviderRef); ok {
		t.Fatal("the provider still takes payment for a superseded checkout")
	}
	f.assertBooks(t)
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
	if creates, _, _ := f.provider.counts(); len(open) != 0 || f.sub(t).Plan.ID != "free" || creates != 0 {
		t.Fatal("a rejected change left state behind")
	}
}

func TestProviderFailureChargesNothing(t *testing.T) {
	f := newFixture(t)
	f.provider.fail = errors.New("connection refused")
	_, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-monthly", "")
	var perr *billing.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want a provider error", err)
	}
	if f.sub(t).Plan.ID != "free" || f.provider.sessionCount() != 0 {
		t.Fatal("a provider failure changed the plan or left a payment page")
	}
	f.provider.fail = nil
	cs := f.change(t, "pro-monthly").Checkout
	if cs.PaymentURL == "" {
		t.Fatal("retry after the provider recovered failed")
	}
	open, _ := f.store.OpenCheckoutSessions(f.ctx, f.cust.ID)
	if len(open) != 1 {
		t.Fatalf("%d open checkouts after the retry, want the one being paid", len(open))
	}
}

func TestWrongAmountBecomesCredit(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	f.deliver(t, billing.Event{ID: "evt_short", Kind: billing.EventCheckoutPaid, CheckoutRef: cs.ProviderRef, PaymentRef: "pay_short",
		Amount: billing.Money{Amount: 100, Currency: "usd"}})
	if sub := f.sub(t); sub.Plan.ID != "free" || sub.Credit != 100 {
		t.Fatalf("an underpayment: plan %s, credit %d", sub.Plan.ID, sub.Credit)
	}
	f.deliver(t, billing.Event{ID: "evt_eur", Kind: billing.EventCheckoutPaid, CheckoutRef: cs.ProviderRef, PaymentRef: "pay_eur",
		Amount: billing.Money{Amount: 2900, Currency: "EUR"}})
	m := dbtest.Books(t, f.store)
	if f.sub(t).Plan.ID != "free" || m.Held != 2900 || m.Recorded != 3000 {
		t.Fatalf("a payment in another currency must be held for a person, not lost: %+v", m)
	}
	vs, _ := f.svc.CheckBooks(f.ctx)
	if len(vs) != 1 || vs[0].Rule != billing.RulePaymentAllocated {
		t.Fatalf("the held payment must show in the books check: %+v", vs)
	}
}

func TestMoveToFreeWaitsForThePeriodEnd(t *testing.T) {
	f := newFixture(t)
	f.pay(t, f.change(t, "starter-monthly").Checkout, paid)
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

func TestPaymentForAnUnknownCheckoutIsHeld(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, billing.Event{ID: "evt_x", Kind: billing.EventCheckoutPaid, CheckoutRef: "ref_nobody", PaymentRef: "pay_x",
		Amount: billing.Money{Amount: 500, Currency: "USD"}})
	if m := dbtest.Books(t, f.store); m.Held != 500 {
		t.Fatalf("money for an unknown checkout must be recorded and held: %+v", m)
	}
	f.deliver(t, billing.Event{ID: "evt_y", Kind: billing.EventCheckoutFailed, CheckoutRef: "ref_nobody"})
}

func TestCheckoutOfAnotherCustomerIsNotFound(t *testing.T) {
	f := newFixture(t)
	cs := f.change(t, "pro-monthly").Checkout
	other := dbtest.Customer(t, f.store, "eve@example.com", start)
	if _, err := f.svc.CheckoutForCustomer(f.ctx, other, cs.ID); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}
