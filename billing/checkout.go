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

// Purpose says what a checkout pays for.
type Purpose string

// Checkout purposes.
const (
	ForChange  Purpose = "change"  // a plan change that costs money now
	ForOverdue Purpose = "overdue" // the failed renewal of an overdue subscription
)

// CheckoutSession is one attempt to pay for one plan change (or one overdue
// invoice). It is created before the provider is called and completed only
// by the provider's verified webhook.
type CheckoutSession struct {
	ID          string
	UserID      int64
	Purpose     Purpose
	InvoiceID   int64 // the overdue invoice, for ForOverdue
	CreditUsed  int64 // account credit this payment consumes when it completes
	ByManager   bool  // opened by an account manager acting for the customer
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

// ChargeRequest asks the provider to charge the customer's saved card.
type ChargeRequest struct {
	Key         string // idempotency key: the same key never charges twice
	Amount      Money
	Email       string
	Description string
}

// ChargeResult is what the provider answered.
type ChargeResult struct {
	Ref       string
	Succeeded bool
	Reason    string // why a charge was declined
}

// Provider takes money. CreateCheckout must be idempotent on SessionID and
// Charge on Key, so a retried or concurrent request never takes money twice.
type Provider interface {
	CreateCheckout(ctx context.Context, req CheckoutRequest) (ProviderCheckout, error)
	ExpireCheckout(ctx context.Context, ref string) error
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}

// ChargeStatus is where a renewal charge stands.
type ChargeStatus string

// Charge statuses.
const (
	ChargePending   ChargeStatus = "pending"
	ChargeSucceeded ChargeStatus = "succeeded"
	ChargeFailed    ChargeStatus = "failed"
)

// Charge is a renewal or retry charge against the saved card. It is written
// before the provider is called, keyed by its idempotency key.
type Charge struct {
	ID             string
	SubscriptionID int64
	PlanID         string
	Amount         Money
	CreditUsed     int64
	DueAt          time.Time
	Status         ChargeStatus
	ProviderRef    string
	CreatedAt      time.Time
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
