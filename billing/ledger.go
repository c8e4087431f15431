package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// PaymentKind says how the provider took the money.
type PaymentKind string

// Payment kinds.
const (
	PaidAtCheckout PaymentKind = "checkout" // the customer paid on the provider's page
	PaidByCharge   PaymentKind = "charge"   // a renewal or retry charged the saved card
)

// Payment is money a provider reports it took: recorded once per provider
// reference, in the same transaction as its effect, and split between the
// invoice it paid (Applied), account credit (Credited) and, when it cannot
// be tied to a customer or currency, Held for a person to refund.
// Applied + Credited + Held is always Amount.
type Payment struct {
	ID         int64
	Provider   string
	Ref        string
	UserID     int64 // 0 when no customer could be found
	Kind       PaymentKind
	CheckoutID string
	ChargeID   string
	Amount     Money
	InvoiceID  int64
	Applied    int64
	Credited   int64
	Held       int64
	Reason     string // why some of it did not apply
	Refunded   int64
	ReceivedAt time.Time
}

// CreditEntry is one movement of a customer's account credit. The
// subscription's balance is always the sum of its entries.
type CreditEntry struct {
	ID        int64
	UserID    int64
	Amount    Money // positive adds credit, negative uses it
	Reason    string
	Note      string // the reason in words, shown to the customer
	PaymentID int64
	InvoiceID int64
	CreatedAt time.Time
}

// Credit reasons.
const (
	CreditFromPayment = "payment"     // money that could not apply
	CreditUnusedTime  = "unused_time" // an immediate change left unused value over
	CreditUsed        = "used"        // paid part of an invoice
	CreditRefunded    = "refunded"    // credited money returned to the card
)

// settlement says where a payment's money goes: `applied` of it pays
// invoice `invoiceID`, the rest becomes credit for `reason`.
type settlement struct {
	invoiceID int64
	applied   int64
	reason    string
}

// ReceiveWebhook verifies a provider webhook and applies its events.
func (s *Service) ReceiveWebhook(ctx context.Context, header http.Header, body []byte) error {
	events, err := s.provider.ParseWebhook(header, body)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := s.ApplyEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// ApplyEvent applies a verified provider event exactly once: the event id,
// the payment it reports and every effect of it are written in one
// transaction, so a replay changes nothing and a failure changes nothing.
func (s *Service) ApplyEvent(ctx context.Context, ev Event) error {
	if ev.ID == "" {
		return fmt.Errorf("%w: the event has no id", ErrBadWebhook)
	}
	ev.Amount.Currency = strings.ToUpper(ev.Amount.Currency)
	return s.store.InTx(ctx, func(tx Tx) error {
		fresh, err := tx.RecordProviderEvent(ctx, s.provider.Name(), ev.ID, s.clock.Now())
		if err != nil || !fresh {
			return err
		}
		switch ev.Kind {
		case EventCheckoutPaid:
			return s.checkoutPaid(ctx, tx, ev)
		case EventCheckoutFailed:
			return s.checkoutClosed(ctx, tx, ev, CheckoutFailed, "declined")
		case EventCheckoutExpired:
			return s.checkoutClosed(ctx, tx, ev, CheckoutExpired, "timeout")
		case EventChargeSucceeded, EventChargeFailed:
			return s.chargeEvent(ctx, tx, ev)
		case EventRefunded:
			return s.refunded(ctx, tx, ev)
		case EventCardSaved:
			return s.cardSaved(ctx, tx, ev)
		}
		return nil
	})
}

// findCheckout finds the checkout an event names, by the provider's
// reference or the portal's own id.
func findCheckout(ctx context.Context, tx Tx, ev Event) (CheckoutSession, error) {
	cs, err := tx.CheckoutSessionByRef(ctx, ev.CheckoutRef)
	if errors.Is(err, ErrNotFound) && ev.ClientRef != "" {
		cs, err = tx.CheckoutSession(ctx, ev.ClientRef)
	}
	return cs, err
}

// checkoutClosed records a declined or expired checkout. Money is not
// involved, so nothing but the checkout changes.
func (s *Service) checkoutClosed(ctx context.Context, tx Tx, ev Event, to CheckoutStatus, reason string) error {
	cs, err := findCheckout(ctx, tx, ev)
	if errors.Is(err, ErrNotFound) {
		s.log.Warn("provider event for an unknown checkout", "event", ev.ID, "ref", ev.CheckoutRef)
		return nil
	}
	if err != nil || cs.Status != CheckoutOpen {
		return err
	}
	cs.Status, cs.ClosedReason = to, reason
	return tx.UpdateCheckoutSession(ctx, cs)
}

// checkoutPaid records money taken at checkout and applies it to what it
// paid for, or makes it credit when that can no longer apply.
func (s *Service) checkoutPaid(ctx context.Context, tx Tx, ev Event) error {
	p := Payment{Provider: s.provider.Name(), Ref: firstOf(ev.PaymentRef, ev.CheckoutRef), Kind: PaidAtCheckout,
		Amount: ev.Amount, ReceivedAt: s.clock.Now()}
	cs, err := findCheckout(ctx, tx, ev)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.hold(ctx, tx, p, "the payment names a checkout the portal does not know")
	case err != nil:
		return err
	case ev.ClientRef != "" && ev.ClientRef != cs.ID:
		return s.hold(ctx, tx, p, "the payment's checkout reference and client reference disagree")
	}
	p.UserID, p.CheckoutID = cs.UserID, cs.ID
	if mismatch, err := s.otherCustomer(ctx, tx, cs.UserID, ev.CustomerRef); err != nil || mismatch {
		if err != nil {
			return err
		}
		p.UserID = 0
		return s.hold(ctx, tx, p, "the payment names another customer than the checkout's")
	}
	fresh, err := s.recordPayment(ctx, tx, &p)
	if err != nil || !fresh {
		return err
	}
	if ev.PaymentMethod != nil {
		if err := s.saveCard(ctx, tx, cs.UserID, ev.CustomerRef, *ev.PaymentMethod); err != nil {
			return err
		}
	}
	st, err := s.settleCheckoutPayment(ctx, tx, cs, p)
	if err != nil {
		return err
	}
	return s.allocate(ctx, tx, p, st)
}

// otherCustomer reports whether the provider customer an event names
// belongs to someone other than userID.
func (s *Service) otherCustomer(ctx context.Context, tx Tx, userID int64, customerRef string) (bool, error) {
	if customerRef == "" {
		return false, nil
	}
	acct, err := tx.PaymentAccount(ctx, userID, s.provider.Name())
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && acct.CustomerRef != "" && acct.CustomerRef != customerRef, err
}

// settleCheckoutPayment decides what a checkout's payment pays for.
func (s *Service) settleCheckoutPayment(ctx context.Context, tx Tx, cs CheckoutSession, p Payment) (settlement, error) {
	switch {
	case !strings.EqualFold(p.Amount.Currency, cs.Amount.Currency):
		return settlement{reason: fmt.Sprintf("paid in %s for a checkout in %s", p.Amount.Currency, cs.Amount.Currency)},
			s.closeCheckout(ctx, tx, cs, CheckoutFailed, "amount_mismatch")
	case p.Amount.Amount != cs.Amount.Amount:
		return settlement{reason: fmt.Sprintf("paid %s for a checkout of %s", p.Amount, cs.Amount)},
			s.closeCheckout(ctx, tx, cs, CheckoutFailed, "amount_mismatch")
	case cs.Status == CheckoutCompleted:
		return settlement{reason: "this checkout was already paid: paid twice"}, nil
	case cs.Status != CheckoutOpen:
		return settlement{reason: closedWords(cs.ClosedReason)}, nil
	case cs.Purpose == ForOverdue:
		return s.payOverdueInvoice(ctx, tx, cs, p)
	}
	return s.applyCheckoutChange(ctx, tx, cs, p)
}

func closedWords(reason string) string {
	switch reason {
	case "superseded":
		return "the checkout had been replaced by a newer change"
	case "timeout":
		return "the checkout had expired"
	case "declined":
		return "the checkout had been declined"
	}
	return "the checkout had been closed"
}

func (s *Service) closeCheckout(ctx context.Context, tx Tx, cs CheckoutSession, to CheckoutStatus, reason string) error {
	if cs.Status != CheckoutOpen {
		return nil
	}
	cs.Status, cs.ClosedReason = to, reason
	return tx.UpdateCheckoutSession(ctx, cs)
}

// applyCheckoutChange applies a paid plan change against the subscription
// as it is now, which may differ from when it was quoted (a renewal, a
// scheduled change or a cancellation since). The price is worked out again;
// the customer never pays more than they saw, and what they paid beyond
// today's price becomes credit.
func (s *Service) applyCheckoutChange(ctx context.Context, tx Tx, cs CheckoutSession, p Payment) (settlement, error) {
	sub, err := tx.Subscription(ctx, cs.UserID)
	if err != nil {
		return settlement{}, err
	}
	to, err := tx.Plan(ctx, cs.PlanID)
	if err != nil {
		return settlement{}, err
	}
	switch {
	case sub.Plan.ID == to.ID:
		return settlement{reason: "you were already on " + to.Name()}, s.closeCheckout(ctx, tx, cs, CheckoutExpired, "credited")
	case sub.Status == Overdue:
		return settlement{reason: "a renewal payment had failed before this payment arrived"},
			s.closeCheckout(ctx, tx, cs, CheckoutExpired, "credited")
	}
	now := s.clock.Now()
	q := Prorate(sub, to, now)
	applied := min(p.Amount.Amount, q.Due.Amount)
	cs.Status, cs.CompletedAt = CheckoutCompleted, now
	if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
		return settlement{}, err
	}
	invID, err := s.applyPaidChange(ctx, tx, ProviderActor, sub, to, q, Money{applied, to.Price.Currency}, cs.ID)
	st := settlement{invoiceID: invID, applied: applied}
	if applied < p.Amount.Amount {
		st.reason = fmt.Sprintf("the change cost %s when the payment arrived, less than the %s quoted", Money{applied, p.Amount.Currency}, p.Amount)
	}
	return st, err
}

// payOverdueInvoice settles the overdue invoice a checkout was for, unless
// something else (a dunning retry) settled it first.
func (s *Service) payOverdueInvoice(ctx context.Context, tx Tx, cs CheckoutSession, p Payment) (settlement, error) {
	sub, err := tx.Subscription(ctx, cs.UserID)
	if err != nil {
		return settlement{}, err
	}
	inv, err := tx.Invoice(ctx, cs.InvoiceID)
	if err != nil {
		return settlement{}, err
	}
	if sub.Status != Overdue || sub.OverdueInvoiceID != inv.ID || inv.Status == InvoicePaid || inv.Amount != p.Amount {
		return settlement{reason: "the overdue invoice had already been settled"}, s.closeCheckout(ctx, tx, cs, CheckoutExpired, "credited")
	}
	cs.Status, cs.CompletedAt = CheckoutCompleted, s.clock.Now()
	if err := tx.UpdateCheckoutSession(ctx, cs); err != nil {
		return settlement{}, err
	}
	return settlement{invoiceID: inv.ID, applied: p.Amount.Amount}, s.settleOverdue(ctx, tx, ProviderActor, sub, inv.ID, "overdue.paid")
}

// recordPayment stores a payment once per provider reference, at first all held;
// allocate then says where its money went. fresh is false for money
// already recorded (another event about the same payment).
func (s *Service) recordPayment(ctx context.Context, tx Tx, p *Payment) (bool, error) {
	p.Held = p.Amount.Amount
	id, fresh, err := tx.RecordPayment(ctx, *p)
	p.ID = id
	return fresh, err
}

// hold records money that cannot be tied to a customer's invoice or
// credit, for a person to refund. The books check lists it until then.
func (s *Service) hold(ctx context.Context, tx Tx, p Payment, reason string) error {
	if p.Amount.Amount <= 0 {
		return nil
	}
	fresh, err := s.recordPayment(ctx, tx, &p)
	if err != nil || !fresh {
		return err
	}
	p.Reason = reason
	return s.held(ctx, tx, p)
}

// held writes a recorded payment whose Held part waits for a person.
func (s *Service) held(ctx context.Context, tx Tx, p Payment) error {
	s.log.Error("payment held for review: refund it from the provider's dashboard", "payment", p.Ref, "amount", p.Amount, "reason", p.Reason)
	if err := tx.AllocatePayment(ctx, p); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: ProviderActor, Subject: Customer{ID: p.UserID},
		Action: "payment.held", Reason: p.Reason, After: fmt.Sprintf("%s held (payment %s)", Money{p.Held, p.Amount.Currency}, p.Ref)})
}

// allocate writes where a recorded payment's money went: the applied part
// to its invoice, the rest to the customer's account credit, with an audit
// entry saying why.
func (s *Service) allocate(ctx context.Context, tx Tx, p Payment, st settlement) error {
	p.InvoiceID, p.Applied = st.invoiceID, st.applied
	p.Credited, p.Held, p.Reason = p.Amount.Amount-st.applied, 0, st.reason
	if p.Applied > 0 {
		// The receipt, with the invoice it paid, goes with the payment's record.
		if err := s.QueueReceipt(ctx, tx, p.InvoiceID); err != nil {
			return err
		}
	}
	if p.Credited == 0 {
		return tx.AllocatePayment(ctx, p)
	}
	sub, err := tx.Subscription(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !strings.EqualFold(sub.Plan.Price.Currency, p.Amount.Currency) {
		p.Held, p.Credited = p.Credited, 0
		p.Reason += "; the account's credit is in " + sub.Plan.Price.Currency
		return s.held(ctx, tx, p)
	}
	if err := s.addCredit(ctx, tx, &sub, CreditEntry{Amount: Money{p.Credited, sub.Plan.Price.Currency},
		Reason: CreditFromPayment, Note: st.reason, PaymentID: p.ID}); err != nil {
		return err
	}
	if err := tx.AllocatePayment(ctx, p); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: ProviderActor, Subject: Customer{ID: p.UserID},
		Action: "payment.credited", Reason: st.reason,
		After: fmt.Sprintf("%s of payment %s added to account credit", Money{p.Credited, p.Amount.Currency}, p.Ref)})
}

// addCredit moves the customer's credit balance by e.Amount and journals
// it, so the balance is always the sum of its entries.
func (s *Service) addCredit(ctx context.Context, tx Tx, sub *Subscription, e CreditEntry) error {
	if e.Amount.Amount == 0 {
		return nil
	}
	sub.Credit += e.Amount.Amount
	sub.UpdatedAt = s.clock.Now()
	if err := tx.UpdateSubscription(ctx, *sub); err != nil {
		return err
	}
	e.UserID, e.CreatedAt = sub.UserID, s.clock.Now()
	return tx.AddCreditEntry(ctx, e)
}

// saveCard keeps the card the customer paid with for later renewals.
func (s *Service) saveCard(ctx context.Context, tx Tx, userID int64, customerRef string, pm PaymentMethod) error {
	acct, err := tx.PaymentAccount(ctx, userID, s.provider.Name())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	acct.UserID, acct.Provider, acct.Card, acct.UpdatedAt = userID, s.provider.Name(), pm, s.clock.Now()
	if customerRef != "" {
		acct.CustomerRef = customerRef
	}
	return tx.SavePaymentAccount(ctx, acct)
}

// refunded records money the provider returned to the customer. A refund
// never changes the plan: it marks the invoice refunded, or takes back the
// credit the payment had become.
func (s *Service) refunded(ctx context.Context, tx Tx, ev Event) error {
	p, err := tx.PaymentByRef(ctx, s.provider.Name(), ev.PaymentRef)
	if errors.Is(err, ErrNotFound) {
		s.log.Warn("refund of a payment the portal never recorded", "event", ev.ID, "payment", ev.PaymentRef)
		return nil
	}
	if err != nil {
		return err
	}
	delta := min(ev.Amount.Amount, p.Amount.Amount) - p.Refunded
	if delta <= 0 {
		return nil // an older or repeated refund event
	}
	p.Refunded += delta
	if err := tx.SetPaymentRefunded(ctx, p.ID, p.Refunded); err != nil {
		return err
	}
	fromInvoice := min(delta, p.Applied)
	if fromInvoice > 0 {
		if err := tx.AddInvoiceRefund(ctx, p.InvoiceID, fromInvoice); err != nil {
			return err
		}
	}
	if rest := delta - fromInvoice; rest > 0 && p.UserID != 0 {
		sub, err := tx.Subscription(ctx, p.UserID)
		if err != nil {
			return err
		}
		if err := s.addCredit(ctx, tx, &sub, CreditEntry{Amount: Money{-min(rest, sub.Credit), sub.Plan.Price.Currency},
			Reason: CreditRefunded, Note: "credited money returned to your card", PaymentID: p.ID}); err != nil {
			return err
		}
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: ProviderActor, Subject: Customer{ID: p.UserID},
		Action: "payment.refunded", After: fmt.Sprintf("%s of payment %s refunded", Money{delta, p.Amount.Currency}, p.Ref)})
}

// Credits lists the movements of the customer's account credit, newest first.
func (s *Service) Credits(ctx context.Context, userID int64) ([]CreditEntry, error) {
	return s.store.CreditEntries(ctx, userID)
}

// CheckoutPayment returns the payment recorded for a checkout, if any, so
// the return page can say where the money went.
func (s *Service) CheckoutPayment(ctx context.Context, checkoutID string) (Payment, bool, error) {
	p, err := s.store.PaymentForCheckout(ctx, checkoutID)
	if errors.Is(err, ErrNotFound) {
		return Payment{}, false, nil
	}
	return p, err == nil, err
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
