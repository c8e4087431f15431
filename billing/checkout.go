package billing

import (
	"context"
	"time"
)

// CheckoutStatus is where a checkout session stands.
type CheckoutStatus string

// Checkout statuses.
const (
	CheckoutOpen      CheckoutStatus = "open"
	CheckoutCompleted CheckoutStatus = "completed"
	CheckoutFailed    CheckoutStatus = "failed"
	CheckoutExpired   CheckoutStatus = "expired"
)

// Timing says when a plan change takes effect.
type Timing string

// Timings a customer may ask for.
const (
	Now         Timing = "now"
	AtPeriodEnd Timing = "period_end"
)

// CheckoutSession is one attempt to pay for one plan change. It is created
// before the provider is called and completed only by the provider's
// verified webhook.
type CheckoutSession struct {
	ID          string
	UserID      int64
	FromPlanID  string
	PlanID      string
	Timing      Timing
	Amount      Money
	Status      CheckoutStatus
	PaymentURL  string
	ProviderRef string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	CompletedAt time.Time
}

// ExpiredAt reports whether an open session has run out of time at now.
func (c CheckoutSession) ExpiredAt(now time.Time) bool {
	return c.Status == CheckoutOpen && !now.Before(c.ExpiresAt)
}

// CheckoutRequest is what the portal asks a payment provider for.
type CheckoutRequest struct {
	SessionID   string // the portal's id; providers use it as their idempotency key
	Amount      Money
	Description string
	Email       string
	ReturnURL   string // where the provider sends the browser afterwards
	ExpiresAt   time.Time
}

// ProviderCheckout is the provider's side of a checkout session.
type ProviderCheckout struct {
	Ref        string
	PaymentURL string
}

// Provider takes money. CreateCheckout must be idempotent on SessionID so a
// retried or concurrent request never opens two payments for one session.
type Provider interface {
	CreateCheckout(ctx context.Context, req CheckoutRequest) (ProviderCheckout, error)
	ExpireCheckout(ctx context.Context, ref string) error
}

// PaymentOutcome is what a provider's event says happened.
type PaymentOutcome string

// Payment outcomes.
const (
	PaymentSucceeded PaymentOutcome = "paid"
	PaymentDeclined  PaymentOutcome = "declined"
)

// PaymentEvent is a verified provider webhook, reduced to what billing needs.
type PaymentEvent struct {
	EventID     string
	Outcome     PaymentOutcome
	ProviderRef string
	Amount      Money
}
