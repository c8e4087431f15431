package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/email"
)

var resetPath = regexp.MustCompile(`/password/reset/pr_[A-Za-z0-9_-]+`)

// TestForgottenPassword is a customer who forgot their password: the link
// from the mail, a new password, and signing in with it.
func TestForgottenPassword(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	must(t, ctx, chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shoot(t, ctx, "20-login-forgot-link")
	must(t, ctx, chromedp.Click(chromedp.Search(`//a[normalize-space()="Forgot password?"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Reset your password"]`)))
	shoot(t, ctx, "21-forgot-password")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#email"), "alice@example.com"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Send reset link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-sent"]`)))
	wantContains(t, "answer", text(t, ctx, chromedp.CSS(`[data-testid="reset-sent"]`)), "If an account exists for alice@example.com")
	shoot(t, ctx, "22-forgot-password-sent")

	mails, err := srv.App.Store.Mails(context.Background(), "alice@example.com")
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox: %v %v", mails, err)
	}
	link := resetPath.FindString(mails[0].Text)
	must(t, ctx, chromedp.Navigate(srv.URL+link), chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), "a-new-password"), chromedp.SendKeys(chromedp.CSS("#confirm"), "a-typo-password"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save new password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-confirm"]`)))
	shoot(t, ctx, "23-reset-password-mismatch")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#password"), "a-new-password"), chromedp.SendKeys(chromedp.CSS("#confirm"), "a-new-password"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save new password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	wantContains(t, "login notice", text(t, ctx, chromedp.CSS(`[data-testid="flash"]`)), "Your password is changed")
	shoot(t, ctx, "24-login-after-reset")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#email"), "alice@example.com"), chromedp.SendKeys(chromedp.CSS("#password"), "a-new-password"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))

	must(t, ctx, chromedp.Navigate(srv.URL+link), chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-invalid"]`)))
	shoot(t, ctx, "25-reset-link-used")
}

// TestBillingDetailsAndSettings fills in billing details (a mistake
// first), looks at the invoices, and the settings pages.
func TestBillingDetailsAndSettings(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "bob@example.com")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Billing details"]`)),
		chromedp.WaitVisible(chromedp.CSS("#name")))
	shoot(t, ctx, "26-billing-details-empty")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#company"), "Brown & Co"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save billing details"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-name"]`)))
	wantContains(t, "errors", text(t, ctx, chromedp.CSS(`[data-testid="form-error"]`)), "Please correct the 4 fields")
	shoot(t, ctx, "27-billing-details-errors")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#name"), "Bob Brown"), chromedp.SendKeys(chromedp.CSS("#line1"), "12 Harbour Road"),
		chromedp.SendKeys(chromedp.CSS("#postal_code"), "BS1 5TY"), chromedp.SendKeys(chromedp.CSS("#city"), "Bristol"),
		chromedp.SetValue(chromedp.CSS("#country"), "GB"), chromedp.SendKeys(chromedp.CSS("#tax_id"), "GB 123 4567 89"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save billing details"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	shoot(t, ctx, "28-billing-details-saved")

	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Billing history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invoice-pdf"]`)))
	wantContains(t, "history", text(t, ctx, chromedp.CSS(`[data-testid="invoices"]`)), "INV-0000", "(PDF)")
	shoot(t, ctx, "29-billing-history-pdf-links")

	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Settings"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Emails"]`)))
	shoot(t, ctx, "30-settings-emails")
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Settings"]//a[normalize-space()="Password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#current_password")))
	shoot(t, ctx, "31-settings-password")
}

func TestOverdueHistoryAndManagerOutbox(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "carol@example.com")
	must(t, ctx, chromedp.Navigate(srv.URL+"/billing/history"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="invoice-pay-now"]`)))
	shoot(t, ctx, "32-billing-history-pay-now")

	// Dave resumes and cancels again, which queues a mail; without SMTP_URL
	// the manager sees it waiting in the outbox.
	dctx := newBrowser(t)
	signIn(t, dctx, srv.URL, "dave@example.com")
	must(t, dctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Resume subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
		chromedp.Navigate(srv.URL+"/subscription/cancel"), chromedp.WaitVisible(chromedp.CSS(`input[name="reason"]`)),
		chromedp.Click(chromedp.CSS(`input[value="unused"]`)), chromedp.Click(chromedp.CSS(`[data-testid="confirm-cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="subscription-notice"]`)))

	mctx := newBrowser(t)
	must(t, mctx, chromedp.Navigate(srv.URL+"/login"), chromedp.SendKeys(chromedp.CSS("#email"), "manager@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"), chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS("main")),
		chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Mail"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mails"]`)))
	wantContains(t, "outbox", text(t, mctx, chromedp.CSS(`[data-testid="mails"]`)), "Your subscription is cancelled", "dave@example.com", "Waiting for SMTP_URL")
	shoot(t, mctx, "33-manage-mail")
}

// TestMailsAsCustomersSeeThem renders every kind of mail in the browser,
// as a mail app would show its HTML, and checks its button is there.
func TestMailsAsCustomersSeeThem(t *testing.T) {
	c := email.Composer{Brand: "Acme Notes", Theme: brand.NewTheme(brand.RGB{R: 0x0f, G: 0x76, B: 0x6e})}
	base := "http://127.0.0.1:8080"
	pages := map[string]string{}
	for _, d := range []billing.MailData{
		{Kind: billing.MailReceipt, PlanName: "Pro Annual subscription", Amount: "$290.00", Date: "1 March 2027", InvoiceNumber: "INV-000042", URL: base + "/billing/history"},
		{Kind: billing.MailPaymentFailed, PlanName: "Starter Annual renewal", Amount: "$90.00", Date: "1 March 2027", InvoiceNumber: "INV-000043", URL: base + "/subscription"},
		{Kind: billing.MailRenewalReminder, PlanName: "Pro Annual", Price: "$290.00 a year", Amount: "$290.00", Date: "8 March 2027", URL: base + "/subscription", PrefsURL: base + billing.PreferencesPath},
		{Kind: billing.MailCancellation, PlanName: "Pro Annual", Price: "$290.00 a year", Date: "8 March 2027", URL: base + "/subscription"},
		{Kind: billing.MailChangeScheduled, FromPlanName: "Pro Monthly", PlanName: "Starter Monthly", Price: "$9.00 a month", Date: "8 March 2027", URL: base + "/subscription", PrefsURL: base + billing.PreferencesPath},
		{Kind: billing.MailChangeApplied, PlanName: "Starter Monthly", Price: "$9.00 a month", Date: "8 March 2027", URL: base + "/subscription", PrefsURL: base + billing.PreferencesPath},
	} {
		_, _, html, err := c.Compose(d)
		if err != nil {
			t.Fatal(err)
		}
		pages["/"+string(d.Kind)] = html
	}
	reset, err := c.PasswordReset("alice@example.com", base+"/password/reset/pr_example", resetExpiry)
	if err != nil {
		t.Fatal(err)
	}
	pages["/password_reset"] = reset.HTML
	mailApp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(pages[r.URL.Path]))
	}))
	defer mailApp.Close()
	ctx := newBrowser(t)
	for path := range pages {
		must(t, ctx, chromedp.Navigate(mailApp.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
		button := text(t, ctx, chromedp.CSS(`a[style*="padding:12px 20px"]`))
		if button == "" {
			t.Errorf("%s: no button", path)
		}
		shoot(t, ctx, "mail-"+strings.TrimPrefix(path, "/"))
	}
}

// resetExpiry is when the example reset link stops working.
var resetExpiry = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
