package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
)

func managerClient(t *testing.T, srv *apptest.Server) *apptest.Client {
	t.Helper()
	m := srv.NewClient(t)
	m.Login("manager@example.com")
	return m
}

func impersonate(t *testing.T, m *apptest.Client, id int64, reason string) apptest.Response {
	t.Helper()
	return m.Post(fmt.Sprintf("/manage/customers/%d/impersonate", id), url.Values{"reason": {reason}})
}

func TestCustomersSeeNoManagerPages(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	alice := userID(t, srv, "alice@example.com")
	for _, path := range []string{"/manage/customers", "/manage/customers?q=a", fmt.Sprintf("/manage/customers/%d", alice), "/manage/audit"} {
		wantStatus(t, c.Get(path), http.StatusNotFound)
	}
	wantStatus(t, impersonate(t, c, alice, "curious"), http.StatusNotFound)
	wantStatus(t, c.Post("/manage/impersonation/stop", nil), http.StatusNotFound)
	wantRedirect(t, srv.NewClient(t).Get("/manage/customers"), "/login")
}

func TestCustomerSearch(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	all := m.Get("/manage/customers")
	wantStatus(t, all, http.StatusOK)
	wantBody(t, all, "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "1–4 of 4", "Cancelling")
	dave := m.Get(fmt.Sprintf("/manage/customers/%d", userID(t, srv, "dave@example.com")))
	wantBody(t, dave, "Your subscription ends on", "too expensive")
	if strings.Contains(dave.Body, `action="/subscription/resume"`) {
		t.Error("the manager's view of a customer offers the customer's own buttons")
	}
	byName := m.Get("/manage/customers?q=carol+chen")
	wantBody(t, byName, "carol@example.com", "1–1 of 1")
	if strings.Contains(byName.Body, "bob@example.com") {
		t.Error("search by name returned others")
	}
	wantBody(t, m.Get("/manage/customers?q=%25"), "No customers match") // LIKE wildcards are literal
	for i := 0; i < 25; i++ {
		if _, err := srv.App.Accounts.CreateUser(context.Background(), fmt.Sprintf("zed%02d@example.com", i), "", "password1", "customer"); err != nil {
			t.Fatal(err)
		}
	}
	first := m.Get("/manage/customers?q=zed")
	wantBody(t, first, "1–20 of 25", "page=2")
	wantBody(t, m.Get("/manage/customers?q=zed&page=2"), "21–25 of 25", "zed24@example.com")

	bob := m.Get(fmt.Sprintf("/manage/customers/%d", userID(t, srv, "bob@example.com")))
	wantBody(t, bob, "Pro", `data-testid="current-plan"`, "Invoices", "Audit trail", `name="reason"`)
	wantStatus(t, m.Get("/manage/customers/999999"), http.StatusNotFound)
	wantStatus(t, m.Get("/manage/customers/abc"), http.StatusNotFound)
	wantStatus(t, m.Get(fmt.Sprintf("/manage/customers/%d", userID(t, srv, "manager@example.com"))), http.StatusNotFound)
}

func TestImpersonationStartAndStop(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	u, _ := url.Parse(srv.URL)
	before := m.Jar.Cookies(u)
	bob := userID(t, srv, "bob@example.com")

	wantStatus(t, impersonate(t, m, bob, "  "), http.StatusBadRequest)
	wantRedirect(t, impersonate(t, m, bob, "Customer asked for help on a call"), "/subscription")

	page := m.Get("/subscription")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, `data-testid="impersonation-banner"`, "manager@example.com", "bob@example.com", "min left", "Stop acting as customer")
	wantBody(t, m.Get("/billing/history"), `data-testid="impersonation-banner"`)

	// The manager's cookie from before is dead.
	old := srv.NewClient(t)
	old.Jar.SetCookies(u, before)
	wantRedirect(t, old.Get("/manage/customers"), "/login")

	// No nesting, no manager pages while acting as a customer.
	wantStatus(t, impersonate(t, m, userID(t, srv, "alice@example.com"), "again"), http.StatusNotFound)
	wantStatus(t, m.Get("/manage/customers"), http.StatusNotFound)

	// A change made while impersonating is audited with both names.
	wantRedirect(t, m.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}}), "/subscription")
	during := m.Jar.Cookies(u)

	r := m.Post("/manage/impersonation/stop", nil)
	wantRedirect(t, r, fmt.Sprintf("/manage/customers/%d", bob))
	wantStatus(t, m.Get("/manage/customers"), http.StatusOK) // the manager is back
	if strings.Contains(m.Get("/manage/customers").Body, `data-testid="impersonation-banner"`) {
		t.Fatal("the banner outlived the impersonation")
	}
	stale := srv.NewClient(t)
	stale.Jar.SetCookies(u, during)
	wantRedirect(t, stale.Get("/subscription"), "/login")

	entries, _, err := srv.App.Billing.AuditLog(context.Background(), billing.AuditFilter{SubjectID: bob, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if e.Actor.Email != "manager@example.com" || e.Subject.Email != "bob@example.com" || !e.Impersonated {
			t.Errorf("audit %s: actor %s subject %s impersonated %v", e.Action, e.Actor.Email, e.Subject.Email, e.Impersonated)
		}
		if e.Reason != "Customer asked for help on a call" || e.Actor.RequestID == "" || e.Actor.IP == "" {
			t.Errorf("audit %s: reason %q request %q ip %q", e.Action, e.Reason, e.Actor.RequestID, e.Actor.IP)
		}
	}
	if got := strings.Join(actions, ","); got != "impersonation.stopped,change.scheduled,impersonation.started" {
		t.Fatalf("audit actions %s", got)
	}
	audit := m.Get("/manage/audit?action=impersonation")
	wantBody(t, audit, "impersonation.started", "impersonation.stopped", "acting as bob@example.com")
	wantStatus(t, m.Get("/manage/audit?subject=abc"), http.StatusBadRequest)
}

func TestManagersCannotBeImpersonatedNorDisabledAccounts(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	wantStatus(t, impersonate(t, m, userID(t, srv, "manager@example.com"), "x"), http.StatusNotFound)
	if err := srv.App.Store.Accounts().SetDisabled(context.Background(), userID(t, srv, "carol@example.com"), true); err != nil {
		t.Fatal(err)
	}
	r := impersonate(t, m, userID(t, srv, "carol@example.com"), "help")
	wantStatus(t, r, http.StatusForbidden)
	wantBody(t, r, "disabled")
}

func TestImpersonationEndsAfter30Minutes(t *testing.T) {
	wall := newWall()
	srv := apptest.Start(t, wall.configure)
	m := managerClient(t, srv)
	wantRedirect(t, impersonate(t, m, userID(t, srv, "bob@example.com"), "demo"), "/subscription")
	wall.Advance(29 * 60e9)
	wantStatus(t, m.Get("/subscription"), http.StatusOK)
	wall.Advance(2 * 60e9)
	wantRedirect(t, m.Get("/subscription"), "/login")
}

func TestPaymentNeededWhileImpersonatingGivesTheLink(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	wantRedirect(t, impersonate(t, m, userID(t, srv, "alice@example.com"), "Upgrade on request"), "/subscription")
	r := m.Post("/subscription/change", url.Values{"plan": {"pro-monthly"}})
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `data-testid="payment-link"`, "/sandbox/checkout/sbx_", "Copy link", "$29.00")

	// The customer pays; the invoice says the change came from the manager.
	alice := srv.NewClient(t)
	alice.Login("alice@example.com")
	cs := openCheckouts(t, srv, "alice@example.com")[0]
	u, _ := url.Parse(cs.PaymentURL)
	pay(t, alice, u.Path, "pay")
	wantBody(t, alice.Get("/billing/history"), "Changed by your account manager", "Your account manager started helping you")
}

func TestManagersSeeAppNotifications(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) {
		c.AppWebhookURL, c.AppWebhookSecret = "http://127.0.0.1:1/hooks", "app-webhook-secret-0123456789abcdef0123"
	})
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantRedirect(t, bob.Post("/subscription/cancel", url.Values{"reason": {"unused"}}), "/subscription")
	m := managerClient(t, srv)
	page := m.Get("/manage/notifications")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, "subscription.updated", "Waiting")
	wantStatus(t, bob.Get("/manage/notifications"), http.StatusNotFound)
}
