package billing

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Provider takes money. It is the whole contract between billing and a
// payment provider (the sandbox, Stripe): every call is idempotent on the
// portal's own id, so a retried or concurrent request never takes money
// twice, and everything the provider reports comes back through
// ParseWebhook as billing's own Event type.
type Provider interface {
	// Name is the provider's name in URLs (/webhooks/{name}) and records.
	Name() string
	// EnsureCustomer returns the provider's customer for a portal user,
	// creating it once; known is the reference the portal stored, if any.
	EnsureCustomer(ctx context.Context, cust Customer, known string) (string, error)
	// CreateCheckout opens a hosted payment page; idempotent on SessionID.
	CreateCheckout(ctx context.Context, req CheckoutRequest) (ProviderCheckout, error)
	// ExpireCheckout makes a checkout unpayable. It answers ErrCheckoutPaid
	// when the customer paid first: that payment's event is on its way.
	ExpireCheckout(ctx context.Context, ref string) error
	// Charge charges the saved payment method off-session; idempotent on Key.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	// ParseWebhook verifies a webhook and reduces it to events. A bad or
	// stale signature or a malformed body is an error wrapping
	// ErrBadWebhook; event types billing does not act on give no events.
	ParseWebhook(header http.Header, body []byte) ([]Event, error)
	// CreateCardSetup opens the provider's page where the customer saves a
	// new card for later charges, without paying; it returns the page's
	// URL. The card arrives as an EventCardSaved and becomes the one
	// renewals charge.
	CreateCardSetup(ctx context.Context, req CardSetupRequest) (string, error)
	// TestMode reports whether the provider moves only test money (the
	// sandbox, Stripe with a test key): pages say so, and the test clock
	// is available only then.
	TestMode() bool
}

// CardSetupRequest asks the provider for a page where the customer saves a card.
type CardSetupRequest struct {
	Key         string // the portal's id for this request; providers use it as their idempotency key
	Customer    Customer
	CustomerRef string
	Currency    string // the currency later charges will be in
	ReturnURL   string // where the browser goes once the card is saved
	CancelURL   string // where it goes when the customer gives up
	ExpiresAt   time.Time
}

// ErrCheckoutPaid is a checkout that could not be expired because it was paid.
var ErrCheckoutPaid = errors.New("checkout already paid")

// ErrBadWebhook is a webhook that is unsigned, wrongly signed, stale or malformed.
var ErrBadWebhook = errors.New("bad webhook")

// CheckoutRequest is what the portal asks a payment provider for.
type CheckoutRequest struct {
	SessionID   string // the portal's id; providers use it as their idempotency key
	Amount      Money
	Description string
	Customer    Customer
	CustomerRef string // the provider's customer
	ReturnURL   string // where the provider sends the browser afterwards
	ExpiresAt   time.Time
}

// ProviderCheckout is the provider's side of a checkout session.
type ProviderCheckout struct {
	Ref        string
	PaymentURL string
}

// ChargeRequest asks the provider to charge the customer's saved card.
type ChargeRequest struct {
	Key              string // idempotency key: the same key never charges twice
	Amount           Money
	Customer         Customer
	CustomerRef      string
	PaymentMethodRef string // the saved card; "" lets the provider use the customer's default
	Description      string
}

// ChargeOutcome is what a charge of a saved card came to.
type ChargeOutcome string

// Charge outcomes. Pending charges settle later by webhook; a charge that
// needs the customer (3-D Secure, or no usable card) is treated as failed
// and the customer pays through checkout.
const (
	ChargeOutcomeSucceeded   ChargeOutcome = "succeeded"
	ChargeOutcomeFailed      ChargeOutcome = "failed"
	ChargeOutcomePending     ChargeOutcome = "pending"
	ChargeOutcomeNeedsAction ChargeOutcome = "requires_action"
)

// ChargeResult is what the provider answered.
type ChargeResult struct {
	Outcome    ChargeOutcome
	PaymentRef string // the provider's reference for the money
	Reason     string // why a charge was declined
}

// Succeeded reports whether the money was taken.
func (r ChargeResult) Succeeded() bool { return r.Outcome == ChargeOutcomeSucceeded }

// PaymentMethod is a saved card, as customers recognise it.
type PaymentMethod struct {
	Ref      string
	Brand    string // "visa"
	Last4    string
	ExpMonth int
	ExpYear  int
}

// EventKind is what a provider event reports.
type EventKind string

// The events billing acts on.
const (
	EventCheckoutPaid    EventKind = "checkout.paid"    // money taken at a hosted checkout
	EventCheckoutFailed  EventKind = "checkout.failed"  // the payment at checkout was declined
	EventCheckoutExpired EventKind = "checkout.expired" // the checkout can no longer be paid
	EventChargeSucceeded EventKind = "charge.succeeded" // an off-session charge settled
	EventChargeFailed    EventKind = "charge.failed"    // an off-session charge failed
	EventRefunded        EventKind = "payment.refunded" // some or all of a payment was returned
	EventCardSaved       EventKind = "card.saved"       // the customer saved a card: renewals charge it from now on
)

// Event is a verified provider event, reduced to what billing needs.
type Event struct {
	ID            string // the provider's event id: each is applied once
	Kind          EventKind
	CheckoutRef   string // the provider's checkout, for checkout events
	ClientRef     string // the portal's checkout id, when the provider echoes it
	ChargeKey     string // the portal's charge id, for charge events
	PaymentRef    string // the provider's reference for the money: each is recorded once
	Amount        Money  // taken, or for refunds the total refunded so far
	Reason        string // why a payment failed
	CustomerRef   string // the provider's customer, when the event names one
	PaymentMethod *PaymentMethod
}
