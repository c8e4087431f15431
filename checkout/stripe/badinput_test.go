package stripe_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/stripe/stripefake"
	"github.com/billingportal/portal/db/dbtest"
)

// paidSession is the object of a checkout.session.completed event for cs,
// as Stripe would send it, for tests to spoil one field at a time.
func paidSession(h *harness, t *testing.T, cs *billing.CheckoutSession) map[string]any {
	return map[string]any{"id": cs.ProviderRef, "object": "checkout.session", "mode": "payment", "status": "complete",
		"payment_status": "paid", "client_reference_id": cs.ID, "metadata": map[string]string{"portal_checkout": cs.ID},
		"amount_total": cs.Amount.Amount, "currency": "usd", "customer": customerRef(t, h), "payment_intent": "pi_forged_" + cs.ID}
}

// unchanged asserts the customer is still on Free and the checkout is not completed.
func (h *harness) unchanged(t *testing.T, cs *billing.CheckoutSession) {
	t.Helper()
	if s := h.sub(t); s.Plan.ID != "free" {
		t.Fatalf("the plan changed to %s", s.Plan.ID)
	}
	if got := h.checkout(t, cs.ID); got.Status == billing.CheckoutCompleted {
		t.Fatal("the checkout was completed")
	}
}

func TestStripeWebhooksThatAreNotStripesChangeNothing(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	good := h.fake.Sign("checkout.session.completed", paidSession(h, t, cs))
	stale := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good.Body, Secret: stripefake.WebhookSecret,
		Timestamp: time.Now().Add(-10 * time.Minute)})
	forged := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: good.Body, Secret: "whsec_not_the_secret"})
	malformed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(`{"id": "evt_1", "object": "event", "type": `),
		Secret: stripefake.WebhookSecret})
	badObject := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Secret: stripefake.WebhookSecret,
		Payload: []byte(`{"id": "evt_2", "object": "event", "type": "checkout.session.completed", "data": {"object": {"amount_total": "lots"}}}`)})
	for name, header := range map[string]string{
		"unsigned":        "",
		"stale":           stale.Header,
		"wrong secret":    forged.Header,
		"garbage header":  "t=abc,v1=xyz",
		"malformed body":  malformed.Header,
		"malformed event": badObject.Header,
	} {
		body := good.Body
		switch name {
		case "malformed body":
			body = malformed.Payload
		case "malformed event":
			body = badObject.Payload
		}
		err := h.svc.ReceiveWebhook(h.ctx, http.Header{"Stripe-Signature": {header}}, body)
		if !errors.Is(err, billing.ErrBadWebhook) {
			t.Errorf("%s: %v, want ErrBadWebhook", name, err)
		}
	}
	h.unchanged(t, cs)
	if m := dbtest.Books(t, h.store); m.Recorded != 0 {
		t.Fatalf("a refused webhook recorded money: %+v", m)
	}
	h.deliver(t, good) // the same event, properly signed, applies
	if s := h.sub(t); s.Plan.ID != "pro-monthly" {
		t.Fatalf("plan %s", s.Plan.ID)
	}
}

func TestStripeEventsThePortalDoesNotActOnChangeNothing(t *testing.T) {
	h := newHarness(t)
	cs := h.change(t, "pro-monthly")
	for _, ev := range []stripefake.Event{
		h.fake.Sign("customer.updated", map[string]any{"id": customerRef(t, h), "object": "customer"}),
		h.fake.Sign("invoice.paid", map[string]any{"id": "in_1", "object": "invoice", "amount_paid": 2900}),
		// A session the portal did not make (no portal reference), paid.
		h.fake.Sign("checkout.session.completed", map[string]any{"id": "cs_other", "object": "checkout.session", "mode": "payment",
			"payment_status": "paid", "amount_total": 5000, "currency": "usd"}),
		// A PaymentIntent of a Checkout Session, not a renewal.
		h.fake.Sign("payment_intent.succeeded", map[string]any{"id": "pi_x", "object": "payment_intent", "amount_received": 2900,
			"currency": "usd", "metadata": map[string]string{"portal_checkout": cs.ID}}),
		// A refund of money the portal never recorded.
		h.fake.Sign("charge.refunded", map[string]any{"id": "ch_x", "object": "charge", "amount_refunded": 100, "currency": "usd",
			"payment_intent": "pi_unknown"}),
		// A card saved for a Stripe customer the portal does not know.
		h.fake.Sign("payment_method.attached", map[string]any{"id": "pm_x", "object": "payment_method", "customer": "cus_unknown",
			"card": map[string]any{"brand": "visa", "last4": "1111", "exp_month": 1, "exp_year": 2031}}),
	} {
		h.deliver(t, ev)
	}
	h.unchanged(t, cs)
	if m := dbtest.Books(t, h.store); m.Recorded != 0 {
		t.Fatalf("money recorded: %+v", m)
	}
	if pm := h.card(t); pm.Last4 != "" {
		t.Fatalf("another customer's card was saved: %+v", pm)
	}
}

func TestStripePaymentsThatDoNotMatchNeverChangeAPlanAndAreKept(t *testing.T) {
	cases := []struct {
		name     string
		spoil    func(obj map[string]any)
		held     int64 // kept for a person to refund
		credited int64 // kept as the customer's credit
	}{
		{"unknown session", func(o map[string]any) {
			o["id"], o["client_reference_id"], o["metadata"] = "cs_unknown", "cs_not_the_portals", map[string]string{"portal_checkout": "cs_not_the_portals"}
		}, 2900, 0},
		{"another customer", func(o map[string]any) { o["customer"] = "cus_someone_else" }, 2900, 0},
		{"wrong amount", func(o map[string]any) { o["amount_total"] = 100 }, 0, 100},
		{"wrong currency", func(o map[string]any) { o["currency"] = "eur" }, 2900, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cs := h.change(t, "pro-monthly")
			obj := paidSession(h, t, cs)
			tc.spoil(obj)
			ev := h.fake.Sign("checkout.session.completed", obj)
			h.deliver(t, ev, ev) // twice: recorded once
			h.unchanged(t, cs)
			m := dbtest.Books(t, h.store)
			if m.Held != tc.held || m.Credited != tc.credited || m.Recorded != tc.held+tc.credited || m.Applied != 0 {
				t.Fatalf("books %+v, want held %d credited %d", m, tc.held, tc.credited)
			}
		})
	}
}

// Another customer's checkout named in a payment by this customer's
// Stripe customer is held, not applied to either of them.
func TestStripePaymentForAnotherCustomersCheckoutIsHeld(t *testing.T) {
	h := newHarness(t)
	mine := h.change(t, "pro-monthly")
	other := billing.Customer{ID: dbtest.Customer(t, h.store, "bob@example.com", h.clock.Now()), Email: "bob@example.com"}
	res, err := h.svc.RequestChange(h.ctx, billing.Actor{}, other, "business-monthly", "")
	if err != nil {
		t.Fatal(err)
	}
	obj := paidSession(h, t, res.Checkout) // ann's Stripe customer paying bob's checkout
	h.deliver(t, h.fake.Sign("checkout.session.completed", obj))
	h.unchanged(t, mine)
	if s, _ := h.svc.Subscription(h.ctx, other.ID); s.Plan.ID != "free" {
		t.Fatalf("bob's plan changed to %s", s.Plan.ID)
	}
	if m := dbtest.Books(t, h.store); m.Held != 9900 {
		t.Fatalf("books %+v", m)
	}
}
