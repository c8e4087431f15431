package billing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/billingportal/portal/billing"
)

// fakeProvider is a payment provider with state, as a hosted one has: its
// checkouts can be paid (money taken, the event kept back for the test to
// deliver once, twice, late or out of order), expired, or refused; its
// charges answer as the test sets. It counts every call, not distinct keys,
// and keeps every amount it took, so tests compare the money the provider
// took with what the portal applied and credited.
type fakeProvider struct {
	mu       sync.Mutex
	clock    billing.Clock
	sessions map[string]*fakeSession // by ref
	inFlight map[string]bool         // CreateCheckout keys being served

	createCalls []billing.CheckoutRequest // every call
	expireCalls []string
	chargeCalls []billing.ChargeRequest
	setupCalls  []billing.CardSetupRequest
	charged     map[string]billing.ChargeResult // the answer per key, as the provider keeps it
	taken       []billing.Money                 // every amount taken, checkout or charge

	fail             error                 // CreateCheckout fails with it
	refuseConcurrent bool                  // CreateCheckout refuses a key already in flight (Stripe does)
	gate             chan struct{}         // when set, CreateCheckout waits for it (after marking the key in flight)
	chargeOutcome    billing.ChargeOutcome // what new charges answer; "" succeeds
	chargeErr        error                 // Charge fails with it (the answer is lost)
	onCharge         func()                // called during each charge, if set
	seq              int
}

type fakeSession struct {
	req    billing.CheckoutRequest
	ref    string
	status string // open, paid, expired
}

func newFakeProvider(clock billing.Clock) *fakeProvider {
	return &fakeProvider{clock: clock, sessions: map[string]*fakeSession{}, inFlight: map[string]bool{},
		charged: map[string]billing.ChargeResult{}}
}

func (p *fakeProvider) Name() string { return "fake" }

func (p *fakeProvider) EnsureCustomer(_ context.Context, cust billing.Customer, known string) (string, error) {
	if known != "" {
		return known, nil
	}
	return fmt.Sprintf("cus_%d", cust.ID), nil
}

func (p *fakeProvider) CreateCheckout(_ context.Context, req billing.CheckoutRequest) (billing.ProviderCheckout, error) {
	p.mu.Lock()
	p.createCalls = append(p.createCalls, req)
	if p.fail != nil {
		p.mu.Unlock()
		return billing.ProviderCheckout{}, p.fail
	}
	if p.refuseConcurrent && p.inFlight[req.SessionID] {
		p.mu.Unlock()
		return billing.ProviderCheckout{}, errors.New("idempotency key in use by a concurrent request")
	}
	p.inFlight[req.SessionID] = true
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.inFlight, req.SessionID)
	ref := "ref_" + req.SessionID
	if _, ok := p.sessions[ref]; !ok {
		p.sessions[ref] = &fakeSession{req: req, ref: ref, status: "open"}
	}
	return billing.ProviderCheckout{Ref: ref, PaymentURL: "https://pay.example/" + ref}, nil
}

func (p *fakeProvider) ExpireCheckout(_ context.Context, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireCalls = append(p.expireCalls, ref)
	s, ok := p.sessions[ref]
	switch {
	case !ok:
		return errors.New("no such checkout")
	case s.status == "paid":
		return billing.ErrCheckoutPaid
	}
	s.status = "expired"
	return nil
}

func (p *fakeProvider) Charge(_ context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chargeCalls = append(p.chargeCalls, req)
	if p.onCharge != nil {
		p.onCharge()
	}
	if res, ok := p.charged[req.Key]; ok {
		return res, p.chargeErr // the same key always gives the same answer, and takes money once
	}
	res := billing.ChargeResult{Outcome: p.chargeOutcome, PaymentRef: "pi_" + req.Key}
	if res.Outcome == "" {
		res.Outcome = billing.ChargeOutcomeSucceeded
	}
	if res.Outcome == billing.ChargeOutcomeFailed {
		res.Reason = "card declined"
	}
	p.charged[req.Key] = res
	if res.Succeeded() {
		p.taken = append(p.taken, req.Amount)
	}
	return res, p.chargeErr
}

// ParseWebhook reads events the test serialised with webhookBody.
func (p *fakeProvider) ParseWebhook(_ http.Header, body []byte) ([]billing.Event, error) {
	var ev billing.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		return nil, fmt.Errorf("%w: not a fake event", billing.ErrBadWebhook)
	}
	return []billing.Event{ev}, nil
}

// CreateCardSetup opens a page for saving a card; the fake keeps the requests.
func (p *fakeProvider) CreateCardSetup(_ context.Context, req billing.CardSetupRequest) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setupCalls = append(p.setupCalls, req)
	return "https://pay.example/setup/" + req.Key, nil
}

func (p *fakeProvider) TestMode() bool { return true }

// pay is the customer paying on the provider's page: it takes the money
// and returns the event the provider would send, or ok false when the
// page no longer takes payment (expired at the provider, or out of time).
func (p *fakeProvider) pay(ref string) (billing.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, found := p.sessions[ref]
	if !found || s.status != "open" || !p.clock.Now().Before(s.req.ExpiresAt) {
		return billing.Event{}, false
	}
	s.status = "paid"
	p.taken = append(p.taken, s.req.Amount)
	p.seq++
	return billing.Event{ID: fmt.Sprintf("evt_paid_%d", p.seq), Kind: billing.EventCheckoutPaid, CheckoutRef: ref,
		ClientRef: s.req.SessionID, PaymentRef: "pay_" + ref, Amount: s.req.Amount, CustomerRef: s.req.CustomerRef,
		PaymentMethod: &billing.PaymentMethod{Ref: "pm_" + s.req.CustomerRef, Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030}}, true
}

// decline is the customer's card being declined on the provider's page.
func (p *fakeProvider) decline(ref string) billing.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return billing.Event{ID: fmt.Sprintf("evt_declined_%d", p.seq), Kind: billing.EventCheckoutFailed, CheckoutRef: ref}
}

func (p *fakeProvider) setChargeOutcome(o billing.ChargeOutcome) {
	p.mu.Lock()
	p.chargeOutcome = o
	p.mu.Unlock()
}

func (p *fakeProvider) setDeclining(v bool) {
	if v {
		p.setChargeOutcome(billing.ChargeOutcomeFailed)
		return
	}
	p.setChargeOutcome(billing.ChargeOutcomeSucceeded)
}

// moneyTaken is the sum of every amount the provider took.
func (p *fakeProvider) moneyTaken() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, m := range p.taken {
		n += m.Amount
	}
	return n
}

func (p *fakeProvider) counts() (creates, expires, charges int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.createCalls), len(p.expireCalls), len(p.chargeCalls)
}

// sessionCount is how many distinct checkouts the provider holds.
func (p *fakeProvider) sessionCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// chargeCount is how many times Charge was called.
func (p *fakeProvider) chargeCount() int {
	_, _, n := p.counts()
	return n
}
