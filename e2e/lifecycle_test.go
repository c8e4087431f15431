package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScheduledDowngradeWithUndo: bob schedules Starter for his renewal
// date, sees it on his subscription page, and undoes it.
func TestScheduledDowngradeWithUndo(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "bob@example.com")
	must(t, ctx, chromedp.Click(chromedp.Search(`//li[@data-plan="starter-monthly"]//a[normalize-space()="Downgrade to Starter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="change-summary"]`)))
	wantContains(t, "confirmation", text(t, ctx, chromedp.CSS(`main`)), "Nothing is charged today", "Schedule the change for")
	shoot(t, ctx, "11-confirm-scheduled-downgrade")
	must(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="scheduled-change"]`)))
	wantContains(t, "scheduled change", text(t, ctx, chromedp.CSS(`[data-testid="scheduled-change"]`)), "Changes to Starter Monthly on")
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-product"]`)), "Pro")
	// Where the customer looks: the message, the current plan and the target card all give the date.
	wantContains(t, "flash", text(t, ctx, chromedp.CSS(`[data-testid="flash"]`)), "Your change to Starter Monthly is scheduled for")
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Changes on", "to Starter Monthly ($9.00 / month)")
	wantContains(t, "starter card", text(t, ctx, chromedp.CSS(`[data-plan="starter-monthly"]`)), "Starts on")
	shoot(t, ctx, "12-subscription-scheduled-change")
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Undo this change"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@data-testid="flash"][contains(., "was undone")]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="scheduled-change"]').length`)); n != 0 {
		t.Fatal("the scheduled change is still shown after undo")
	}
}

// TestCancelWithReason: bob cancels, giving a reason, and sees when his plan ends.
func TestCancelWithReason(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "bob@example.com")
	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Cancel subscription"]`)),
		chromedp.WaitVisible(chromedp.Search(`//legend[normalize-space()="Why are you cancelling?"]`)))
	shoot(t, ctx, "13-cancel-form")
	must(t, ctx, chromedp.Click(chromedp.Search(`//label[contains(., "missing features")]/input`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "We need SSO"),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="subscription-notice"]`)))
	wantContains(t, "notice", text(t, ctx, chromedp.CSS(`[data-testid="subscription-notice"]`)),
		"Your subscription ends on", "missing features", "Resume subscription")
	shoot(t, ctx, "14-subscription-cancelling")
}

// TestOverdueBannerAndPayingIt: carol's failed renewal is shown with Pay
// now, which goes through checkout and clears the banner.
func TestOverdueBannerAndPayingIt(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "carol@example.com")
	notice := text(t, ctx, chromedp.CSS(`[data-testid="subscription-notice"]`))
	wantContains(t, "overdue banner", notice, "Your last payment failed", "$90.00", "Pay now", "Move to Free")
	wantContains(t, "status", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Overdue")
	shoot(t, ctx, "15-subscription-overdue")
	// Asking for a paid plan anyway gives one message and what to do.
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=pro-monthly"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="subscription-notice"]`)))
	wantContains(t, "refusal", text(t, ctx, chromedp.CSS(`[data-testid="subscription-notice"]`)), "Pay the overdue amount before choosing a paid plan", "Pay now")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="flash"]').length`)); n != 0 {
		t.Error("the refusal is stacked on the notice")
	}
	shoot(t, ctx, "15b-subscription-overdue-refused")
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay now"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay $90.00"]`)))
	waitOutcome(t, ctx, "paid")
	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Go to your subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	wantContains(t, "status after paying", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Starter", "Annual", "Active")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="subscription-notice"]').length`)); n != 0 {
		t.Fatal("the overdue banner is still shown after paying")
	}
}

// TestCancellingNoticeAndResume: dave is cancelling at period end and resumes.
func TestCancellingNoticeAndResume(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "dave@example.com")
	wantContains(t, "notice", text(t, ctx, chromedp.CSS(`[data-testid="subscription-notice"]`)), "Your subscription ends on", "then move to the free plan")
	wantContains(t, "renewal label", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Ends on", "Cancelling")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=pro-monthly"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="withdraws-cancellation"]`)))
	wantContains(t, "confirmation", text(t, ctx, chromedp.CSS(`[data-testid="withdraws-cancellation"]`)), "withdraws your cancellation", "renews as usual")
	shoot(t, ctx, "16a-confirm-change-withdraws-cancellation")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Resume subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	current := text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`))
	if !strings.Contains(current, "Renews on") {
		t.Fatalf("after resuming the plan should renew: %q", current)
	}
	shoot(t, ctx, "16-subscription-resumed")
}

// TestProratedUpgradeShowsTheCalculation: bob sees the credit for unused
// time before paying for Business.
func TestProratedUpgradeShowsTheCalculation(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "bob@example.com")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription/change?plan=business-annual"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="timing-options"]`)))
	wantContains(t, "calculation", text(t, ctx, chromedp.CSS(`[data-testid="change-summary"]`)),
		"Business Annual", "$990.00", "Credit for unused time on Pro Monthly", "Due today")
	shoot(t, ctx, "17-confirm-prorated-upgrade")
}
