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
	PaymentFailedAt   time.Time // set while overdue
	UpdatedAt         time.Time
}

// Renews reports whether the subscription has a period that ends.
func (s Subscription) Renews() bool { return !s.PeriodEnd.IsZero() }

// Invoice is a record of money asked for.
type Invoice struct {
	ID          int64
	UserID      int64
	Description string
	Amount      Money
	Status      InvoiceStatus
	PeriodStart time.Time
	PeriodEnd   time.Time
	CheckoutID  string
	CreatedAt   time.Time
}

// InvoiceStatus says whether an invoice was paid.
type InvoiceStatus string

// Invoice statuses.
const (
	InvoicePaid   InvoiceStatus = "paid"
	InvoiceFailed InvoiceStatus = "failed"
)
