package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestManagerActsAsBob: the manager finds bob, acts as him under the
// banner, schedules a downgrade for him, and stops.
func TestManagerActsAsBob(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	must(t, ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "manager@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="customer-list"]`)),
		chromedp.SendKeys(chromedp.CSS("#q"), "bob"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Search"]`)),
		chromedp.WaitVisible(chromedp.Search(`//input[@id="q"][@value="bob"]`)),
	)
	shoot(t, ctx, "18-manage-customers")
	must(t, ctx, chromedp.Click(chromedp.Search(`//ul[@data-testid="customer-list"]//a[contains(., "bob@example.com")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason`)))
	shoot(t, ctx, "19-manage-customer-bob")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS(`#reason`), "Bob asked on the phone to move to Starter"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Act as bob@example.com"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="impersonation-banner"]`)))
	wantContains(t, "banner", text(t, ctx, chromedp.CSS(`[data-testid="impersonation-banner"]`)),
		"manager@example.com", "acting as", "bob@example.com", "min left", "Stop acting as customer")
	wantContains(t, "bob's plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Pro", "Monthly")
	shoot(t, ctx, "20-impersonation-banner")

	must(t, ctx, chromedp.Click(chromedp.Search(`//li[@data-plan="starter-monthly"]//a[normalize-space()="Downgrade to Starter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="impersonation-banner"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="scheduled-change"]`)))
	wantContains(t, "scheduled change", text(t, ctx, chromedp.CSS(`[data-testid="scheduled-change"]`)), "Changes to Starter Monthly")

	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Stop acting as customer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="impersonation-banner"]').length`)); n != 0 {
		t.Fatal("the banner is still there after stopping")
	}
	audit := text(t, ctx, chromedp.CSS(`[data-testid="audit-table"]`))
	wantContains(t, "audit trail", audit, "Impersonation started", "Plan change scheduled", "Impersonation stopped", "acting as bob@example.com")
	shoot(t, ctx, "21-manage-customer-after")
}

// TestManagerToolsAtPhoneWidth: every navigation link is in view at 390 px
// (the bar wraps rather than hiding "Test clock" off-screen), the test clock
// takes "30 days", and the audit log reads in words.
func TestManagerToolsAtPhoneWidth(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	must(t, ctx,
		chromedp.EmulateViewport(phoneW, phoneH),
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "manager@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="customer-list"]`)))
	outside, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('nav[aria-label="Main"] a'))
		.filter(a => { const r = a.getBoundingClientRect(); return r.right > window.innerWidth || r.left < 0 })
		.map(a => a.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(outside) != 0 {
		t.Fatalf("navigation links outside the 390 px screen: %v", outside)
	}
	wantContains(t, "navigation", text(t, ctx, chromedp.CSS(`nav[aria-label="Main"]`)), "Test clock", "API tokens")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Test clock"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#duration`)),
		chromedp.SendKeys(chromedp.CSS(`#duration`), "30 days"),
		chromedp.Submit(chromedp.CSS(`#duration`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	wantContains(t, "test clock", text(t, ctx, chromedp.CSS(`[data-testid="flash"]`)), "moved forward 720h0m0s (30 days)")
	shoot(t, ctx, "24-manage-test-clock")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Audit log"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)))
	wantContains(t, "audit log", text(t, ctx, chromedp.CSS(`[data-testid="audit-table"]`)), "Subscription renewed")
	shoot(t, ctx, "25-manage-audit-log")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="API tokens"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "API tokens")]`)))
	shoot(t, ctx, "26-manage-api-tokens")
}
