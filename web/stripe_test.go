package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/checkout/stripe/stripefake"
)

// startStripe runs the portal with CHECKOUT_PROVIDER=stripe against a fake
// Stripe that sends its signed events to the portal's webhook.
func startStripe(t *testing.T, key string) (*apptest.Server, *stripefake.Server) {
	t.Helper()
	fake := stripefake.New(t)
	srv := apptest.Start(t, func(cfg *app.Config) {
		cfg.CheckoutProvider, cfg.StripeSecretKey, cfg.StripeWebhookSecret, cfg.StripeAPIBase = "stripe", key, stripefake.WebhookSecret, fake.URL
	})
	fake.WebhookURL = srv.URL + "/webhooks/stripe"
	return srv, fake
}

func TestStripeSettingsAreCheckedAtStart(t *testing.T) {
	for _, tc := range []struct {
		key, secret, base, want string
	}{
		{"", "whsec_12345678", "", "STRIPE_SECRET_KEY is required"},
		{"pk_test_12345678", "whsec_12345678", "", "STRIPE_SECRET_KEY is not a Stripe secret key"},
		{"sk_test_", "whsec_12345678", "", "STRIPE_SECRET_KEY is not a Stripe secret key"},
		{"sk_test_12345678", "", "", "STRIPE_WEBHOOK_SECRET is required"},
		{"sk_test_12345678", "secret", "", "STRIPE_WEBHOOK_SECRET is not a webhook signing secret"},
		{"sk_test_12345678", "whsec_12345678", "api.stripe.com", "STRIPE_API_BASE"},
		{"sk_test_12345678", "whsec_12345678", "http://127.0.0.1:1/v1", "STRIPE_API_BASE"},
	} {
		_, err := app.New(context.Background(), app.Config{DBPath: filepath.Join(t.TempDir(), "p.db"), BaseURL: "http://127.0.0.1",
			CheckoutProvider: "stripe", StripeSecretKey: tc.key, StripeWebhookSecret: tc.secret, StripeAPIBase: tc.base})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("key %q secret %q base %q: %v, want an error naming %q", tc.key, tc.secret, tc.base, err, tc.want)
		}
	}
	_, err := app.New(context.Background(), app.Config{DBPath: filepath.Join(t.TempDir(), "p.db"), BaseURL: "http://127.0.0.1", CheckoutProvider: "paypal"})
	if err == nil || !strings.Contains(err.Error(), "CHECKOUT_PROVIDER") {
		t.Errorf("an unknown provider: %v", err)
	}
}

func TestStripeWebhookAnswers(t *testing.T) {
	srv, fake := startStripe(t, stripefake.SecretKey)
	c := srv.NewClient(t)
	post := func(body []byte, header string) apptest.Response {
		return c.Raw(http.MethodPost, "/webhooks/stripe", string(body), "Content-Type", "application/json", "Stripe-Signature", header)
	}
	ev := fake.Sign("customer.created", map[string]any{"id": "cus_1", "object": "customer"})
	r := post(ev.Body, "")
	var problem struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if r.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(r.Body), &problem) != nil || problem.Code != 400 ||
		!strings.Contains(problem.Message, "signature") {
		t.Fatalf("unsigned: %d %s", r.StatusCode, r.Body)
	}
	if r := post(ev.Body, ev.Header.Get("Stripe-Signature")); r.StatusCode != http.StatusOK {
		t.Fatalf("an event type the portal does not act on: %d %s", r.StatusCode, r.Body)
	}
	if r := post([]byte(`{"id": "evt_x"`), ev.Header.Get("Stripe-Signature")); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("a body that does not match its signature: %d", r.StatusCode)
	}
	// The sandbox's webhook is not there: only the configured provider's.
	if r := c.Raw(http.MethodPost, "/webhooks/sandbox", "{}"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("/webhooks/sandbox answered %d with Stripe configured", r.StatusCode)
	}
}

func TestStripeTestModeAndTestClock(t *testing.T) {
	srv, _ := startStripe(t, stripefake.SecretKey)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	if r := c.Get("/subscription"); !strings.Contains(r.Body, `data-testid="test-mode"`) {
		t.Fatal("no Test mode marker with an sk_test_ key")
	}
	m := srv.NewClient(t)
	m.Login("manager@example.com")
	if r := m.Get("/manage/test-clock"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Test clock") {
		t.Fatalf("test clock with a test key: %d", r.StatusCode)
	}

	live, _ := startStripe(t, "sk_live_12345678")
	lc := live.NewClient(t)
	lc.Login("bob@example.com")
	if r := lc.Get("/subscription"); strings.Contains(r.Body, `data-testid="test-mode"`) {
		t.Fatal("a Test mode marker with a live key")
	}
	lm := live.NewClient(t)
	lm.Login("manager@example.com")
	if r := lm.Get("/manage/test-clock"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the test clock page with a live key: %d", r.StatusCode)
	}
	r := lc.Raw(http.MethodPost, "/api/v1/test-clock/advance", `{"duration": "720h"}`, "Content-Type", "application/json")
	if r.StatusCode != http.StatusNotFound {
		t.Fatalf("the test clock API with a live key: %d", r.StatusCode)
	}
}

func TestStripeCardOnFileAndCardUpdate(t *testing.T) {
	srv, fake := startStripe(t, stripefake.SecretKey)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	r := c.Post("/subscription/change", url.Values{"plan": {"pro-monthly"}})
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, fake.URL+"/pay/") {
		t.Fatalf("change redirected to %s", loc)
	}
	if err := fake.Complete(loc[strings.LastIndex(loc, "/")+1:], stripefake.CardWorks); err != nil {
		t.Fatal(err)
	}
	page := c.Get("/subscription").Body
	for _, want := range []string{`data-testid="payment-method"`, "Visa ending 4242", "Expires 12/2030", "Use another card"} {
		if !strings.Contains(page, want) {
			t.Fatalf("subscription page lacks %q", want)
		}
	}
	r = c.Post("/billing/payment-method", nil)
	wantStatus(t, r, http.StatusSeeOther)
	setup := r.Header.Get("Location")
	if !strings.HasPrefix(setup, fake.URL+"/pay/") {
		t.Fatalf("card update redirected to %s", setup)
	}
	if err := fake.Complete(setup[strings.LastIndex(setup, "/")+1:], stripefake.CardNeeds3DS); err != nil {
		t.Fatal(err)
	}
	if page := c.Get("/subscription?notice=card_saved").Body; !strings.Contains(page, "Visa ending 3155") || !strings.Contains(page, "Your new card is saved") {
		t.Fatal("the new card is not shown after the update")
	}
	if hist := c.Get("/billing/history").Body; !strings.Contains(hist, "Card for renewals changed") || !strings.Contains(hist, "Visa ending 3155, expires 12/2030") {
		t.Fatal("billing history does not show the card change")
	}
	for _, s := range fake.Delivered {
		if s != http.StatusOK {
			t.Fatalf("the portal answered Stripe's events with %v", fake.Delivered)
		}
	}
}

func TestSandboxCardUpdate(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("carol@example.com") // overdue: her saved test card declines
	page := c.Get("/subscription").Body
	notice := page[strings.Index(page, `data-testid="subscription-notice"`):]
	if !strings.Contains(notice[:strings.Index(notice, "</section>")+1], "Use another card") {
		t.Fatal("the overdue notice does not offer another card")
	}
	r := c.Post("/billing/payment-method", nil)
	wantStatus(t, r, http.StatusSeeOther)
	setup, _ := url.Parse(r.Header.Get("Location"))
	if !strings.HasPrefix(setup.Path, "/sandbox/checkout/") {
		t.Fatalf("card update went to %s", setup)
	}
	if body := c.Get(setup.Path).Body; !strings.Contains(body, "Save a card for your renewals") {
		t.Fatal("no sandbox card page")
	}
	if r := c.Post(setup.Path+"/pay", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != setup.Path {
		t.Fatalf("a card page took a payment: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.Post(setup.Path+"/save", url.Values{"card": {"9"}}); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "Choose one of the test cards") {
		t.Fatalf("a made-up card: %d", r.StatusCode)
	}
	r = c.Post(setup.Path+"/save", url.Values{"card": {"0"}})
	wantStatus(t, r, http.StatusSeeOther)
	if !strings.HasSuffix(r.Header.Get("Location"), "/subscription?notice=card_saved") {
		t.Fatalf("after saving, sent to %s", r.Header.Get("Location"))
	}
	if page := c.Get("/subscription?notice=card_saved").Body; !strings.Contains(page, "Visa ending 4242") {
		t.Fatal("the saved card is not shown")
	}
	// Pay now charges nothing by itself; the retry uses the new card.
	r = c.Post("/subscription/overdue/pay", nil)
	wantStatus(t, r, http.StatusSeeOther)
	pay(t, c, r.Header.Get("Location")[len(srv.URL):], "pay")
	if page := c.Get("/subscription").Body; !strings.Contains(page, `data-status="active"`) {
		t.Fatal("carol is not active after paying")
	}
}

func TestCardUpdateIsTheCardholdersOwn(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	if r := impersonate(t, m, userID(t, srv, "carol@example.com"), "card help"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("impersonate: %d", r.StatusCode)
	}
	if page := m.Get("/subscription").Body; strings.Contains(page, "Use another card") {
		t.Fatal("a manager acting as the customer is offered to enter a card")
	}
	if r := m.Post("/billing/payment-method", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a manager acting as the customer opened the card page: %d", r.StatusCode)
	}
}
