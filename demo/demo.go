// Package demo holds the demo accounts of ARCHITECTURE.md, so that
// `go run . -demo` shows every state a subscription can be in. The demo
// catalogue is portal.example.yaml.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/sandbox"
)

// Password is every demo account's password.
const Password = "demodemo"

// Cards sets the sandbox provider's saved test cards.
type Cards interface {
	SetCard(ctx context.Context, email string, c sandbox.Card) error
}

// Accounts is what Seed needs from the account service.
type Accounts interface {
	CreateUser(ctx context.Context, email, name, password string, role account.Role) (account.User, error)
}

// person is one demo account and the state its subscription is put in.
type person struct {
	email, name string
	role        account.Role
	cardFails   bool // the sandbox declines this customer's saved card
	setup       func(now time.Time, sub *billing.Subscription, plans map[string]billing.Plan) []billing.Invoice
}

// Seed creates the demo accounts that do not exist yet; running it again
// changes nothing.
func Seed(ctx context.Context, accounts Accounts, store billing.Store, cards Cards, now time.Time) error {
	all, err := store.Plans(ctx)
	if err != nil {
		return fmt.Errorf("demo: plans: %w", err)
	}
	plans := map[string]billing.Plan{}
	for _, p := range all {
		plans[p.ID] = p
	}
	for _, id := range []string{"pro-monthly", "starter-annual", "pro-annual"} {
		if _, ok := plans[id]; !ok {
			return fmt.Errorf("demo: the demo accounts need plan %q of portal.example.yaml; run -demo with that catalogue", id)
		}
	}
	for _, p := range people() {
		u, err := accounts.CreateUser(ctx, p.email, p.name, Password, p.role)
		if errors.Is(err, account.ErrEmailTaken) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo: %s: %w", p.email, err)
		}
		if p.setup == nil {
			continue
		}
		err = store.InTx(ctx, func(tx billing.Tx) error {
			sub, err := tx.Subscription(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, inv := range p.setup(now, &sub, plans) {
				inv.UserID = u.ID
				id, err := tx.CreateInvoice(ctx, inv)
				if err != nil {
					return err
				}
				if inv.Status == billing.InvoiceFailed {
					sub.OverdueInvoiceID = id
					continue
				}
				if err := recordPaid(ctx, tx, u.ID, id, inv); err != nil {
					return err
				}
			}
			sub.UpdatedAt = now
			if err := tx.UpdateSubscription(ctx, sub); err != nil {
				return err
			}
			return tx.SavePaymentAccount(ctx, demoCard(u.ID, p.cardFails, now))
		})
		if err != nil {
			return fmt.Errorf("demo: %s subscription: %w", p.email, err)
		}
		if p.cardFails {
			if err := cards.SetCard(ctx, p.email, sandbox.CardDeclines); err != nil {
				return fmt.Errorf("demo: %s card: %w", p.email, err)
			}
		}
	}
	return nil
}

// demoCard is the sandbox card a paying demo customer has on file: the
// test card that declines for carol, the one that works for the others.
func demoCard(userID int64, fails bool, now time.Time) billing.PaymentAccount {
	customerRef := fmt.Sprintf("sbx_cus_%d", userID)
	last4 := "4242"
	if fails {
		last4 = "0002"
	}
	return billing.PaymentAccount{UserID: userID, Provider: sandbox.Name, CustomerRef: customerRef, UpdatedAt: now,
		Card: billing.PaymentMethod{Ref: "sbx_card_" + customerRef + "_" + last4, Brand: "visa", Last4: last4, ExpMonth: 12, ExpYear: now.Year() + 2}}
}

// recordPaid puts the payment that paid a demo invoice in the ledger, as
// the sandbox would have reported it.
func recordPaid(ctx context.Context, tx billing.Tx, userID, invoiceID int64, inv billing.Invoice) error {
	p := billing.Payment{Provider: sandbox.Name, Ref: fmt.Sprintf("sbx_demo_%d", invoiceID), UserID: userID, Kind: billing.PaidByCharge,
		Amount: inv.Amount, Held: inv.Amount.Amount, ReceivedAt: inv.CreatedAt}
	id, _, err := tx.RecordPayment(ctx, p)
	if err != nil {
		return err
	}
	p.ID, p.InvoiceID, p.Applied, p.Held = id, invoiceID, inv.Amount.Amount, 0
	return tx.AllocatePayment(ctx, p)
}

// onPlan puts sub on plan with a cycle that began at anchor and is now in
// its period number n (0 for the first), returning the paid invoices so far.
func onPlan(sub *billing.Subscription, plan billing.Plan, anchor time.Time, n int) []billing.Invoice {
	sub.Plan, sub.Status, sub.Anchor = plan, billing.Active, anchor
	sub.PeriodStart, sub.PeriodEnd = billing.PeriodEnd(anchor, plan.Interval, n), billing.PeriodEnd(anchor, plan.Interval, n+1)
	var invs []billing.Invoice
	for i := 0; i <= n; i++ {
		start := billing.PeriodEnd(anchor, plan.Interval, i)
		invs = append(invs, billing.Invoice{Description: plan.Name() + " subscription", Amount: plan.Price,
			Status: billing.InvoicePaid, PeriodStart: start, PeriodEnd: billing.PeriodEnd(anchor, plan.Interval, i+1), CreatedAt: start})
	}
	return invs
}

func people() []person {
	return []person{
		{email: "alice@example.com", name: "Alice Anders", role: account.Customer},
		{email: "bob@example.com", name: "Bob Brown", role: account.Customer,
			setup: func(now time.Time, sub *billing.Subscription, plans map[string]billing.Plan) []billing.Invoice {
				return onPlan(sub, plans["pro-monthly"], now.AddDate(0, 0, -40), 1)
			}},
		{email: "carol@example.com", name: "Carol Chen", role: account.Customer, cardFails: true,
			// Renewed two days ago and the card was declined: overdue, plan still usable.
			setup: func(now time.Time, sub *billing.Subscription, plans map[string]billing.Plan) []billing.Invoice {
				invs := onPlan(sub, plans["starter-annual"], now.AddDate(-1, 0, -2), 1)
				last := &invs[len(invs)-1]
				last.Status = billing.InvoiceFailed
				sub.Status, sub.PaymentFailedAt, sub.RetryCount = billing.Overdue, last.PeriodStart, 1
				sub.NextRetryAt = last.PeriodStart.Add(billing.RetrySchedule[1])
				sub.GraceEndsAt = last.PeriodStart.Add(billing.PermitDays * 24 * time.Hour)
				return invs
			}},
		{email: "dave@example.com", name: "Dave Diaz", role: account.Customer,
			setup: func(now time.Time, sub *billing.Subscription, plans map[string]billing.Plan) []billing.Invoice {
				invs := onPlan(sub, plans["pro-annual"], now.AddDate(0, 0, -200), 0)
				sub.CancelAtPeriodEnd, sub.CancelReason, sub.CanceledAt = true, "too_expensive", now.AddDate(0, 0, -3)
				sub.CancelComment = "Budget cuts this year."
				return invs
			}},
		{email: "manager@example.com", name: "Morgan Manager", role: account.Manager},
	}
}
