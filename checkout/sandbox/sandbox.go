// Package sandbox is a built-in stand-in for a hosted payment provider: it
// serves a payment page from the same binary, keeps its own records, and
// reports outcomes to the portal with signed webhooks over HTTP from a
// persistent queue with backoff, exactly as a real provider would.
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
	"strconv"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/poll"
	"github.com/billingportal/portal/webhooksig"
)

// Name is the provider's name in URLs and records.
const Name = "sandbox"

// Status is where a sandbox payment stands.
type Status string

// Sandbox payment statuses.
const (
	Open     Status = "open"
	Paid     Status = "paid"
	Declined Status = "declined"
	Expired  Status = "expired"
)

// Card is how a customer's saved test card answers off-session charges.
type Card int

// Test card behaviours.
const (
	CardWorks        Card = 0
	CardDeclines     Card = 1 // as the demo customer carol's does
	CardNeedsConfirm Card = 2 // asks for 3-D Secure, which an off-session charge cannot give
)

// Session is the provider's record of one checkout.
type Session struct {
	ID            string
	ClientRef     string // the portal's checkout session id
	CustomerRef   string
	Amount        billing.Money
	Description   string
	Email         string
	ReturnURL     string
	Status        Status
	EventID       string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	PaidAt        time.Time
	DeliveredAt   time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	Kind          string // KindPayment or KindSetup
	CancelURL     string // setup sessions: where "Cancel" goes
	Card          Card   // setup sessions: the test card saved
}

// Session kinds: a payment, or saving a card without paying.
const (
	KindPayment = "payment"
	KindSetup   = "setup"
)

// PaymentRef is the sandbox's reference for the money a session took.
func (s Session) PaymentRef() string { return "sbx_pay_" + s.ID }

type chargeRecord struct {
	Key       string
	Email     string
	Amount    billing.Money
	Outcome   billing.ChargeOutcome
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
	PaymentRef      string `json:"payment_ref,omitempty"`
	CustomerRef     string `json:"customer_ref,omitempty"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	Card            *Card4 `json:"card,omitempty"`
}

// Card4 is the saved card an event reports.
type Card4 struct {
	Ref      string `json:"ref"`
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
}

// Event types.
const (
	EventPaid      = "checkout.paid"
	EventDeclined  = "checkout.declined"
	EventCardSaved = "card.saved"
)

// Clock tells time.
type Clock interface{ Now() time.Time }

// Provider implements billing.Provider.
type Provider struct {
	store      *Store
	clock      Clock // billing time, so expiry agrees with the portal under the test clock
	wall       Clock // real time, for signatures and the delivery queue
	baseURL    string
	webhookURL string
	secrets    [][]byte // the first signs; all verify (several while rotating)
	client     *http.Client
	log        *slog.Logger
}

// Config sets up a sandbox provider.
type Config struct {
	BaseURL    string // where its pages live
	WebhookURL string // where its events go
	Secrets    [][]byte
	Clock      Clock
	Wall       Clock
	Logger     *slog.Logger
}

// New returns a sandbox provider keeping its records in store.
func New(store *Store, cfg Config) *Provider {
	return &Provider{store: store, clock: cfg.Clock, wall: cfg.Wall, baseURL: cfg.BaseURL, webhookURL: cfg.WebhookURL,
		secrets: cfg.Secrets, client: &http.Client{Timeout: 10 * time.Second}, log: cfg.Logger}
}

// Store is where the provider keeps its records.
func (p *Provider) Store() *Store { return p.store }

// Name implements billing.Provider.
func (p *Provider) Name() string { return Name }

// EnsureCustomer implements billing.Provider: the sandbox's customer is
// derived from the user, so asking twice gives the same one.
func (p *Provider) EnsureCustomer(_ context.Context, cust billing.Customer, known string) (string, error) {
	if known != "" {
		return known, nil
	}
	return "sbx_cus_" + strconv.FormatInt(cust.ID, 10), nil
}

// CreateCheckout opens a sandbox payment page for the request.
func (p *Provider) CreateCheckout(ctx context.Context, req billing.CheckoutRequest) (billing.ProviderCheckout, error) {
	s, err := p.store.createSession(ctx, Session{
		ID: "sbx_" + randomHex(12), ClientRef: req.SessionID, CustomerRef: req.CustomerRef, Amount: req.Amount,
		Description: req.Description, Email: req.Customer.Email, ReturnURL: req.ReturnURL, Status: Open,
		CreatedAt: p.clock.Now(), ExpiresAt: req.ExpiresAt,
	})
	if err != nil {
		return billing.ProviderCheckout{}, err
	}
	return billing.ProviderCheckout{Ref: s.ID, PaymentURL: p.PaymentURL(s.ID)}, nil
}

// Charge charges the customer's saved test card. It succeeds unless the
// card is set to decline or to ask for confirmation; the same key always
// gives the same answer and charges once.
func (p *Provider) Charge(ctx context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	card, err := p.store.cardBehaviour(ctx, req.Customer.Email)
	if err != nil {
		return billing.ChargeResult{}, err
	}
	outcome := billing.ChargeOutcomeSucceeded
	switch card {
	case CardDeclines:
		outcome = billing.ChargeOutcomeFailed
	case CardNeedsConfirm:
		outcome = billing.ChargeOutcomeNeedsAction
	}
	rec, err := p.store.recordCharge(ctx, chargeRecord{Key: req.Key, Email: req.Customer.Email, Amount: req.Amount,
		Outcome: outcome, CreatedAt: p.clock.Now()})
	if err != nil {
		return billing.ChargeResult{}, err
	}
	res := billing.ChargeResult{Outcome: rec.Outcome, PaymentRef: "sbx_charge:" + rec.Key}
	switch rec.Outcome {
	case billing.ChargeOutcomeFailed:
		res.Reason = "card declined (sandbox test card set to fail)"
	case billing.ChargeOutcomeNeedsAction:
		res.Reason = "the bank asks the cardholder to confirm (3-D Secure)"
	}
	return res, nil
}

// CreateCardSetup opens the sandbox's page for saving a new test card.
func (p *Provider) CreateCardSetup(ctx context.Context, req billing.CardSetupRequest) (string, error) {
	s, err := p.store.createSession(ctx, Session{
		ID: "sbx_setup_" + randomHex(12), ClientRef: req.Key, CustomerRef: req.CustomerRef, Amount: billing.Money{Currency: req.Currency},
		Description: "Save a card for your renewals", Email: req.Customer.Email, ReturnURL: req.ReturnURL, CancelURL: req.CancelURL,
		Status: Open, CreatedAt: p.clock.Now(), ExpiresAt: req.ExpiresAt, Kind: KindSetup,
	})
	if err != nil {
		return "", err
	}
	return p.PaymentURL(s.ID), nil
}

// TestMode implements billing.Provider: the sandbox never moves real money.
func (p *Provider) TestMode() bool { return true }

// SaveCard completes a card-setup session with the test card the customer
// chose: later charges answer as that card does. The event tells the
// portal; a second click saves nothing more.
func (p *Provider) SaveCard(ctx context.Context, id string, card Card) (Session, error) {
	s, err := p.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	switch {
	case s.Kind != KindSetup:
		return s, ErrNotPayable
	case s.Status == Paid:
		return s, nil
	case s.Status != Open:
		return s, ErrNotPayable
	}
	saved, err := p.store.saveSetupCard(ctx, id, card, "evt_"+randomHex(12), p.wall.Now())
	if err != nil {
		return Session{}, err
	}
	if s, err = p.store.session(ctx, id); err != nil || !saved {
		return s, err
	}
	if err := p.store.SetCard(ctx, s.Email, card); err != nil {
		return Session{}, err
	}
	p.attempt(ctx, s)
	return s, nil
}

// testCards are the sandbox's test cards, as a customer picks them.
var testCards = []struct {
	Card  Card
	Last4 string
	Label string
}{
	{CardWorks, "4242", "Visa ending 4242: charges succeed"},
	{CardDeclines, "0002", "Visa ending 0002: charges are declined"},
	{CardNeedsConfirm, "3155", "Visa ending 3155: the bank asks for 3-D Secure"},
}

func last4(c Card) string {
	for _, tc := range testCards {
		if tc.Card == c {
			return tc.Last4
		}
	}
	return "4242"
}

// PaymentURL is where the customer pays for session id.
func (p *Provider) PaymentURL(id string) string { return p.baseURL + "/sandbox/checkout/" + id }

// ExpireCheckout closes an open session so it can no longer be paid. A
// session already paid cannot be expired: billing.ErrCheckoutPaid.
func (p *Provider) ExpireCheckout(ctx context.Context, ref string) error {
	closed, err := p.store.closeSession(ctx, ref, Expired, "", p.clock.Now())
	if err != nil || closed {
		return err
	}
	s, err := p.store.session(ctx, ref)
	if err != nil {
		return err
	}
	if s.Status == Paid {
		return billing.ErrCheckoutPaid
	}
	return nil
}

// Session returns a session as the payment page shows it.
func (p *Provider) Session(ctx context.Context, id string) (Session, error) {
	s, err := p.store.session(ctx, id)
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

// Complete records the customer's choice, pays or declines, and queues the
// event for the portal, trying to deliver it at once. A second click on an
// already paid session charges nothing.
func (p *Provider) Complete(ctx context.Context, id string, pay bool) (Session, error) {
	s, err := p.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	switch {
	case s.Kind == KindSetup:
		return s, ErrNotPayable // a card page saves a card (SaveCard); it takes no payment
	case s.Status == Paid || s.Status == Declined:
		return s, nil // already done: the same outcome, no second charge
	case s.Status != Open:
		return s, ErrNotPayable
	}
	to := Declined
	if pay {
		to = Paid
	}
	closed, err := p.store.closeSession(ctx, id, to, "evt_"+randomHex(12), p.wall.Now())
	if err != nil {
		return Session{}, err
	}
	if s, err = p.store.session(ctx, id); err != nil || !closed {
		return s, err // a concurrent click (or an expiry) closed it first
	}
	if pay {
		// The card entered at checkout becomes the saved card, as hosted
		// checkouts do, so the next renewal uses it.
		if err := p.store.SetCard(ctx, s.Email, CardWorks); err != nil {
			p.log.Warn("sandbox: save card", "err", err)
		}
	}
	p.attempt(ctx, s)
	return s, nil
}

// MaxDeliveryAge is how long an unacknowledged event is retried: longer
// than the three days hosted providers keep trying.
const MaxDeliveryAge = 4 * 24 * time.Hour

// backoff is the wait before attempt n+1: 5 s doubling, at most an hour.
func backoff(attempts int) time.Duration { return poll.Backoff(5*time.Second, time.Hour, attempts) }

// DeliverDue sends every queued event whose next attempt is due.
func (p *Provider) DeliverDue(ctx context.Context) {
	due, err := p.store.dueDeliveries(ctx, p.wall.Now(), 100)
	if err != nil {
		p.log.Error("sandbox: list due events", "err", err)
		return
	}
	for _, s := range due {
		p.attempt(ctx, s)
	}
}

// Run delivers queued events until ctx ends.
func (p *Provider) Run(ctx context.Context, every time.Duration) {
	poll.NewLoop().Run(ctx, every, p.DeliverDue)
}

// attempt delivers one event and records the outcome in the queue.
func (p *Provider) attempt(ctx context.Context, s Session) {
	n := s.Attempts + 1
	err := p.deliver(ctx, s)
	now := p.wall.Now()
	if err == nil {
		if err := p.store.markDelivered(ctx, s.ID, n, now); err != nil {
			p.log.Error("sandbox: mark delivered", "session", s.ID, "err", err)
		}
		return
	}
	next := now.Add(backoff(n))
	if now.Sub(s.PaidAt) > MaxDeliveryAge {
		p.log.Error("sandbox: giving up on an event after four days", "session", s.ID, "err", err)
		next = now.Add(100 * 365 * 24 * time.Hour)
	} else {
		p.log.Warn("sandbox webhook delivery failed; will retry", "session", s.ID, "attempt", n, "next", next, "err", err)
	}
	if err := p.store.markAttemptFailed(ctx, s.ID, n, next, err.Error()); err != nil {
		p.log.Error("sandbox: record failed delivery", "session", s.ID, "err", err)
	}
}

func (p *Provider) deliver(ctx context.Context, s Session) error {
	body, err := json.Marshal(p.event(s))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.webhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooksig.Header, webhooksig.Sign(p.secrets[0], p.wall.Now(), body))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

func (p *Provider) event(s Session) Event {
	ev := Event{ID: s.EventID, Type: EventDeclined, Created: p.wall.Now().Unix(), Data: EventData{
		CheckoutRef: s.ID, ClientReference: s.ClientRef, CustomerRef: s.CustomerRef, Amount: s.Amount.Amount, Currency: s.Amount.Currency,
	}}
	if s.Kind == KindSetup {
		ev.Type = EventCardSaved
		ev.Data.Card = &Card4{Ref: "sbx_card_" + s.CustomerRef + "_" + last4(s.Card), Brand: "visa", Last4: last4(s.Card),
			ExpMonth: 12, ExpYear: s.PaidAt.Year() + 3}
		return ev
	}
	if s.Status == Paid {
		ev.Type, ev.Data.PaymentRef = EventPaid, s.PaymentRef()
		ev.Data.Card = &Card4{Ref: "sbx_card_" + s.CustomerRef, Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: s.PaidAt.Year() + 3}
	}
	return ev
}

// ParseWebhook implements billing.Provider: it verifies the signature and
// turns the body into billing's event.
func (p *Provider) ParseWebhook(header http.Header, body []byte) ([]billing.Event, error) {
	if err := webhooksig.Verify(header.Get(webhooksig.Header), body, p.secrets, p.wall.Now()); err != nil {
		return nil, fmt.Errorf("%w: %v", billing.ErrBadWebhook, err)
	}
	ev, err := ParseEvent(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", billing.ErrBadWebhook, err)
	}
	return []billing.Event{ev}, nil
}

// ParseEvent turns a verified webhook body into a billing event.
func ParseEvent(body []byte) (billing.Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return billing.Event{}, fmt.Errorf("sandbox event: %w", err)
	}
	if ev.ID == "" || ev.Data.CheckoutRef == "" {
		return billing.Event{}, errors.New("sandbox event: id and data.checkout_ref are required")
	}
	out := billing.Event{ID: ev.ID, CheckoutRef: ev.Data.CheckoutRef, ClientRef: ev.Data.ClientReference,
		PaymentRef: ev.Data.PaymentRef, CustomerRef: ev.Data.CustomerRef,
		Amount: billing.Money{Amount: ev.Data.Amount, Currency: ev.Data.Currency}}
	switch ev.Type {
	case EventPaid:
		out.Kind = billing.EventCheckoutPaid
		if ev.Data.Amount <= 0 || ev.Data.Currency == "" {
			return billing.Event{}, errors.New("sandbox event: a payment needs a positive amount and a currency")
		}
	case EventDeclined:
		out.Kind = billing.EventCheckoutFailed
	case EventCardSaved:
		out.Kind = billing.EventCardSaved
		if ev.Data.Card == nil || ev.Data.CustomerRef == "" {
			return billing.Event{}, errors.New("sandbox event: a saved card needs data.card and data.customer_ref")
		}
	default:
		return billing.Event{}, fmt.Errorf("sandbox event: unknown type %q", ev.Type)
	}
	if c := ev.Data.Card; c != nil {
		out.PaymentMethod = &billing.PaymentMethod{Ref: c.Ref, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
