package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitOutcome waits on the checkout return page until it shows want (the
// server waits a few seconds for the webhook before answering).
func waitOutcome(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	sel := chromedp.CSS(`[data-testid="checkout-outcome"][data-outcome="` + want + `"]`)
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(sel)); err != nil {
		t.Fatalf("checkout outcome %q never shown (at %s): %v", want, location(t, ctx), err)
	}
}

// TestAliceUpgradesToProAnnual is the core journey of a new customer.
func TestAliceUpgradesToProAnnual(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)

	signIn(t, ctx, srv.URL, "alice@example.com")
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Free", "Active", "What your plan includes")
	shoot(t, ctx, "01-subscription-free")

	// Monthly prices first, then the Annual side of the picker.
	wantContains(t, "pro monthly card", text(t, ctx, chromedp.CSS(`[data-plan="pro-monthly"]`)), "$29.00", "/ month", "Save $58.00 a year with annual billing")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Billing interval"]//a[normalize-space()="Annual"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-plan="pro-annual"]`)))
	wantContains(t, "pro annual card", text(t, ctx, chromedp.CSS(`[data-plan="pro-annual"]`)), "$290.00", "/ year", "Save $58.00 a year")
	shoot(t, ctx, "02-subscription-annual-picker")

	must(t, ctx, chromedp.Click(chromedp.Search(`//li[@data-plan="pro-annual"]//a[normalize-space()="Upgrade to Pro"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="change-summary"]`)))
	summary := text(t, ctx, chromedp.CSS(`[data-testid="change-summary"]`))
	wantContains(t, "confirmation", summary, "Free", "Pro Annual", "$290.00", "Due today", "Today,")
	if due := text(t, ctx, chromedp.CSS(`[data-testid="amount-due"]`)); due != "$290.00" {
		t.Errorf("amount due = %q, want $290.00", due)
	}
	shoot(t, ctx, "03-confirm-change")

	must(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Pay $290.00"]`)))
	if loc := location(t, ctx); !strings.Contains(loc, "/sandbox/checkout/") {
		t.Fatalf("after confirming, at %s; want the sandbox checkout", loc)
	}
	shoot(t, ctx, "04-sandbox-checkout")

	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay $290.00"]`)))
	waitOutcome(t, ctx, "paid")
	wantContains(t, "return page", text(t, ctx, chromedp.CSS(`[data-testid="checkout-outcome"]`)), "Payment received", "Pro Annual")
	shoot(t, ctx, "05-checkout-paid")

	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Go to your subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	current := text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`))
	today := time.Now().UTC()
	wantContains(t, "current plan after paying", current, "Pro", "Annual", "Active", "$290.00",
		today.Format("2 January 2006"), today.AddDate(1, 0, 0).Format("2 January 2006"))
	shoot(t, ctx, "06-subscription-pro-annual")

	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Billing history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invoices"]`)))
	wantContains(t, "billing history", text(t, ctx, chromedp.CSS(`[data-testid="invoice-row"]`)), "Pro Annual subscription", "$290.00", "Paid")
	shoot(t, ctx, "07-billing-history")
}

// TestDeclinedPaymentChangesNothing: declining at checkout leaves the
// customer on Free with a clear message and no invoice.
func TestDeclinedPaymentChangesNothing(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "alice@example.com")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=starter-monthly"),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Decline"]`)))
	waitOutcome(t, ctx, "declined")
	wantContains(t, "declined page", text(t, ctx, chromedp.CSS(`[data-testid="checkout-outcome"]`)), "Payment declined", "nothing was charged", "has not changed")
	shoot(t, ctx, "08-checkout-declined")
	// Not a dead end: Try again leads back to the confirmation of the same change.
	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Try again"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-change"]`)))
	wantContains(t, "after Try again", location(t, ctx), "/subscription/change?plan=starter-monthly")

	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription"))
	wantContains(t, "current plan after declining", text(t, ctx, chromedp.CSS(`[data-testid="current-product"]`)), "Free")
	must(t, ctx, chromedp.Navigate(srv.URL+"/billing/history"))
	wantContains(t, "billing history", text(t, ctx, chromedp.CSS(`[data-testid="no-invoices"]`)), "No invoices yet")
}

// TestSignOut ends the session: the subscription page then asks to sign in.
func TestSignOut(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "bob@example.com")
	wantContains(t, "bob's plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Pro", "Monthly", "Active")
	shoot(t, ctx, "09-subscription-bob")
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign out"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)))
	shoot(t, ctx, "10-login")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription"), chromedp.WaitVisible(chromedp.CSS(`#password`)))
	if loc := location(t, ctx); !strings.Contains(loc, "/login") {
		t.Fatalf("after sign-out /subscription is at %s; want the login page", loc)
	}
}

// TestAbandonedCheckoutReturnPage: a customer who comes back without paying
// sees a page that stops waiting and says what to do, not one that reloads.
func TestAbandonedCheckoutReturnPage(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "alice@example.com")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=pro-monthly"),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Decline"]`)))
	alice, err := srv.App.Store.Accounts().UserByEmail(context.Background(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	open, err := srv.App.Store.OpenCheckoutSessions(context.Background(), alice.ID)
	if err != nil || len(open) != 1 {
		t.Fatalf("open checkouts: %v %v", open, err)
	}
	must(t, ctx, chromedp.Navigate(srv.URL+"/checkout/return?session_id="+open[0].ID))
	waitOutcome(t, ctx, "processing")
	wantContains(t, "waiting page", text(t, ctx, chromedp.CSS(`[data-testid="checkout-outcome"]`)),
		"haven't heard from the payment provider", "Check again", "Back to checkout")
	refresh, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('meta[http-equiv="refresh"]').length`))
	if err != nil || refresh != 0 {
		t.Fatalf("the waiting page reloads itself (%d meta refresh, %v)", refresh, err)
	}
	shoot(t, ctx, "23-checkout-return-waiting")
	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Back to checkout"]`)),
		chromedp.Click(chromedp.Search(`//button[starts-with(normalize-space(), "Pay")]`)))
	waitOutcome(t, ctx, "paid")
}
