package billing

import (
	"context"
	"time"
)

// Clock tells billing what time it is. Every time rule reads it, so tests and
// the sandbox test clock can move billing time.
type Clock interface {
	Now() time.Time
}

// Reader is the read side of the store, usable inside and outside a transaction.
type Reader interface {
	Plans(ctx context.Context) ([]Plan, error)
	Plan(ctx context.Context, id string) (Plan, error)
	Subscription(ctx context.Context, userID int64) (Subscription, error)
	SubscriptionByID(ctx context.Context, id int64) (Subscription, error)
	Invoices(ctx context.Context, userID int64) ([]Invoice, error)
	CheckoutSession(ctx context.Context, id string) (CheckoutSession, error)
	CheckoutSessionByRef(ctx context.Context, ref string) (CheckoutSession, error)
	OpenCheckoutSessions(ctx context.Context, userID int64) ([]CheckoutSession, error)
	Customer(ctx context.Context, userID int64) (Customer, error)
	Invoice(ctx context.Context, id int64) (Invoice, error)
	// ScheduledChange returns the subscription's pending phase, or ErrNotFound.
	ScheduledChange(ctx context.Context, subscriptionID int64) (ScheduledChange, error)
	// SubscriptionsDue lists the users whose subscription has lifecycle work due at now.
	SubscriptionsDue(ctx context.Context, now time.Time) ([]int64, error)
	Charge(ctx context.Context, id string) (Charge, error)
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error)
	// PaymentAccount returns the user's customer and saved card at a provider, or ErrNotFound.
	PaymentAccount(ctx context.Context, userID int64, provider string) (PaymentAccount, error)
	// PaymentAccountByCustomer finds the account of a provider's customer, or ErrNotFound.
	PaymentAccountByCustomer(ctx context.Context, provider, customerRef string) (PaymentAccount, error)
	PaymentByRef(ctx context.Context, provider, ref string) (Payment, error)
	// PaymentForCheckout returns the first payment recorded for a checkout, or ErrNotFound.
	PaymentForCheckout(ctx context.Context, checkoutID string) (Payment, error)
	// CreditEntries lists the movements of the user's account credit, newest first.
	CreditEntries(ctx context.Context, userID int64) ([]CreditEntry, error)
	// BookViolations checks the ledger's invariants on the whole database.
	BookViolations(ctx context.Context) ([]Violation, error)
	mailReader
	detailsReader
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	SubjectID int64
	Actor     string // part of the actor's email
	Action    string // an action prefix, e.g. "impersonation"
	Limit     int
	Offset    int
}

// Tx is one short write transaction. Nothing inside it calls the network.
type Tx interface {
	Reader
	UpdateSubscription(ctx context.Context, s Subscription) error
	CreateCheckoutSession(ctx context.Context, c CheckoutSession) error
	UpdateCheckoutSession(ctx context.Context, c CheckoutSession) error
	CreateInvoice(ctx context.Context, inv Invoice) (int64, error)
	SetInvoiceStatus(ctx context.Context, id int64, status InvoiceStatus) error
	// ScheduleChange stores a pending phase, replacing any pending one.
	ScheduleChange(ctx context.Context, sc ScheduledChange) error
	// CancelScheduledChange withdraws the pending phase; false when there was none.
	CancelScheduledChange(ctx context.Context, subscriptionID int64, at time.Time) (bool, error)
	MarkScheduledChangeApplied(ctx context.Context, id int64, at time.Time) error
	// CreateCharge stores a charge unless one with its id exists; either way
	// it returns the stored charge.
	CreateCharge(ctx context.Context, c Charge) (Charge, error)
	UpdateCharge(ctx context.Context, c Charge) error
	// RecordProviderEvent stores an event id once; it reports false when the
	// id was seen before, so a replayed webhook changes nothing.
	RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
	AddAudit(ctx context.Context, e AuditEntry) error
	// RecordPayment stores a payment unless one with its provider and
	// reference exists; fresh is false then, and id is the stored one's.
	RecordPayment(ctx context.Context, p Payment) (id int64, fresh bool, err error)
	// AllocatePayment writes where a recorded payment's money went.
	AllocatePayment(ctx context.Context, p Payment) error
	SetPaymentRefunded(ctx context.Context, id int64, refunded int64) error
	AddInvoiceRefund(ctx context.Context, invoiceID int64, amount int64) error
	// ApplyCreditToInvoice moves amount of an invoice from "charged" to "paid by credit".
	ApplyCreditToInvoice(ctx context.Context, invoiceID int64, amount int64) error
	AddCreditEntry(ctx context.Context, e CreditEntry) error
	SavePaymentAccount(ctx context.Context, a PaymentAccount) error
	EnqueueNotification(ctx context.Context, n Notification) error
	mailTx
	detailsTx
}

// Store is the persistence billing needs.
type Store interface {
	Reader
	// InTx runs fn in one transaction and commits if fn returns nil. fn
	// may run more than once (a transaction that lost to a concurrent one
	// is run again), so it must act only through tx and its results.
	InTx(ctx context.Context, fn func(Tx) error) error
	// ClaimWork claims a due item for owner until until (wall-clock time)
	// unless another owner's claim is still live at now, and reports
	// whether owner holds it; ReleaseWork gives it back. Processes sharing
	// the database apply each due item once this way.
	ClaimWork(ctx context.Context, item, owner string, now, until time.Time) (bool, error)
	ReleaseWork(ctx context.Context, item, owner string) error
}

// Actor is who asked for a change, for the audit log.
type Actor struct {
	UserID       int64 // 0 for the system (worker, provider)
	Email        string
	Impersonated bool   // a manager acting as the customer
	Reason       string // the manager's reason for acting as the customer
	RequestID    string
	IP           string
}

// Customer is the person whose subscription changes.
type Customer struct {
	ID    int64
	Email string
}

// AuditEntry is one recorded state change.
type AuditEntry struct {
	ID           int64
	At           time.Time
	Actor        Actor
	Subject      Customer
	Impersonated bool
	Action       string
	Reason       string
	Before       string
	After        string
}

// PaymentAccount is what the portal keeps of a user at a payment provider:
// the provider's customer and the card saved for renewals.
type PaymentAccount struct {
	UserID      int64
	Provider    string
	CustomerRef string
	Card        PaymentMethod // zero when no card is saved
	UpdatedAt   time.Time
}
