// Package sandbox is a built-in stand-in for a hosted checkout: it serves a
// payment page from the same binary, and reports the outcome to the portal
// with a signed webhook over HTTP, exactly as a real provider would.
package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/webhooksig"
)

// Status is where a sandbox payment stands.
type Status string

// Sandbox payment statuses.
const (
	Open     Status = "open"
	Paid     Status = "paid"
	Declined Status = "declined"
	Expired  Status = "expired"
)

// Session is the provider's record of one checkout.
type Session struct {
	ID          string
	ClientRef   string // the portal's checkout session id
	Amount      billing.Money
	Description string
	Email       string
	ReturnURL   string
	Status      Status
	EventID     string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	DeliveredAt time.Time
}

// Store keeps sandbox sessions.
type Store interface {
	// CreateSandboxSession stores s, or returns the session already stored for
	// s.ClientRef, which makes CreateCheckout idempotent.
	CreateSandboxSession(ctx context.Context, s Session) (Session, error)
	SandboxSession(ctx context.Context, id string) (Session, error)
	// CloseSandboxSession moves an open session to status `to`; it reports
	// false when the session was no longer open, so two clicks close it once.
	CloseSandboxSession(ctx context.Context, id string, to Status, eventID string) (bool, error)
	MarkSandboxDelivered(ctx context.Context, id string, at time.Time) error
	UndeliveredSandboxSessions(ctx context.Context) ([]Session, error)
	// SandboxCardFails tells whether the customer's saved test card declines.
	SandboxCardFails(ctx context.Context, email string) (bool, error)
	SetSandboxCard(ctx context.Context, email string, fails bool) error
	// RecordSandboxCharge stores a charge unless its key exists, and returns
	// the stored one, so a charge key is only ever charged once.
	RecordSandboxCharge(ctx context.Context, c ChargeRecord) (ChargeRecord, error)
}

// ChargeRecord is a charge of a saved card.
type ChargeRecord struct {
	Key       string
	Email     string
	Amount    billing.Money
	Succeeded bool
	CreatedAt time.Time
}

// Event is the webhook body the sandbox sends.
type Event struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"` // checkout.paid or checkout.declined
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData names the checkout and what was paid.
type EventData struct {
	CheckoutRef     string `json:"checkout_ref"`
	ClientReference string `json:"client_reference"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
}

// Event types.
const (
	EventPaid     = "checkout.paid"
	EventDeclined = "checkout.declined"
)

// Clock tells time. The sandbox shares billing's clock so that its expiry
// agrees with the portal's under the test clock.
type Clock interface{ Now() time.Time }

// Provider implements billing.Provider.
type Provider struct {
	store      Store
	clock      Clock
	baseURL    string
	webhookURL string
	secret     []byte
	client     *http.Client
	log        *slog.Logger
}

// New returns a sandbox provider whose pages live under baseURL and whose
// events go to webhookURL signed with secret.
func New(store Store, clock Clock, baseURL, webhookURL string, secret []byte, log *slog.Logger) *Provider {
	return &Provider{store: store, clock: clock, baseURL: baseURL, webhookURL: webhookURL, secret: secret,
		client: &http.Client{Timeout: 10 * time.Second}, log: log}
}

// CreateCheckout opens a sandbox payment page for the request.
func (p *Provider) CreateCheckout(ctx context.Context, req billing.CheckoutRequest) (billing.ProviderCheckout, error) {
	s, err := p.store.CreateSandboxSession(ctx, Session{
		ID: "sbx_" + randomHex(12), ClientRef: req.SessionID, Amount: req.Amount, Description: req.Description,
		Email: req.Email, ReturnURL: req.ReturnURL, Status: Open, CreatedAt: p.clock.Now(), ExpiresAt: req.ExpiresAt,
	})
	if err != nil {
		return billing.ProviderCheckout{}, err
	}
	return billing.ProviderCheckout{Ref: s.ID, PaymentURL: p.PaymentURL(s.ID)}, nil
}

// Charge charges the customer's saved test card. It succeeds unless the
// card is set to fail (as the demo customer carol's is); the same key always
// gives the same answer and charges once.
func (p *Provider) Charge(ctx context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	fails, err := p.store.SandboxCardFails(ctx, req.Email)
	if err != nil {
		return billing.ChargeResult{}, err
	}
	rec, err := p.store.RecordSandboxCharge(ctx, ChargeRecord{Key: req.Key, Email: req.Email, Amount: req.Amount,
		Succeeded: !fails, CreatedAt: p.clock.Now()})
	if err != nil {
		return billing.ChargeResult{}, err
	}
	res := billing.ChargeResult{Ref: "sbx_charge:" + rec.Key, Succeeded: rec.Succeeded}
	if !rec.Succeeded {
		res.Reason = "card declined (sandbox test card set to fail)"
	}
	return res, nil
}

// PaymentURL is where the customer pays for session id.
func (p *Provider) PaymentURL(id string) string { return p.baseURL + "/sandbox/checkout/" + id }

// ExpireCheckout closes an open session so it can no longer be paid.
func (p *Provider) ExpireCheckout(ctx context.Context, ref string) error {
	_, err := p.store.CloseSandboxSession(ctx, ref, Expired, "")
	return err
}

// Session returns a session as the payment page shows it.
func (p *Provider) Session(ctx context.Context, id string) (Session, error) {
	s, err := p.store.SandboxSession(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if s.Status == Open && !p.clock.Now().Before(s.ExpiresAt) {
		s.Status = Expired
	}
	return s, nil
}

// ErrNotPayable is a session that is expired or already closed.
var ErrNotPayable = errors.New("sandbox: checkout is no longer payable")

// Complete records the customer's choice, pays or declines, and reports it
// to the portal. A second click on an already paid session charges nothing.
func (p *Provider) Complete(ctx context.Context, id string, pay bool) (Session, error) {
	s, err := p.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	switch {
	case s.Status == Paid || s.Status == Declined:
		return s, nil // already done: the same outcome, no second charge
	case s.Status != Open:
		return s, ErrNotPayable
	}
	to := Declined
	if pay {
		to = Paid
	}
	closed, err := p.store.CloseSandboxSession(ctx, id, to, "evt_"+randomHex(12))
	if err != nil {
		return Session{}, err
	}
	if s, err = p.store.SandboxSession(ctx, id); err != nil || !closed {
		return s, err // a concurrent click closed it first and reports it
	}
	if pay {
		// The card entered at checkout becomes the saved card, as hosted
		// checkouts do, so the next renewal uses it.
		if err := p.store.SetSandboxCard(ctx, s.Email, false); err != nil {
			p.log.Warn("sandbox: save card", "err", err)
		}
	}
	if err := p.deliver(ctx, s); err != nil {
		// The outcome is stored; RedeliverPending sends it later and the
		// return page waits for it.
		p.log.Warn("sandbox webhook delivery failed; will retry", "session", s.ID, "err", err)
		go p.retry(context.WithoutCancel(ctx), s)
	}
	return s, nil
}

func (p *Provider) retry(ctx context.Context, s Session) {
	for wait := time.Second; wait <= 32*time.Second; wait *= 2 {
		time.Sleep(wait)
		if err := p.deliver(ctx, s); err == nil {
			return
		}
	}
}

// RedeliverPending sends events that were recorded but never acknowledged,
// e.g. because the server stopped between the click and the delivery.
func (p *Provider) RedeliverPending(ctx context.Context) {
	pending, err := p.store.UndeliveredSandboxSessions(ctx)
	if err != nil {
		p.log.Error("sandbox: list undelivered events", "err", err)
		return
	}
	for _, s := range pending {
		if err := p.deliver(ctx, s); err != nil {
			p.log.Warn("sandbox webhook redelivery failed", "session", s.ID, "err", err)
		}
	}
}

func (p *Provider) deliver(ctx context.Context, s Session) error {
	typ := EventDeclined
	if s.Status == Paid {
		typ = EventPaid
	}
	now := time.Now() // signatures use wall time: the receiver checks freshness against its own wall clock
	body, err := json.Marshal(Event{ID: s.EventID, Type: typ, Created: now.Unix(), Data: EventData{
		CheckoutRef: s.ID, ClientReference: s.ClientRef, Amount: s.Amount.Amount, Currency: s.Amount.Currency,
	}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.webhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooksig.Header, webhooksig.Sign(p.secret, now, body))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return p.store.MarkSandboxDelivered(ctx, s.ID, p.clock.Now())
}

// ParseEvent turns a verified webhook body into a billing event.
func ParseEvent(body []byte) (billing.PaymentEvent, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil {
		return billing.PaymentEvent{}, fmt.Errorf("sandbox event: %w", err)
	}
	out := billing.PaymentEvent{EventID: ev.ID, ProviderRef: ev.Data.CheckoutRef,
		Amount: billing.Money{Amount: ev.Data.Amount, Currency: ev.Data.Currency}}
	switch ev.Type {
	case EventPaid:
		out.Outcome = billing.PaymentSucceeded
	case EventDeclined:
		out.Outcome = billing.PaymentDeclined
	default:
		return billing.PaymentEvent{}, fmt.Errorf("sandbox event: unknown type %q", ev.Type)
	}
	if ev.ID == "" || ev.Data.CheckoutRef == "" {
		return billing.PaymentEvent{}, errors.New("sandbox event: id and data.checkout_ref are required")
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
