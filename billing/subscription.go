package billing

import "time"

// Status is where a subscription stands, in the Leadping vocabulary.
type Status string

// Subscription statuses.
const (
	Pending  Status = "pending"
	Active   Status = "active"
	Overdue  Status = "overdue"
	Canceled Status = "canceled"
)

// Label is the status as customers read it.
func (s Status) Label() string {
	switch s {
	case Pending:
		return "Pending"
	case Overdue:
		return "Overdue"
	case Canceled:
		return "Canceled"
	}
	return "Active"
}

// Subscription is a customer's current subscription. Every customer has
// exactly one.
type Subscription struct {
	ID                int64
	UserID            int64
	Plan              Plan
	Status            Status
	Anchor            time.Time // when the current billing cycle began; periods count from it
	PeriodStart       time.Time
	PeriodEnd         time.Time // zero on the free plan: it never renews
	CancelAtPeriodEnd bool
	CancelReason      string
	CancelComment     string
	CanceledAt        time.Time
	EndedAt           time.Time // when a cancellation took effect
	Credit            int64     // account credit in the plan's currency, used by the next charges
	// Dunning, while overdue: the failed renewal, retries left and the end of grace.
	PaymentFailedAt  time.Time
	RetryCount       int
	NextRetryAt      time.Time
	GraceEndsAt      time.Time
	OverdueInvoiceID int64
	UpdatedAt        time.Time
}

// Renews reports whether the subscription has a period that ends.
func (s Subscription) Renews() bool { return !s.PeriodEnd.IsZero() }

// CanCancel reports whether the customer may cancel now: a paid, active
// subscription not already set to end.
func (s Subscription) CanCancel() bool {
	return s.Renews() && !s.CancelAtPeriodEnd && s.Status == Active
}

// PaidThrough is when the paid-for time runs out: the period end, or the
// period start while the renewal that began the period is unpaid.
func (s Subscription) PaidThrough() time.Time {
	if s.Status == Overdue {
		return s.PeriodStart
	}
	return s.PeriodEnd
}

// IsPeriodExpired is APPExperts' is_period_expired: the paid-for period is over.
func (s Subscription) IsPeriodExpired(now time.Time) bool {
	return s.Renews() && !now.Before(s.PaidThrough())
}

// IsExpired is APPExperts' is_expired: the period is over and so are the
// permit (grace) days after it.
func (s Subscription) IsExpired(now time.Time) bool {
	return s.Renews() && !now.Before(s.PaidThrough().Add(PermitDays*24*time.Hour))
}

// CreditMoney is the account credit as money.
func (s Subscription) CreditMoney() Money {
	return Money{Amount: s.Credit, Currency: s.Plan.Price.Currency}
}

// ScheduledChange is a future phase: the plan the subscription moves to at EffectiveAt.
type ScheduledChange struct {
	ID             int64
	SubscriptionID int64
	Plan           Plan
	EffectiveAt    time.Time
	CreatedBy      string
	CreatedAt      time.Time
}

// Invoice is a record of money asked for.
type Invoice struct {
	ID            int64
	Number        string // INV-000001, without gaps per seller; given by the store when the invoice is created
	UserID        int64
	Description   string
	Amount        Money
	Status        InvoiceStatus
	PeriodStart   time.Time
	PeriodEnd     time.Time
	CheckoutID    string
	CreditApplied int64 // account credit that paid part of this invoice
	// ProrationCredit is what an immediate change took off the plan's price
	// for the unused part of the previous plan.
	ProrationCredit int64
	Refunded        int64 // what the provider returned of it
	ByManager       bool  // the change was made by an account manager acting for the customer
	CreatedAt       time.Time
	// BillTo is the customer's billing details as they were when the
	// invoice was created; later edits do not change it.
	BillTo      BillingDetails
	BillToEmail string // the customer's email address then
}

// InvoiceStatus says whether an invoice was paid.
type InvoiceStatus string

// Invoice statuses.
const (
	InvoicePaid   InvoiceStatus = "paid"
	InvoiceFailed InvoiceStatus = "failed"
)
