package billing

import "context"

// Violation is one broken invariant of the books.
type Violation struct {
	Rule    string // which invariant, e.g. "one-subscription"
	Subject string // what breaks it, e.g. "user 12" or "payment sbx_pay_1"
	Detail  string
}

// The invariants the books check verifies.
const (
	RuleOneSubscription  = "one-subscription"  // every customer has exactly one current subscription
	RulePaymentAllocated = "payment-allocated" // every payment is applied to one invoice or credit, in full
	RuleInvoicePaidOnce  = "invoice-paid-once" // no invoice is paid twice, and a paid invoice's charge was paid
	RuleCheckoutInvoiced = "checkout-invoiced" // every completed checkout has its invoice
	RuleCreditBalance    = "credit-balance"    // account credit is the sum of its entries, never negative
	RuleChargeRecorded   = "charge-in-ledger"  // a succeeded charge has its payment in the ledger
)

// CheckBooks verifies the ledger's invariants on the live database and
// lists every violation; none means the books are clean.
func (s *Service) CheckBooks(ctx context.Context) ([]Violation, error) {
	return s.store.BookViolations(ctx)
}
