package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/webhooksig"
)

func wantStatus(t *testing.T, r apptest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, snippet(r.Body))
	}
}

func wantRedirect(t *testing.T, r apptest.Response, path string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if got := apptest.Path(r); got != path {
		t.Fatalf("%s %s redirects to %s, want %s", r.Request.Method, r.Request.URL.Path, r.Header.Get("Location"), path)
	}
}

func snippet(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

func TestSignedOutRequestsGoToLogin(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	for _, path := range []string{"/subscription", "/subscription?interval=year", "/subscription/change?plan=pro-annual",
		"/checkout/return?session_id=cs_x", "/billing/history"} {
		r := c.Get(path)
		wantRedirect(t, r, "/login")
		if next := r.Header.Get("Location"); !strings.Contains(next, "next="+url.QueryEscape(path)) {
			t.Errorf("%s: login redirect %q does not remember the page", path, next)
		}
	}
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"pro-annual"}}), "/login")
	login := c.Get("/login")
	wantStatus(t, login, http.StatusOK)
	for _, want := range []string{`<label for="email"`, `<label for="password"`, `type="submit"`} {
		if !strings.Contains(login.Body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
}

func TestLoginRedirectsOnlyWithinTheSite(t *testing.T) {
	srv := apptest.Start(t)
	for next, want := range map[string]string{"/billing/history": "/billing/history", "//evil.example/x": "/subscription", "": "/subscription",
		"https://evil.example": "/subscription", "/\\evil.example": "/subscription"} {
		c := srv.NewClient(t)
		r := c.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}, "next": {next}})
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestSubscriptionPage(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	r := c.Get("/subscription")
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`data-testid="current-plan"`, "Pro", "Monthly", `data-status="active"`, "$29.00", "Renews on"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("subscription page lacks %q", want)
		}
	}
	year := c.Get("/subscription?interval=year")
	if !strings.Contains(year.Body, `data-plan="business-annual"`) || strings.Contains(year.Body, `data-plan="business-monthly"`) {
		t.Error("?interval=year should list annual plans only")
	}
	bad := c.Get("/subscription?interval=week")
	wantStatus(t, bad, http.StatusBadRequest)
	if !strings.Contains(bad.Body, "is not a billing interval") {
		t.Error("a bad interval should say so on the page")
	}
}

func TestDemoStatesAreShown(t *testing.T) {
	srv := apptest.Start(t)
	for email, want := range map[string][]string{
		"carol@example.com": {`data-status="overdue"`, `data-testid="subscription-notice"`, "Your last payment failed"},
		"dave@example.com":  {`data-status="cancelling"`, ">Cancelling<", `data-testid="subscription-notice"`, "Your subscription ends on", "too expensive", "Resume subscription"},
		"alice@example.com": {"Free", "Never: the free plan has no charges"},
	} {
		c := srv.NewClient(t)
		c.Login(email)
		body := c.Get("/subscription").Body
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", email, w)
			}
		}
	}
}

func TestLogoutEndsTheSessionForGood(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	u, _ := url.Parse(srv.URL)
	stolen := c.Jar.Cookies(u)
	if len(stolen) != 1 {
		t.Fatalf("cookies after login: %v", stolen)
	}
	wantRedirect(t, c.Post("/logout", nil), "/login")

	replay := srv.NewClient(t)
	replay.Jar.SetCookies(u, stolen)
	wantRedirect(t, replay.Get("/subscription"), "/login")
}

func TestLoginIssuesANewSession(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	u, _ := url.Parse(srv.URL)
	first := c.Jar.Cookies(u)
	c.Login("alice@example.com")
	old := srv.NewClient(t)
	old.Jar.SetCookies(u, first)
	wantRedirect(t, old.Get("/subscription"), "/login")
}

func TestSessionCookieAttributes(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	r := c.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}})
	sc := r.Header.Get("Set-Cookie")
	for _, want := range []string{"portal_session=", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
}

// wall is a real-time clock tests can move forward.
type wall struct{ *clock.Offset }

func newWall() wall { return wall{clock.NewOffset(clock.System{})} }

func (w wall) configure(c *app.Config) { c.Wall = w }

// Advance moves real time forward (an in-memory offset never fails).
func (w wall) Advance(d time.Duration) { _ = w.Offset.Advance(context.Background(), d) }

func TestSessionTimeouts(t *testing.T) {
	wall := newWall()
	srv := apptest.Start(t, wall.configure)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	wall.Advance(29 * time.Minute)
	wantStatus(t, c.Get("/subscription"), http.StatusOK)
	wall.Advance(31 * time.Minute) // idle for 31 minutes
	wantRedirect(t, c.Get("/subscription"), "/login")

	c.Login("bob@example.com")
	for i := 0; i < 25; i++ { // active every 29 minutes, but past the 12-hour absolute limit
		wall.Advance(29 * time.Minute)
		if r := c.Get("/subscription"); r.StatusCode != http.StatusOK {
			if i < 24 {
				t.Fatalf("session ended after %d active minutes", (i+1)*29)
			}
			return
		}
	}
	t.Fatal("session outlived its 12-hour absolute timeout")
}

func TestLoginThrottling(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	wrong := url.Values{"email": {"bob@example.com"}, "password": {"nope-nope"}}
	var first string
	for i := 0; i < 5; i++ {
		r := c.Post("/login", wrong)
		wantStatus(t, r, http.StatusUnauthorized)
		first = r.Body
	}
	r := c.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if !strings.Contains(r.Body, "Too many failed sign-in attempts") || r.Header.Get("Retry-After") == "" {
		t.Errorf("throttled login should say so and set Retry-After")
	}
	// An unknown account gets the same words as a wrong password.
	unknown := srv.NewClient(t).Post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"whatever1"}})
	wantStatus(t, unknown, http.StatusUnauthorized)
	if msg(first) != msg(unknown.Body) {
		t.Errorf("unknown account message %q differs from wrong password %q", msg(unknown.Body), msg(first))
	}
	// Another account from the same address is still allowed, until the address limit.
	srv.NewClient(t).Login("alice@example.com")
}

var loginError = regexp.MustCompile(`data-testid="login-error"[^>]*>([^<]*)<`)

func msg(body string) string {
	m := loginError.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestCrossSitePostIsRefused(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		r := c.Do(http.MethodPost, "/subscription/change", url.Values{"plan": {"pro-annual"}}, h...)
		wantStatus(t, r, http.StatusForbidden)
	}
	r := c.Do(http.MethodPost, "/logout", nil, "Sec-Fetch-Site", "cross-site")
	wantStatus(t, r, http.StatusForbidden)
	wantStatus(t, c.Get("/subscription"), http.StatusOK) // still signed in
	if open := openCheckouts(t, srv, "alice@example.com"); len(open) != 0 {
		t.Fatalf("a refused POST opened checkouts: %v", open)
	}
}

func TestNoGetChangesState(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	wantStatus(t, c.Get("/subscription/change?plan=pro-annual"), http.StatusOK)
	if open := openCheckouts(t, srv, "alice@example.com"); len(open) != 0 {
		t.Fatalf("the preview opened a checkout: %v", open)
	}
	wantStatus(t, c.Get("/logout"), http.StatusNotFound)
	wantStatus(t, c.Get("/subscription"), http.StatusOK)
	wantStatus(t, c.Get("/webhooks/sandbox"), http.StatusNotFound)

	// The sandbox's pay endpoint only pays on POST.
	pay := startCheckout(t, c, "pro-annual")
	wantStatus(t, c.Get(pay+"/pay"), http.StatusMethodNotAllowed)
	if got := subscription(t, srv, "alice@example.com").Plan.ID; got != "free" {
		t.Fatalf("plan = %s after GETs, want free", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv := apptest.Start(t)
	r := srv.NewClient(t).Get("/login")
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("missing X-Frame-Options or X-Content-Type-Options: %v", r.Header)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, "http://") && strings.Contains(r.Body, "cdn") {
		t.Error("pages must have no inline script and no CDN links")
	}
}

func TestHealthz(t *testing.T) {
	srv := apptest.Start(t)
	r := srv.NewClient(t).Get("/healthz")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `"ok"`) || !strings.Contains(r.Body, `"database":"writable"`) {
		t.Fatalf("healthz body %s", r.Body)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	srv := apptest.Start(t)
	wantStatus(t, srv.NewClient(t).Get("/no/such/page"), http.StatusNotFound)
}

func TestManagerHasNoSubscriptionPage(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	r := c.Post("/login", url.Values{"email": {"manager@example.com"}, "password": {"demodemo"}})
	wantRedirect(t, r, "/manage/customers")
	wantStatus(t, c.Get("/subscription"), http.StatusForbidden)
}

// subscription reads a demo customer's subscription straight from the service.
func subscription(t *testing.T, srv *apptest.Server, email string) billing.Subscription {
	t.Helper()
	s, err := srv.App.Billing.Subscription(context.Background(), userID(t, srv, email))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func userID(t *testing.T, srv *apptest.Server, email string) int64 {
	t.Helper()
	u, err := srv.App.Store.Accounts().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func openCheckouts(t *testing.T, srv *apptest.Server, email string) []billing.CheckoutSession {
	t.Helper()
	open, err := srv.App.Store.OpenCheckoutSessions(context.Background(), userID(t, srv, email))
	if err != nil {
		t.Fatal(err)
	}
	return open
}

func invoices(t *testing.T, srv *apptest.Server, email string) []billing.Invoice {
	t.Helper()
	invs, err := srv.App.Billing.Invoices(context.Background(), userID(t, srv, email))
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

// startCheckout confirms a change and returns the payment page's path.
func startCheckout(t *testing.T, c *apptest.Client, plan string) string {
	t.Helper()
	r := c.Post("/subscription/change", url.Values{"plan": {plan}})
	wantStatus(t, r, http.StatusSeeOther)
	p := apptest.Path(r)
	if !strings.HasPrefix(p, "/sandbox/checkout/sbx_") {
		t.Fatalf("change redirected to %s, want a sandbox payment page", r.Header.Get("Location"))
	}
	return p
}

func signedWebhook(t *testing.T, srv *apptest.Server, body string, at time.Time) string {
	t.Helper()
	secret, err := srv.App.WebhookSecret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return webhooksig.Sign([]byte(secret), at, []byte(body))
}

func TestMetricsNeedTheServerKey(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) { c.APIKey = serverKey })
	c := srv.NewClient(t)
	c.Get("/healthz")
	wantStatus(t, c.Get("/metrics"), http.StatusUnauthorized)
	r := c.Raw(http.MethodGet, "/metrics", "", "Authorization", "Bearer "+serverKey)
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`portal_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		"portal_http_request_duration_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
