package stripe_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/stripe"
	"github.com/billingportal/portal/checkout/stripe/stripefake"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
)

// These flows run the portal's billing against a fake Stripe that keeps
// state and signs its events as Stripe does; every event goes through the
// provider's ParseWebhook (signature, then reduction) and the ledger. Each
// ends with the books: every cent Stripe took is recorded once and ended
// applied to a paid invoice or as account credit.

type harness struct {
	store *db.Store
	svc   *billing.Service
	fake  *stripefake.Server
	clock *clock.Fixed
	cust  billing.Customer
	ctx   context.Context
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	store := dbtest.New(t)
	clk := clock.NewFixed(time.Now().UTC().Truncate(time.Second))
	fake := stripefake.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := stripe.New(stripe.Config{SecretKey: stripefake.SecretKey, WebhookSecret: stripefake.WebhookSecret, APIBase: fake.URL,
		Clock: clk, Wall: clock.System{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.NewService(store, p, clk, billing.Options{CheckoutTTL: stripe.CheckoutTTL, Logger: log,
		ReturnURL:     func(id string) string { return "https://portal.example/checkout/return?session_id=" + id },
		CardReturnURL: "https://portal.example/subscription?notice=card_saved", CardCancelURL: "https://portal.example/subscription"})
	id := dbtest.Customer(t, store, "ann@example.com", clk.Now())
	return &harness{store: store, svc: svc, fake: fake, clock: clk, cust: billing.Customer{ID: id, Email: "ann@example.com"}, ctx: context.Background()}
}

func (h *harness) change(t *testing.T, plan string) *billing.CheckoutSession {
	t.Helper()
	res, err := h.svc.RequestChange(h.ctx, billing.Actor{UserID: h.cust.ID, Email: h.cust.Email}, h.cust, plan, "")
	if err != nil {
		t.Fatalf("change to %s: %v", plan, err)
	}
	if res.Checkout == nil {
		t.Fatalf("change to %s needs no payment", plan)
	}
	return res.Checkout
}

// deliver sends Stripe's events to the portal's webhook path, as Stripe would.
func (h *harness) deliver(t *testing.T, evs ...stripefake.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := h.svc.ReceiveWebhook(h.ctx, ev.Header, ev.Body); err != nil {
			t.Fatalf("webhook %s (%s): %v", ev.ID, ev.Type, err)
		}
	}
}

func (h *harness) deliverAll(t *testing.T) []stripefake.Event {
	t.Helper()
	evs := h.fake.TakeEvents()
	h.deliver(t, evs...)
	return evs
}

func (h *harness) sub(t *testing.T) billing.Subscription {
	t.Helper()
	s, err := h.svc.Subscription(h.ctx, h.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pay pays a checkout on Stripe's page with card and delivers the events.
func (h *harness) pay(t *testing.T, cs *billing.CheckoutSession, card string) {
	t.Helper()
	if err := h.fake.Complete(cs.ProviderRef, card); err != nil {
		t.Fatalf("pay %s: %v", cs.ProviderRef, err)
	}
	h.deliverAll(t)
}

// assertBooks: clean invariants, and what Stripe took (plus money only an
// event claimed, extra) is recorded once, applied or credited, none held.
func (h *harness) assertBooks(t *testing.T, held int64) dbtest.Money {
	t.Helper()
	vs, err := h.svc.CheckBooks(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if held == 0 || v.Rule != "payment_held" {
			t.Errorf("books: %s %s: %s", v.Rule, v.Subject, v.Detail)
		}
	}
	m := dbtest.Books(t, h.store)
	taken := h.fake.Taken()
	if m.Recorded != taken+held || m.Applied+m.Credited != taken || m.Held != held {
		t.Fatalf("money: Stripe took %d; ledger recorded %d; applied %d + credited %d = %d; held %d (want %d)",
			taken, m.Recorded, m.Applied, m.Credited, m.Applied+m.Credited, m.Held, held)
	}
	return m
}

func (h *harness) card(t *testing.T) billing.PaymentMethod {
	t.Helper()
	pm, _, err := h.svc.PaymentMethod(h.ctx, h.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

func (h *harness) checkout(t *testing.T, id string) billing.CheckoutSession {
	t.Helper()
	cs, err := h.svc.CheckoutForCustomer(h.ctx, h.cust.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// payFor subscribes the customer to plan, paying with card 4242.
func (h *harness) payFor(t *testing.T, plan string) *billing.CheckoutSession {
	t.Helper()
	cs := h.change(t, plan)
	h.pay(t, cs, stripefake.CardWorks)
	return cs
}

// saveCard replaces the card through Checkout in setup mode.
func (h *harness) saveCard(t *testing.T, card string) {
	t.Helper()
	url, err := h.svc.StartCardUpdate(h.ctx, billing.Actor{UserID: h.cust.ID, Email: h.cust.Email}, h.cust)
	if err != nil {
		t.Fatal(err)
	}
	id := url[strings.LastIndex(url, "/")+1:]
	if err := h.fake.Complete(id, card); err != nil {
		t.Fatal(err)
	}
	h.deliverAll(t)
}

// renew moves billing time past the period's end and runs the worker.
func (h *harness) renew(t *testing.T) {
	t.Helper()
	h.clock.Set(h.sub(t).PeriodEnd.Add(time.Minute))
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStripeChangePayWebhookApplied(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	if !strings.HasPrefix(cs.PaymentURL, h.fake.URL+"/pay/") || cs.Amount != (billing.Money{Amount: 2900, Currency: "USD"}) {
		t.Fatalf("checkout = %+v", cs)
	}
	if again := h.change(t, "pro-monthly"); again.ID != cs.ID || again.PaymentURL != cs.PaymentURL {
		t.Fatalf("asking twice made another checkout: %s vs %s", again.ID, cs.ID)
	}
	if h.fake.Calls["POST /v1/customers"] != 1 || h.fake.Calls["POST /v1/checkout/sessions"] != 1 {
		t.Fatalf("Stripe calls: %v", h.fake.Calls)
	}
	if s := h.sub(t); s.Plan.ID != "free" {
		t.Fatalf("the plan changed before payment: %s", s.Plan.ID)
	}
	h.pay(t, cs, stripefake.CardWorks)
	if s := h.sub(t); s.Plan.ID != "pro-monthly" || s.Status != billing.Active {
		t.Fatalf("after payment: %s %s", s.Plan.ID, s.Status)
	}
	if got := h.checkout(t, cs.ID); got.Status != billing.CheckoutCompleted {
		t.Fatalf("checkout %s", got.Status)
	}
	if pm := h.card(t); pm.Last4 != "4242" || pm.Brand != "visa" || pm.ExpMonth != 12 || pm.ExpYear != 2030 || !strings.HasPrefix(pm.Ref, "pm_") {
		t.Fatalf("card on file = %+v", pm)
	}
	invs, _ := h.svc.Invoices(h.ctx, h.cust.ID)
	if len(invs) != 1 || invs[0].Amount.Amount != 2900 || invs[0].Status != billing.InvoicePaid {
		t.Fatalf("invoices = %+v", invs)
	}
	h.assertBooks(t, 0)
}

func TestStripeDeclinedCardAtCheckoutChangesNothing(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	if err := h.fake.Complete(cs.ProviderRef, stripefake.CardDeclines); !errors.Is(err, stripefake.ErrDeclined) {
		t.Fatalf("declined card: %v", err)
	}
	h.deliverAll(t)
	if s := h.sub(t); s.Plan.ID != "free" {
		t.Fatalf("a declined card changed the plan: %s", s.Plan.ID)
	}
	// The customer tries another card on the same page: it goes through.
	h.pay(t, cs, stripefake.CardWorks)
	if s := h.sub(t); s.Plan.ID != "pro-monthly" {
		t.Fatalf("after the second card: %s", s.Plan.ID)
	}
	h.assertBooks(t, 0)
}

func TestStripeDelayedPaymentThatFailsClosesTheCheckout(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	obj := map[string]any{"id": cs.ProviderRef, "object": "checkout.session", "mode": "payment", "status": "complete",
		"payment_status": "unpaid", "client_reference_id": cs.ID, "metadata": map[string]string{"portal_checkout": cs.ID},
		"amount_total": 2900, "currency": "usd", "customer": customerRef(t, h)}
	h.deliver(t, h.fake.Sign("checkout.session.completed", obj)) // unpaid: a delayed method, nothing yet
	if got := h.checkout(t, cs.ID); got.Status != billing.CheckoutOpen {
		t.Fatalf("an unpaid completed session closed the checkout: %s", got.Status)
	}
	h.deliver(t, h.fake.Sign("checkout.session.async_payment_failed", obj))
	if got := h.checkout(t, cs.ID); got.Status != billing.CheckoutFailed {
		t.Fatalf("after the delayed payment failed: %s", got.Status)
	}
	if s := h.sub(t); s.Plan.ID != "free" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
	h.assertBooks(t, 0)
}

func customerRef(t *testing.T, h *harness) string {
	t.Helper()
	acct, err := h.store.PaymentAccount(h.ctx, h.cust.ID, stripe.Name)
	if err != nil {
		t.Fatal(err)
	}
	return acct.CustomerRef
}

func TestStripeExpiry(t *testing.T) {
	h := newHarness(t)
	// Stripe expires the session at its expires_at: the portal closes its checkout.
	cs := h.change(t, "pro-monthly")
	h.fake.ExpireNow(cs.ProviderRef)
	h.deliverAll(t)
	if got := h.checkout(t, cs.ID); got.Status != billing.CheckoutExpired {
		t.Fatalf("after Stripe's expiry: %s", got.Status)
	}
	if err := h.fake.Complete(cs.ProviderRef, stripefake.CardWorks); !errors.Is(err, stripefake.ErrNotOpen) {
		t.Fatalf("an expired session took payment: %v", err)
	}
	// Choosing another change expires the open session at Stripe first.
	a := h.change(t, "pro-monthly")
	b := h.change(t, "business-monthly")
	if status, _ := h.fake.Session(a.ProviderRef); status != "expired" {
		t.Fatalf("the superseded session is %q at Stripe", status)
	}
	h.deliverAll(t) // its checkout.session.expired
	if err := h.fake.Complete(a.ProviderRef, stripefake.CardWorks); !errors.Is(err, stripefake.ErrNotOpen) {
		t.Fatalf("a superseded session took payment: %v", err)
	}
	h.pay(t, b, stripefake.CardWorks)
	if s := h.sub(t); s.Plan.ID != "business-monthly" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
	h.assertBooks(t, 0)
}

// A session paid whose events are still on their way cannot be expired:
// Stripe refuses, the session says complete, and the portal refuses the
// other change until the payment is applied.
func TestStripeChangeWhileAPaymentIsBeingConfirmed(t *testing.T) {
	h := newHarness(t)
	a := h.change(t, "pro-monthly")
	if err := h.fake.Complete(a.ProviderRef, stripefake.CardWorks); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.RequestChange(h.ctx, billing.Actor{}, h.cust, "business-monthly", "")
	var conflict *billing.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("got %v, want a conflict", err)
	}
	h.deliverAll(t)
	if s := h.sub(t); s.Plan.ID != "pro-monthly" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
	h.assertBooks(t, 0)
}

func TestStripeReplayedThreeTimesAppliesOnce(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-annual")
	if err := h.fake.Complete(cs.ProviderRef, stripefake.CardWorks); err != nil {
		t.Fatal(err)
	}
	evs := h.fake.TakeEvents()
	for range 3 {
		h.deliver(t, evs...)
	}
	invs, _ := h.svc.Invoices(h.ctx, h.cust.ID)
	if len(invs) != 1 || h.sub(t).Plan.ID != "pro-annual" {
		t.Fatalf("after three replays: %d invoices, plan %s", len(invs), h.sub(t).Plan.ID)
	}
	if m := h.assertBooks(t, 0); m.Recorded != 29000 {
		t.Fatalf("recorded %d", m.Recorded)
	}
}

func TestStripeEventsInAnyOrder(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	if err := h.fake.Complete(cs.ProviderRef, stripefake.CardWorks); err != nil {
		t.Fatal(err)
	}
	evs := h.fake.TakeEvents()
	for i := len(evs) - 1; i >= 0; i-- { // newest first: completed before the card was attached
		h.deliver(t, evs[i])
	}
	if s := h.sub(t); s.Plan.ID != "pro-monthly" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
	if pm := h.card(t); pm.Last4 != "4242" {
		t.Fatalf("card %+v", pm)
	}
	// An expiry arriving after the payment changes nothing.
	exp := h.fake.Sign("checkout.session.expired", map[string]any{"id": cs.ProviderRef, "object": "checkout.session",
		"mode": "payment", "status": "expired", "client_reference_id": cs.ID, "metadata": map[string]string{"portal_checkout": cs.ID}})
	h.deliver(t, exp)
	if got := h.checkout(t, cs.ID); got.Status != billing.CheckoutCompleted {
		t.Fatalf("a late expiry reopened or closed a paid checkout: %s", got.Status)
	}
	h.assertBooks(t, 0)
}

func TestStripeRenewalSucceeds(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	end := h.sub(t).PeriodEnd
	h.renew(t)
	h.deliverAll(t) // payment_intent.succeeded for a charge already settled
	pis := h.fake.Intents()
	if len(pis) != 1 || pis[0].Status != "succeeded" || pis[0].Amount != 2900 || !strings.HasPrefix(pis[0].Key, "renewal:") {
		t.Fatalf("intents = %+v", pis)
	}
	if s := h.sub(t); s.Status != billing.Active || !s.PeriodStart.Equal(end) {
		t.Fatalf("after renewal: %s from %s", s.Status, s.PeriodStart)
	}
	// The worker running again charges nothing more (same idempotency key).
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Intents()); n != 1 {
		t.Fatalf("%d intents", n)
	}
	h.assertBooks(t, 0)
}

func TestStripeRenewalDeclinedThenPaidThroughCheckout(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	h.saveCard(t, stripefake.CardDeclines)
	h.renew(t)
	h.deliverAll(t) // payment_intent.payment_failed, already answered
	s := h.sub(t)
	if s.Status != billing.Overdue {
		t.Fatalf("after a declined renewal: %s", s.Status)
	}
	cs, err := h.svc.PayOverdue(h.ctx, billing.Actor{}, h.cust)
	if err != nil || cs.ID == "" {
		t.Fatalf("pay now: %+v %v", cs, err)
	}
	h.pay(t, &cs, stripefake.CardWorks)
	if s := h.sub(t); s.Status != billing.Active {
		t.Fatalf("after paying the overdue invoice: %s", s.Status)
	}
	if pm := h.card(t); pm.Last4 != "4242" {
		t.Fatalf("the card paid with at checkout is not the saved one: %+v", pm)
	}
	h.assertBooks(t, 0)
}

func TestStripeRenewalNeeds3DSGoesOverdue(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	h.saveCard(t, stripefake.CardNeeds3DS)
	h.renew(t)
	h.deliverAll(t)
	if s := h.sub(t); s.Status != billing.Overdue {
		t.Fatalf("after a renewal needing 3-D Secure: %s", s.Status)
	}
	entries, _, err := h.svc.AuditLog(h.ctx, billing.AuditFilter{SubjectID: h.cust.ID, Action: "renewal.failed", Limit: 10})
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Reason, "3-D Secure") {
		t.Fatalf("audit = %+v %v", entries, err)
	}
	cs, err := h.svc.PayOverdue(h.ctx, billing.Actor{}, h.cust)
	if err != nil {
		t.Fatal(err)
	}
	h.pay(t, &cs, stripefake.CardNeeds3DS) // on-session, the customer confirms
	if s := h.sub(t); s.Status != billing.Active {
		t.Fatalf("after paying: %s", s.Status)
	}
	h.assertBooks(t, 0)
}

func TestStripeAsyncRenewalSettlesByWebhook(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	h.saveCard(t, stripefake.CardAsync)
	end := h.sub(t).PeriodEnd
	h.renew(t)
	pis := h.fake.Intents()
	if len(pis) != 1 || pis[0].Status != "processing" {
		t.Fatalf("intents = %+v", pis)
	}
	if s := h.sub(t); !s.PeriodEnd.Equal(end) {
		t.Fatal("a processing charge renewed the subscription")
	}
	h.fake.Settle(pis[0].ID, true)
	h.deliverAll(t)
	if s := h.sub(t); s.Status != billing.Active || !s.PeriodStart.Equal(end) {
		t.Fatalf("after the charge settled: %s from %s", s.Status, s.PeriodStart)
	}
	h.assertBooks(t, 0)
}

func TestStripeAsyncRenewalThatFailsGoesOverdue(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	h.saveCard(t, stripefake.CardAsync)
	h.renew(t)
	h.fake.Settle(h.fake.Intents()[0].ID, false)
	h.deliverAll(t)
	if s := h.sub(t); s.Status != billing.Overdue {
		t.Fatalf("after the charge failed: %s", s.Status)
	}
	h.assertBooks(t, 0)
}

func TestStripeCardUpdateBecomesTheRenewalCard(t *testing.T) {
	h := newHarness(t)
	h.payFor(t, "pro-monthly")
	first := h.card(t)
	h.saveCard(t, stripefake.CardNeeds3DS) // a card that works on-session...
	h.saveCard(t, stripefake.CardWorks)    // ...replaced again by one that works off-session
	second := h.card(t)
	if second.Ref == first.Ref || second.Last4 != "4242" {
		t.Fatalf("card after update = %+v (first %+v)", second, first)
	}
	if h.fake.Calls["POST /v1/customers"] != 1 {
		t.Fatalf("a second Stripe customer was made: %v", h.fake.Calls)
	}
	h.renew(t)
	pis := h.fake.Intents()
	if len(pis) != 1 || pis[0].Status != "succeeded" {
		t.Fatalf("intents = %+v", pis)
	}
	if s := h.sub(t); s.Status != billing.Active {
		t.Fatalf("status %s", s.Status)
	}
	h.assertBooks(t, 0)
}

func TestStripeRefundMarksTheInvoiceAndKeepsThePlan(t *testing.T) {
	h := newHarness(t)
	cs := h.payFor(t, "pro-monthly")
	_, pi := h.fake.Session(cs.ProviderRef)
	if err := h.fake.Refund(pi, 1000); err != nil {
		t.Fatal(err)
	}
	evs := h.deliverAll(t)
	h.deliver(t, evs...) // a replay refunds nothing more
	invs, _ := h.svc.Invoices(h.ctx, h.cust.ID)
	if len(invs) != 1 || invs[0].Refunded != 1000 || h.sub(t).Plan.ID != "pro-monthly" {
		t.Fatalf("after a partial refund: %+v, plan %s", invs, h.sub(t).Plan.ID)
	}
	if err := h.fake.Refund(pi, 1900); err != nil {
		t.Fatal(err)
	}
	h.deliverAll(t)
	invs, _ = h.svc.Invoices(h.ctx, h.cust.ID)
	if invs[0].Refunded != 2900 || h.sub(t).Plan.ID != "pro-monthly" {
		t.Fatalf("after the full refund: %d, plan %s", invs[0].Refunded, h.sub(t).Plan.ID)
	}
	h.assertBooks(t, 0)
}

// A Stripe that cannot be reached leaves no half a change: the request
// fails with a provider error, the plan is unchanged, and the checkout has
// no payment page (it expires on its own).
func TestStripeOutageChangesNothing(t *testing.T) {
	h := newHarness(t)
	dead := "http://" + deadAddr(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := stripe.New(stripe.Config{SecretKey: stripefake.SecretKey, WebhookSecret: stripefake.WebhookSecret, APIBase: dead,
		Clock: h.clock, Wall: clock.System{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc := billing.NewService(h.store, p, h.clock, billing.Options{CheckoutTTL: stripe.CheckoutTTL, Logger: log,
		ReturnURL: func(id string) string { return "https://portal.example/checkout/return?session_id=" + id }})
	_, err = svc.RequestChange(h.ctx, billing.Actor{}, h.cust, "pro-monthly", "")
	var perr *billing.ProviderError
	if !errors.As(err, &perr) {
		t.Fatalf("with Stripe unreachable: %v, want a provider error", err)
	}
	if s := h.sub(t); s.Plan.ID != "free" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
	if _, err := svc.StartCardUpdate(h.ctx, billing.Actor{}, h.cust); !errors.As(err, &perr) {
		t.Fatalf("card update with Stripe unreachable: %v", err)
	}
	h.assertBooks(t, 0)
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
