package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/webhooksig"
)

// pay completes a sandbox payment page and returns the return-page path.
func pay(t *testing.T, c *apptest.Client, paymentPath, action string) string {
	t.Helper()
	r := c.Post(paymentPath+"/"+action, nil)
	wantStatus(t, r, http.StatusSeeOther)
	if apptest.Path(r) != "/checkout/return" {
		t.Fatalf("after %s, redirected to %s", action, r.Header.Get("Location"))
	}
	u, _ := url.Parse(r.Header.Get("Location"))
	return u.RequestURI()
}

func TestChangeThroughCheckout(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")

	preview := c.Get("/subscription/change?plan=pro-annual")
	wantStatus(t, preview, http.StatusOK)
	for _, want := range []string{"Free", "Pro Annual", "$290.00", `data-testid="amount-due"`} {
		if !strings.Contains(preview.Body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	paymentPath := startCheckout(t, c, "pro-annual")
	if again := startCheckout(t, c, "pro-annual"); again != paymentPath {
		t.Fatalf("the same change twice opened two checkouts: %s and %s", paymentPath, again)
	}
	page := c.Get(paymentPath)
	wantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Body, "Pay $290.00") || !strings.Contains(page.Body, "Decline") {
		t.Fatalf("sandbox page lacks its buttons")
	}
	ret := pay(t, c, paymentPath, "pay")
	// The sandbox delivered its webhook before redirecting.
	r := c.Get(ret)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `data-outcome="paid"`) {
		t.Fatalf("return page is not paid: %s", snippet(r.Body))
	}
	sub := subscription(t, srv, "alice@example.com")
	if sub.Plan.ID != "pro-annual" || sub.Status != "active" {
		t.Fatalf("after paying: %s %s", sub.Plan.ID, sub.Status)
	}
	if invs := invoices(t, srv, "alice@example.com"); len(invs) != 1 || invs[0].Amount.Amount != 29000 {
		t.Fatalf("invoices after paying: %+v", invs)
	}
	// Paying twice charges once.
	pay(t, c, paymentPath, "pay")
	if invs := invoices(t, srv, "alice@example.com"); len(invs) != 1 {
		t.Fatalf("a second click on Pay made %d invoices", len(invs))
	}
	hist := c.Get("/billing/history")
	if !strings.Contains(hist.Body, "Pro Annual subscription") || !strings.Contains(hist.Body, "$290.00") {
		t.Fatal("billing history lacks the paid invoice")
	}
}

func TestDeclineChangesNothing(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	ret := pay(t, c, startCheckout(t, c, "starter-monthly"), "decline")
	r := c.Get(ret)
	if !strings.Contains(r.Body, `data-outcome="declined"`) {
		t.Fatalf("return page is not declined")
	}
	if sub := subscription(t, srv, "alice@example.com"); sub.Plan.ID != "free" {
		t.Fatalf("plan after decline = %s", sub.Plan.ID)
	}
	if invs := invoices(t, srv, "alice@example.com"); len(invs) != 0 {
		t.Fatalf("invoices after decline: %+v", invs)
	}
}

func TestBadChangesAreExplainedAndChangeNothing(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	cases := map[string]string{
		"pro-monthly":               "You are already on Pro Monthly",
		"gold-monthly":              `There is no plan called &#34;gold-monthly&#34;`,
		"<script>alert(1)</script>": "is not a plan id",
		"":                          "is not a plan id",
	}
	for plan, want := range cases {
		for _, r := range []apptest.Response{
			c.Get("/subscription/change?plan=" + url.QueryEscape(plan)),
			c.Post("/subscription/change", url.Values{"plan": {plan}}),
		} {
			wantStatus(t, r, http.StatusBadRequest)
			if !strings.Contains(r.Body, want) || !strings.Contains(r.Body, `data-testid="flash"`) {
				t.Errorf("plan %q: page lacks %q", plan, want)
			}
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("plan %q echoed unescaped", plan)
			}
		}
	}
	r := c.Post("/subscription/change", url.Values{"plan": {"business-annual"}, "timing": {"someday"}})
	wantStatus(t, r, http.StatusBadRequest)
	if len(openCheckouts(t, srv, "bob@example.com")) != 0 || subscription(t, srv, "bob@example.com").Plan.ID != "pro-monthly" {
		t.Fatal("a rejected change left state behind")
	}
}

func TestAnotherCustomersCheckoutIsNotFound(t *testing.T) {
	srv := apptest.Start(t)
	alice := srv.NewClient(t)
	alice.Login("alice@example.com")
	startCheckout(t, alice, "pro-monthly")
	id := openCheckouts(t, srv, "alice@example.com")[0].ID

	wantStatus(t, alice.Get("/checkout/return?session_id="+id), http.StatusOK)
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantStatus(t, bob.Get("/checkout/return?session_id="+id), http.StatusNotFound)
	wantStatus(t, bob.Get("/checkout/return?session_id=cs_doesnotexist"), http.StatusNotFound)
	wantStatus(t, bob.Get("/checkout/return"), http.StatusBadRequest)
}

// Item 15 of issue 15: the return page waits briefly for the webhook, then
// stops in a bounded state that offers to check again or go back to pay.
func TestReturnBeforeWebhookWaitsThenOffersWhatToDo(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	payment := startCheckout(t, c, "pro-monthly")
	cs := openCheckouts(t, srv, "alice@example.com")[0]
	ret := "/checkout/return?session_id=" + cs.ID
	start := time.Now()
	r := c.Get(ret)
	if waited := time.Since(start); waited < 2*time.Second || waited > 10*time.Second {
		t.Errorf("the return page answered after %s; it should wait a few seconds for the webhook", waited)
	}
	wantBody(t, r, `data-outcome="processing"`, "Check again", `href="`+html.EscapeString(ret)+`"`, "Back to checkout",
		`href="`+html.EscapeString(cs.PaymentURL)+`"`)
	if strings.Contains(r.Body, `http-equiv="refresh"`) {
		t.Error("the return page still reloads itself")
	}

	// A webhook that lands while the page waits is shown at once.
	done := make(chan apptest.Response, 1)
	go func() { done <- c.Get(ret) }()
	time.Sleep(500 * time.Millisecond)
	payer := srv.NewClient(t)
	wantStatus(t, payer.Post(payment+"/pay", nil), http.StatusSeeOther)
	wantBody(t, <-done, `data-outcome="paid"`, "Go to your subscription")
}

// A declined payment is not a dead end: the customer can try again.
func TestDeclinedPaymentOffersToTryAgain(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	r := c.Get(pay(t, c, startCheckout(t, c, "starter-monthly"), "decline"))
	wantBody(t, r, `data-outcome="declined"`, "Try again", `href="/subscription/change?plan=starter-monthly"`)
	startCheckout(t, c, "starter-monthly") // and trying again opens a new checkout

	carol := srv.NewClient(t)
	carol.Login("carol@example.com")
	overdue := carol.Post("/subscription/overdue/pay", nil)
	wantStatus(t, overdue, http.StatusSeeOther)
	back := carol.Get(pay(t, carol, apptest.Path(overdue), "decline"))
	wantBody(t, back, `data-outcome="declined"`, `action="/subscription/overdue/pay"`, "Try again")
}

func TestWebhookSignatureIsRequired(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	startCheckout(t, c, "pro-annual")
	cs := openCheckouts(t, srv, "alice@example.com")[0]
	body := `{"id":"evt_forged","type":"checkout.paid","created":0,"data":{"checkout_ref":"` + cs.ProviderRef + `","amount":29000,"currency":"USD"}}`
	now := time.Now()
	cases := map[string]string{
		"missing":    "",
		"forged":     webhooksig.Sign([]byte("not the secret"), now, []byte(body)),
		"stale":      signedWebhook(t, srv, body, now.Add(-6*time.Minute)),
		"garbage":    "t=abc,v1=zz",
		"other body": signedWebhook(t, srv, strings.Replace(body, "29000", "100", 1), now),
	}
	for name, sig := range cases {
		r := webhookRequest(t, srv, body, sig)
		wantStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(r.Body, `"code":400`) {
			t.Errorf("%s: error body %s", name, r.Body)
		}
	}
	if sub := subscription(t, srv, "alice@example.com"); sub.Plan.ID != "free" {
		t.Fatalf("an unverified webhook changed the plan to %s", sub.Plan.ID)
	}
	// A correctly signed event applies once, however often it is sent.
	good := signedWebhook(t, srv, body, now)
	for i := 0; i < 3; i++ {
		wantStatus(t, webhookRequest(t, srv, body, good), http.StatusOK)
	}
	if sub := subscription(t, srv, "alice@example.com"); sub.Plan.ID != "pro-annual" {
		t.Fatalf("a verified webhook did not apply: %s", sub.Plan.ID)
	}
	if n := len(invoices(t, srv, "alice@example.com")); n != 1 {
		t.Fatalf("a replayed webhook made %d invoices", n)
	}
}

func webhookRequest(t *testing.T, srv *apptest.Server, body, sig string) apptest.Response {
	t.Helper()
	header := []string{"Content-Type", "application/json"}
	if sig != "" {
		header = append(header, webhooksig.Header, sig)
	}
	return srv.NewClient(t).Raw(http.MethodPost, "/webhooks/sandbox", body, header...)
}
