package billing

import "time"

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
	CreditUsed  int64 // account credit the quote used; the change is priced again when the payment arrives
	ByManager   bool  // opened by an account manager acting for the customer
	FromPlanID  string
	PlanID      string
	Timing      Timing
	Amount      Money
	Status      CheckoutStatus
	PaymentURL  string
	ProviderRef string
	// ClosedReason says why a checkout closed without completing:
	// "superseded", "timeout", "declined", "provider_error" or "credited".
	ClosedReason string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	CompletedAt  time.Time
}

// ExpiredAt reports whether an open session has run out of time at now.
func (c CheckoutSession) ExpiredAt(now time.Time) bool {
	return c.Status == CheckoutOpen && !now.Before(c.ExpiresAt)
}
