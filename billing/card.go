package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// cardSetupTTL is how long a page for saving a new card stays usable.
const cardSetupTTL = ManagerCheckoutTTL

// StartCardUpdate opens the provider's page where the customer saves a new
// card, and returns its URL. Nothing changes here until the provider's
// verified event says the card was saved; from then on renewals and
// retries charge it.
func (s *Service) StartCardUpdate(ctx context.Context, actor Actor, cust Customer) (string, error) {
	sub, err := s.store.Subscription(ctx, cust.ID)
	if err != nil {
		return "", err
	}
	customerRef, err := s.ensureCustomer(ctx, cust)
	if err != nil {
		return "", err
	}
	url, err := s.provider.CreateCardSetup(ctx, CardSetupRequest{
		Key: newID("setup_"), Customer: cust, CustomerRef: customerRef, Currency: sub.Plan.Price.Currency,
		ReturnURL: s.cardReturn, CancelURL: s.cardCancel, ExpiresAt: s.clock.Now().Add(cardSetupTTL),
	})
	if err != nil {
		return "", &ProviderError{Err: err}
	}
	return url, s.store.InTx(ctx, func(tx Tx) error {
		return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: actor, Subject: cust, Action: "card.update_started",
			After: "sent to the payment provider's page to save a new card"})
	})
}

// PaymentMethod returns the card renewals charge, if one is saved.
func (s *Service) PaymentMethod(ctx context.Context, userID int64) (PaymentMethod, bool, error) {
	acct, err := s.store.PaymentAccount(ctx, userID, s.provider.Name())
	if errors.Is(err, ErrNotFound) {
		return PaymentMethod{}, false, nil
	}
	if err != nil {
		return PaymentMethod{}, false, err
	}
	return acct.Card, acct.Card.Last4 != "", nil
}

// TestMode reports whether the provider moves only test money.
func (s *Service) TestMode() bool { return s.provider.TestMode() }

// cardSaved makes the card the provider reports the one renewals charge.
// The event names the provider's customer; a customer the portal does not
// know changes nothing.
func (s *Service) cardSaved(ctx context.Context, tx Tx, ev Event) error {
	if ev.PaymentMethod == nil || ev.CustomerRef == "" {
		return nil
	}
	acct, err := tx.PaymentAccountByCustomer(ctx, s.provider.Name(), ev.CustomerRef)
	if errors.Is(err, ErrNotFound) {
		s.log.Warn("a card saved for a customer the portal does not know", "event", ev.ID, "customer", ev.CustomerRef)
		return nil
	}
	if err != nil {
		return err
	}
	before := describeCard(acct.Card)
	if err := s.saveCard(ctx, tx, acct.UserID, ev.CustomerRef, *ev.PaymentMethod); err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{At: s.clock.Now(), Actor: ProviderActor, Subject: Customer{ID: acct.UserID},
		Action: "card.saved", Before: before, After: describeCard(*ev.PaymentMethod)})
}

func describeCard(pm PaymentMethod) string {
	if pm.Last4 == "" {
		return "no card"
	}
	brand := "Card"
	if pm.Brand != "" {
		brand = strings.ToUpper(pm.Brand[:1]) + pm.Brand[1:]
	}
	return fmt.Sprintf("%s ending %s, expires %02d/%d", brand, pm.Last4, pm.ExpMonth, pm.ExpYear)
}
