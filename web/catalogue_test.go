package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config/configtest"
)

// startKumo runs the portal on the Kumo catalogue (yen; weekly, fortnightly
// and quarterly plans; limits named projects and seats), without the demo,
// with one customer and one manager.
func startKumo(t *testing.T) *apptest.Server {
	t.Helper()
	srv := apptest.Start(t, func(c *app.Config) {
		c.Demo, c.APIKey, c.Portal = false, serverKey, configtest.Load(t, configtest.Kumo)
	})
	ctx := context.Background()
	for email, role := range map[string]account.Role{"kei@example.com": account.Customer, "mina@example.com": account.Manager} {
		if _, err := srv.App.Accounts.CreateUser(ctx, email, "", "demodemo", role); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// TestJourneyOnAnotherCatalogue runs a customer's whole journey on a
// catalogue that shares nothing with the demo: the pages read the brand,
// the yen prices, the intervals and the limit names from the file.
func TestJourneyOnAnotherCatalogue(t *testing.T) {
	srv := startKumo(t)
	c := srv.NewClient(t)
	c.Login("kei@example.com")

	page := c.Get("/subscription")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, "<title>Your subscription · Kumo Studio</title>", `data-testid="brand-name">Kumo Studio<`,
		`href="/theme.css"`, "Kumo Studio KK", "help@kumo.test",
		"Projects", "Custom domain", // the product's own limit and flag names
		`data-plan="studio-weekly"`, "¥700", "/ week", // no Monthly here: the first interval on sale is Weekly
		">Weekly<", ">Every 2 weeks<", ">Quarterly<")
	if strings.Contains(page.Body, "Billing portal") || strings.Contains(page.Body, ">Monthly<") || strings.Contains(page.Body, "$") {
		t.Error("the page still shows the demo's brand, intervals or dollars")
	}
	quarterly := c.Get("/subscription?interval=month-3")
	wantBody(t, quarterly, `data-plan="studio-quarterly"`, `data-plan="agency-quarterly"`, "¥7,500", "every 3 months", "¥19,000")
	if strings.Contains(quarterly.Body, `data-plan="studio-weekly"`) {
		t.Error("the quarterly tab lists a weekly plan")
	}
	wantStatus(t, c.Get("/subscription?interval=year"), http.StatusBadRequest) // the file sells no annual plan

	theme := c.Get("/theme.css")
	wantBody(t, theme, "--accent:250 204 21", "--on-accent:2 6 23") // yellow takes dark text

	preview := c.Get("/subscription/change?plan=studio-quarterly")
	wantBody(t, preview, "Studio Quarterly", "¥7,500")
	pay(t, c, startCheckout(t, c, "studio-quarterly"), "pay")
	sub := subscription(t, srv, "kei@example.com")
	if sub.Plan.ID != "studio-quarterly" || sub.Status != billing.Active {
		t.Fatalf("after paying: %s %s", sub.Plan.ID, sub.Status)
	}
	now := c.Get("/subscription")
	wantBody(t, now, "Quarterly", "Seats", ">3<", ">20<")

	// A quarter later the renewal charges ¥7,500 again.
	r := c.Raw(http.MethodPost, "/api/v1/test-clock/advance", `{"duration":"2232h"}`, "Authorization", "Bearer "+serverKey, "Content-Type", "application/json")
	wantStatus(t, r, http.StatusOK)
	invs := invoices(t, srv, "kei@example.com")
	if len(invs) != 2 || invs[0].Amount != (billing.Money{Amount: 7500, Currency: "JPY"}) {
		t.Fatalf("invoices after a quarter: %+v", invs)
	}
	wantBody(t, c.Get("/billing/history"), "¥7,500")

	// The API gives every plan its entitlements; the APPExperts fields follow them.
	api := newAPI(t, srv, serverKey)
	plans := api.call(http.MethodGet, "/api/v1/plans", "")
	wantStatus(t, plans, http.StatusOK)
	wantBody(t, plans, `"interval_count":3`, `"recurring_type":"week"`, `"limits":{"projects":-1,"seats":25}`, `"flags":{"custom_domain":true}`,
		`"max_allowed_apps":0`, `"currency":"JPY"`)

	// The manager sees the catalogue with prices and subscriber counts.
	m := srv.NewClient(t)
	m.Login("mina@example.com")
	cat := m.Get("/manage/catalogue")
	wantStatus(t, cat, http.StatusOK)
	wantBody(t, cat, `data-product="agency"`, "¥19,000", "Every 3 months", "Every 2 weeks")
	row := regexp.MustCompile(`data-plan="studio-quarterly"[\s\S]*?data-testid="catalogue-subscribers">(\d+)<`).FindStringSubmatch(cat.Body)
	if row == nil || row[1] != "1" {
		t.Errorf("studio-quarterly subscribers: %v", row)
	}
	wantStatus(t, c.Get("/manage/catalogue"), http.StatusNotFound) // customers get 404, like every manager page
}

// TestPolicyFromTheFileShapesThePage: with cancelling and downgrades
// switched off, the page offers neither, and says why.
func TestPolicyFromTheFileShapesThePage(t *testing.T) {
	yaml := configtest.Kumo + "policy:\n  allow: {cancel: false, downgrade: false}\n"
	srv := apptest.Start(t, func(c *app.Config) { c.Demo, c.Portal = false, configtest.Load(t, yaml) })
	if _, err := srv.App.Accounts.CreateUser(context.Background(), "kei@example.com", "", "demodemo", account.Customer); err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient(t)
	c.Login("kei@example.com")
	pay(t, c, startCheckout(t, c, "agency-2weeks"), "pay")
	page := c.Get("/subscription?interval=week")
	wantBody(t, page, "Moving to a smaller plan is not offered", "Moving to the free plan is not offered")
	if strings.Contains(page.Body, `href="/subscription/cancel"`) || strings.Contains(page.Body, "Downgrade to Studio") {
		t.Error("the page offers what the policy switched off")
	}
	r := c.Post("/subscription/change", url.Values{"plan": {"studio-weekly"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantStatus(t, c.Post("/subscription/cancel", url.Values{"reason": {"too_expensive"}}), http.StatusConflict)
}
