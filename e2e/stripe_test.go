package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/checkout/stripe/stripefake"
	"github.com/billingportal/portal/db/dbtest"
)

// TestStripeJourney is a customer's whole journey with
// CHECKOUT_PROVIDER=stripe, against a fake Stripe whose hosted page pays
// and sends the signed events: upgrade, a declined card, another card that
// pays, the card on file, and replacing it.
func TestStripeJourney(t *testing.T) {
	fake := stripefake.New(t)
	srv := apptest.Start(t, func(cfg *app.Config) {
		cfg.CheckoutProvider, cfg.StripeSecretKey, cfg.StripeWebhookSecret, cfg.StripeAPIBase = "stripe", stripefake.SecretKey, stripefake.WebhookSecret, fake.URL
	})
	fake.WebhookURL = srv.URL + "/webhooks/stripe"
	before := dbtest.Books(t, srv.App.Store) // the demo's own history
	ctx := newBrowser(t)

	signIn(t, ctx, srv.URL, "alice@example.com")
	if got := text(t, ctx, chromedp.CSS(`[data-testid="test-mode"]`)); !strings.EqualFold(got, "Test mode") {
		t.Errorf("test mode marker = %q", got)
	}
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=pro-monthly"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Pay USD 29.00"]`)))
	if loc := location(t, ctx); !strings.HasPrefix(loc, fake.URL+"/pay/") {
		t.Fatalf("after confirming, at %s; want Stripe's checkout", loc)
	}

	// The first card is declined: Stripe's page says so and nothing changes.
	must(t, ctx, chromedp.Click(chromedp.CSS(`input[value="0002"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay USD 29.00"]`)),
		chromedp.WaitVisible(chromedp.Search(`//*[@role="alert"][contains(., "declined")]`)))
	// Another card pays.
	must(t, ctx, chromedp.Click(chromedp.CSS(`input[value="4242"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay USD 29.00"]`)))
	waitOutcome(t, ctx, "paid")
	wantContains(t, "return page", text(t, ctx, chromedp.CSS(`[data-testid="checkout-outcome"]`)), "Payment received", "Pro Monthly")

	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="payment-method"]`)))
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Pro", "Monthly", "Active")
	wantContains(t, "card on file", text(t, ctx, chromedp.CSS(`[data-testid="payment-method"]`)), "Visa ending 4242", "Expires 12/2030")
	shoot(t, ctx, "40-stripe-subscription-card")

	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Use another card"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Save card"]`)))
	must(t, ctx, chromedp.Click(chromedp.CSS(`input[value="3155"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save card"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="payment-method"]`)))
	wantContains(t, "card after the update", text(t, ctx, chromedp.CSS(`[data-testid="payment-method"]`)), "Visa ending 3155")
	wantContains(t, "notice", text(t, ctx, chromedp.CSS(`[data-testid="flash"]`)), "Your new card is saved")
	shoot(t, ctx, "41-stripe-card-updated")

	books(t, srv, before, fake.Taken())
}

// books checks the portal's ledger against what Stripe took since before.
func books(t *testing.T, srv *apptest.Server, before dbtest.Money, taken int64) {
	t.Helper()
	vs, err := srv.App.Billing.CheckBooks(context.Background())
	if err != nil || len(vs) > 0 {
		t.Fatalf("books: %+v %v", vs, err)
	}
	m := dbtest.Books(t, srv.App.Store)
	recorded, kept := m.Recorded-before.Recorded, m.Applied+m.Credited-before.Applied-before.Credited
	if recorded != taken || kept != taken || m.Held != before.Held {
		t.Fatalf("Stripe took %d; the books recorded %d and applied or credited %d (%+v before, %+v after)", taken, recorded, kept, before, m)
	}
}

// TestSandboxCardUpdatePage shows the sandbox's own page for a new card,
// from the overdue notice of a customer whose card declined.
func TestSandboxCardUpdatePage(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "carol@example.com")
	wantContains(t, "overdue notice", text(t, ctx, chromedp.CSS(`[data-testid="subscription-notice"]`)), "Pay now", "Use another card")
	shoot(t, ctx, "42-overdue-use-another-card")
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Use another card"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Save card"]`)))
	shoot(t, ctx, "43-sandbox-card-page")
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Save card"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="payment-method"]`)))
	wantContains(t, "card", text(t, ctx, chromedp.CSS(`[data-testid="payment-method"]`)), "Visa ending 4242")
	shoot(t, ctx, "44-sandbox-card-saved")
}
