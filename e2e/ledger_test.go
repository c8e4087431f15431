package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/billing"
)

// TestMoneyThatCannotApplyIsShownAsCredit: alice's checkout is replaced by
// a newer change in another tab, yet her provider reports a payment for
// the old one. The return page says the money became account credit, her
// history lists it, and the manager sees it and clean books.
func TestMoneyThatCannotApplyIsShownAsCredit(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "alice@example.com")
	must(t, ctx, append(confirmChange(srv.URL, "pro-monthly"), chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Pay $29.00"]`)))...)
	old := location(t, ctx)
	oldRef := old[strings.LastIndex(old, "/")+1:]
	must(t, ctx, append(confirmChange(srv.URL, "business-monthly"), chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Pay $99.00"]`)))...)
	// The replaced page no longer takes payment.
	must(t, ctx, chromedp.Navigate(old), chromedp.WaitVisible(chromedp.Search(`//*[contains(., "no longer be paid")]`)))

	// A provider that took the money anyway reports it: it becomes credit.
	err := srv.App.Billing.ApplyEvent(context.Background(), billing.Event{ID: "evt_stray", Kind: billing.EventCheckoutPaid,
		CheckoutRef: oldRef, PaymentRef: "pay_stray", Amount: billing.Money{Amount: 2900, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := srv.App.Store.CheckoutSessionByRef(context.Background(), oldRef)
	if err != nil {
		t.Fatal(err)
	}
	must(t, ctx, chromedp.Navigate(srv.URL+"/checkout/return?session_id="+cs.ID),
		chromedp.WaitVisible(chromedp.CSS(`[data-outcome="paid"]`)))
	wantContains(t, "return page", text(t, ctx, chromedp.CSS(`main`)), "account credit", "$29.00", "replaced by a newer change")
	shoot(t, ctx, "30-return-credited")
	must(t, ctx, chromedp.Navigate(srv.URL+"/billing/history"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-credit"]`)))
	wantContains(t, "credit", text(t, ctx, chromedp.CSS(`[data-testid="account-credit"]`)), "$29.00", "replaced by a newer change")
	wantContains(t, "activity", text(t, ctx, chromedp.CSS(`[data-testid="activity"]`)), "Payment added to account credit", "$29.00")
	shoot(t, ctx, "31-history-credit")
	must(t, ctx, chromedp.Navigate(srv.URL+"/subscription"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "$29.00")

	m := newBrowser(t)
	signInUntil(t, m, srv.URL, "manager@example.com", `form[action="/logout"]`) // only a signed-in page has it; the login page has a main too
	must(t, m, chromedp.Navigate(srv.URL+"/manage/health"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="books-clean"], [data-testid="books-violations"]`)))
	wantContains(t, "the books", text(t, m, chromedp.CSS(`main`)), "The books are clean")
	shoot(t, m, "32-manage-health")
	u, _ := srv.App.Store.Accounts().UserByEmail(context.Background(), "alice@example.com")
	must(t, m, chromedp.Navigate(srv.URL+"/manage/customers/"+strconv.FormatInt(u.ID, 10)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="account-credit"]`)))
	shoot(t, m, "33-manage-customer-credit")
}
