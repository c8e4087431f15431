package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/db/dbtest"
	"github.com/billingportal/portal/static"
)

// auditActions lists the actions audited for a customer, newest first.
func auditActions(t *testing.T, srv *apptest.Server, email string) []billing.AuditEntry {
	t.Helper()
	rows, _, err := srv.App.Billing.AuditLog(context.Background(), billing.AuditFilter{SubjectID: userID(t, srv, email), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func countAction(rows []billing.AuditEntry, action string) int {
	n := 0
	for _, r := range rows {
		if r.Action == action {
			n++
		}
	}
	return n
}

// portalLink asks for a one-time link with the server key and returns its path.
func portalLink(t *testing.T, srv *apptest.Server, body string) string {
	t.Helper()
	r := newAPI(t, srv, serverKey).call(http.MethodPost, "/api/v1/portal/sessions", body)
	wantAPI(t, r, http.StatusOK, "/portal/pl_")
	u, _ := url.Parse(decode(t, r)["url"].(string))
	return u.Path
}

// Item 1: a bad link or a wrong password signs nobody out; an impersonation
// ended by a sign-in or a link is audited.
func TestFailedSignInsKeepTheCurrentSession(t *testing.T) {
	srv := startAPI(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	wantStatus(t, c.Get("/portal/pl_made-up-by-another-site"), http.StatusGone)
	wantStatus(t, c.Get("/subscription"), http.StatusOK)
	wantStatus(t, c.Post("/login", url.Values{"email": {"alice@example.com"}, "password": {"wrong-password"}}), http.StatusUnauthorized)
	wantBody(t, c.Get("/subscription"), "bob@example.com")

	// A good link does replace the session, and the old cookie is dead.
	u, _ := url.Parse(srv.URL)
	old := c.Jar.Cookies(u)
	wantRedirect(t, c.Get(portalLink(t, srv, `{"email":"alice@example.com"}`)), "/subscription")
	wantBody(t, c.Get("/subscription"), "alice@example.com")
	replay := srv.NewClient(t)
	replay.Jar.SetCookies(u, old)
	wantRedirect(t, replay.Get("/subscription"), "/login")

	// An impersonation ended by signing in, or by a link, is audited as a stop.
	for i, end := range []func(m *apptest.Client){
		func(m *apptest.Client) { m.Login("manager@example.com") },
		func(m *apptest.Client) { m.Get(portalLink(t, srv, `{"email":"dave@example.com"}`)) },
	} {
		m := managerClient(t, srv)
		wantRedirect(t, impersonate(t, m, userID(t, srv, "carol@example.com"), "on the phone"), "/subscription")
		end(m)
		if got := countAction(auditActions(t, srv, "carol@example.com"), "impersonation.stopped"); got != i+1 {
			t.Fatalf("case %d: %d impersonation.stopped rows, want %d", i, got, i+1)
		}
	}
}

// Item 3: no whitespace or control character survives in next.
func TestLoginNextRefusesControlCharacters(t *testing.T) {
	srv := apptest.Start(t)
	for _, next := range []string{"/\t/evil.example/", "/\n/evil.example/", "/ /evil.example/", "/\x00/evil.example", "/\u00a0/evil.example",
		"/\u2028/evil.example", "\t//evil.example", "/\\\tevil.example"} {
		c := srv.NewClient(t)
		r := c.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}, "next": {next}})
		if got := r.Header.Get("Location"); got != "/subscription" {
			t.Errorf("next=%q: redirected to %q, want /subscription", next, got)
		}
	}
	page := srv.NewClient(t).Get("/login?next=/%09/evil.example/")
	if strings.Contains(page.Body, "evil.example") {
		t.Error("the login form carries an unsafe next")
	}
}

// Item 4: a leftover embedded-session cookie does not undo a normal sign-in.
func TestLeftoverEmbedCookieDoesNotSignOut(t *testing.T) {
	wall := newWall()
	srv := startAPI(t, wall.configure, func(c *app.Config) { c.EmbedOrigins = []string{"http://localhost:9999"} })
	c := srv.NewClient(t)
	link := portalLink(t, srv, `{"email":"alice@example.com","embed":true,"return_url":"http://localhost:9999/b"}`)
	wantRedirect(t, c.Get(link), "/subscription")
	wall.Advance(31 * time.Minute) // the embedded session times out; its cookie stays
	c.Login("bob@example.com")
	for i := 0; i < 2; i++ {
		r := c.Get("/subscription")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "bob@example.com")
	}
	// And a live embedded cookie left at the top level is replaced by a sign-in.
	c2 := srv.NewClient(t)
	wantRedirect(t, c2.Get(portalLink(t, srv, `{"email":"alice@example.com","embed":true,"return_url":"http://localhost:9999/b"}`)), "/subscription")
	c2.Login("bob@example.com")
	wantBody(t, c2.Get("/subscription"), "bob@example.com")
}

// Item 5: an embedded session cannot mint API tokens; tokens' lives are audited.
func TestEmbeddedSessionCannotCreateAPITokens(t *testing.T) {
	srv := startAPI(t, func(c *app.Config) { c.EmbedOrigins = []string{"http://localhost:9999"} })
	c := srv.NewClient(t)
	wantRedirect(t, c.Get(portalLink(t, srv, `{"email":"alice@example.com","embed":true,"return_url":"http://localhost:9999/b"}`)), "/subscription")
	wantStatus(t, c.Get("/settings/api-tokens"), http.StatusForbidden)
	wantStatus(t, c.Post("/settings/api-tokens", url.Values{"name": {"forever"}}), http.StatusForbidden)
	if toks, _ := srv.App.Accounts.APITokens(context.Background(), userID(t, srv, "alice@example.com")); len(toks) != 0 {
		t.Fatalf("an embedded session created tokens: %v", toks)
	}

	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantStatus(t, bob.Post("/settings/api-tokens", url.Values{"name": {"deploy script"}}), http.StatusOK)
	toks, _ := srv.App.Accounts.APITokens(context.Background(), userID(t, srv, "bob@example.com"))
	wantRedirect(t, bob.Post(fmt.Sprintf("/settings/api-tokens/%d/revoke", toks[0].ID), nil), "/settings/api-tokens")
	rows := auditActions(t, srv, "bob@example.com")
	if countAction(rows, "api_token.created") != 1 || countAction(rows, "api_token.revoked") != 1 {
		t.Fatalf("token creation and revocation not audited: %+v", rows)
	}
	for _, r := range rows[:2] {
		if r.Actor.Email != "bob@example.com" || (r.After != "deploy script" && r.Before != "deploy script") {
			t.Errorf("audit row %+v should name bob and the token", r)
		}
	}
	wantBody(t, bob.Get("/billing/history"), "API token created", "API token revoked")
}

// Item 6: portal links need a plain address.
func TestPortalLinkEmailMustBeAPlainAddress(t *testing.T) {
	srv := startAPI(t)
	server := newAPI(t, srv, serverKey)
	for _, email := range []string{"Bob <bob@example.com>", "a@b", `"quoted local"@example.com`, "bob @example.com",
		"bob@-example.com", "bob@example..com", "@example.com", strings.Repeat("a", 250) + "@example.com", "bob@exa_mple.com"} {
		body, _ := json.Marshal(map[string]string{"email": email})
		wantAPI(t, server.call(http.MethodPost, "/api/v1/portal/sessions", string(body)), http.StatusBadRequest, "not an email address")
	}
	for _, email := range []string{"bob@example.com", "new.person+tag@mail.example.co.uk", "Mixed.Case@Example.com"} {
		body, _ := json.Marshal(map[string]string{"email": email})
		wantAPI(t, server.call(http.MethodPost, "/api/v1/portal/sessions", string(body)), http.StatusOK, "/portal/pl_")
	}
}

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Item 8: a cross-site refusal carries the security headers and is logged
// and counted; /static/ lists nothing; sandbox checkout ids stay out of logs.
func TestRefusalsAreLoggedAndHeadersHold(t *testing.T) {
	logs := &syncBuffer{}
	srv := startAPI(t, func(c *app.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	r := c.Do(http.MethodPost, "/subscription/change", url.Values{"plan": {"pro-annual"}}, "Sec-Fetch-Site", "cross-site")
	wantStatus(t, r, http.StatusForbidden)
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "X-Request-ID"} {
		if r.Header.Get(h) == "" {
			t.Errorf("the cross-site 403 lacks %s", h)
		}
	}
	if !strings.Contains(logs.String(), "request_id="+r.Header.Get("X-Request-ID")) || !strings.Contains(logs.String(), "status=403") {
		t.Errorf("the refusal is not in the request log:\n%s", logs.String())
	}
	metrics := c.Raw(http.MethodGet, "/metrics", "", "Authorization", "Bearer "+serverKey)
	wantBody(t, metrics, `portal_http_requests_total{method="POST",route="/subscription/change",status="403"} 1`)

	for _, p := range []string{"/static/", "/static", "/static/app.css", "/static/src/", "/static/..%2fgo.mod"} {
		r := c.Get(p)
		if r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusMovedPermanently {
			t.Errorf("GET %s = %d, want 404", p, r.StatusCode)
		}
		if strings.Contains(r.Body, `href="app.css"`) || strings.Contains(r.Body, "<pre>") {
			t.Errorf("GET %s lists files: %s", p, snippet(r.Body))
		}
	}

	payment := startCheckout(t, c, "pro-annual")
	wantStatus(t, c.Get(payment), http.StatusOK)
	back := pay(t, c, payment, "pay")
	wantBody(t, c.Get(back), "data-outcome=")
	id := strings.TrimPrefix(payment, "/sandbox/checkout/")
	if strings.Contains(logs.String(), id) {
		t.Errorf("the request log names the checkout id %s", id)
	}
}

// Item 9: bodies are bounded, and a large one is refused before it is read.
func TestLargeBodiesAreRefused(t *testing.T) {
	srv := apptest.Start(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Declares 50 MB and sends none of it: the answer must not wait for it.
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 52428800\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared 50 MB body: %d, want 413", resp.StatusCode)
	}

	c := srv.NewClient(t)
	big := url.Values{"email": {"bob@example.com"}, "password": {strings.Repeat("x", 70<<10)}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", io.MultiReader(strings.NewReader(big))) // no length: chunked
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	chunked, err := c.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	chunked.Body.Close()
	if chunked.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked 70 KiB body: %d, want 413", chunked.StatusCode)
	}
	api := srv.NewClient(t).Raw(http.MethodPost, "/api/v1/portal/sessions", `{"email":"`+strings.Repeat("a", 70<<10)+`"}`,
		"Content-Type", "application/json", "Authorization", "Bearer x")
	wantStatus(t, api, http.StatusRequestEntityTooLarge)
	wantBody(t, api, `"code":413`)
	c.Login("bob@example.com") // ordinary forms still work
}

// Item 21: text is compressed, static files are content-named and cached
// for a year, pages are never stored.
func TestAssetsAreCompressedAndCached(t *testing.T) {
	srv := startAPI(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	for _, p := range []string{"/subscription", "/login", static.URL("app.css"), static.URL("embed.js"), "/api/openapi.json"} {
		client := c
		if p == "/login" {
			client = srv.NewClient(t)
		}
		r := client.Raw(http.MethodGet, p, "", "Accept-Encoding", "gzip")
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: Content-Encoding %q, want gzip", p, r.Header.Get("Content-Encoding"))
			continue
		}
		zr, err := gzip.NewReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		plain, _ := io.ReadAll(zr)
		if len(plain) <= len(r.Body) {
			t.Errorf("%s: %d bytes compressed to %d", p, len(plain), len(r.Body))
		}
	}
	if r := c.Raw(http.MethodGet, "/api/v1/plans", "", "Accept-Encoding", "gzip", "Authorization", "Bearer "+serverKey); r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("API JSON not compressed: %v", r.Header)
	}
	if r := srv.NewClient(t).Raw(http.MethodGet, "/login", "", "Accept-Encoding", "identity"); r.Header.Get("Content-Encoding") != "" || !strings.Contains(r.Body, "<html") {
		t.Error("a client that does not accept gzip got it")
	}
	css := c.Get(static.URL("app.css"))
	if !regexp.MustCompile(`^/static/app\.[0-9a-f]{12}\.css$`).MatchString(static.URL("app.css")) {
		t.Errorf("stylesheet URL %s is not content-hashed", static.URL("app.css"))
	}
	if got := css.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("static Cache-Control %q", got)
	}
	if !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet Content-Type %q", css.Header.Get("Content-Type"))
	}
	page := c.Get("/subscription")
	wantBody(t, page, static.URL("app.css"))
	if page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("page Cache-Control %q, want no-store", page.Header.Get("Cache-Control"))
	}
}

// Item 10: very long search, filter and email input is a 400 with a message.
func TestLongInputIsRefusedWithAMessage(t *testing.T) {
	srv := startAPI(t)
	m := managerClient(t, srv)
	long := strings.Repeat("%_", 50000)
	for _, p := range []string{"/manage/customers?q=", "/manage/audit?action=", "/manage/audit?actor="} {
		r := m.Get(p + url.QueryEscape(long))
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "too long: use at most 100 characters")
	}
	wantStatus(t, m.Get("/manage/customers?q="+strings.Repeat("a", 100)), http.StatusOK)
	api := newAPI(t, srv, serverKey)
	wantAPI(t, api.call(http.MethodGet, "/api/v1/users?email="+strings.Repeat("a", 20000)+"@example.com", ""), http.StatusBadRequest, "not an email address")
	r := srv.NewClient(t).Post("/login", url.Values{"email": {strings.Repeat("a", 20000) + "@example.com"}, "password": {"demodemo"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantBody(t, r, "too long")
}

// Item 2: a manager's token acting for a customer needs X-Reason, is
// audited like an impersonation and shows in the customer's history.
func TestManagerTokenActingForACustomerNeedsAReason(t *testing.T) {
	srv := startAPI(t)
	manager := newAPI(t, srv, personalToken(t, srv, "manager@example.com"))
	alice := fmt.Sprint(userID(t, srv, "alice@example.com"))
	bobSub := fmt.Sprint(subscription(t, srv, "bob@example.com").ID)
	change := `{"subscriptionPlan":"free","userId":"` + alice + `"}`
	for _, r := range []apptest.Response{
		manager.call(http.MethodGet, "/api/v1/profile/subscriptions/current?userId="+alice, ""),
		manager.call(http.MethodPost, "/api/v1/profile/subscriptions/change", change),
		manager.call(http.MethodPut, "/api/v1/users/change-billing-plan", `{"billingPlan":"Annual","userId":"`+alice+`"}`),
		manager.call(http.MethodPost, "/api/v1/subscriptions/"+bobSub+"/change", `{"plan_change":{"plan":"starter-monthly"}}`),
		manager.call(http.MethodPost, "/api/v1/profile/subscriptions/change", change, "X-Reason", "   "),
		manager.call(http.MethodPost, "/api/v1/profile/subscriptions/change", change, "X-Reason", strings.Repeat("x", 501)),
	} {
		wantAPI(t, r, http.StatusBadRequest, "X-Reason")
	}
	if n := len(auditActions(t, srv, "bob@example.com")); n != 0 {
		t.Fatalf("refused calls left %d audit rows for bob", n)
	}
	wantAPI(t, manager.call(http.MethodGet, "/api/v1/profile/subscriptions/current?userId="+alice, "", "X-Reason", "ticket 42"), http.StatusOK, "")
	r := manager.call(http.MethodPost, "/api/v1/subscriptions/"+bobSub+"/change", `{"plan_change":{"plan":"starter-monthly"}}`,
		"X-Reason", "ticket 42: asked by phone to downgrade")
	wantAPI(t, r, http.StatusOK, "starter-monthly")
	rows := auditActions(t, srv, "bob@example.com")
	if len(rows) == 0 {
		t.Fatal("the change is not audited")
	}
	e := rows[0]
	if !e.Impersonated || e.Reason != "ticket 42: asked by phone to downgrade" || !strings.HasPrefix(e.Actor.Email, "manager@example.com") ||
		e.Subject.Email != "bob@example.com" {
		t.Fatalf("audit row %+v should name the manager, bob, the reason and impersonated", e)
	}
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantBody(t, bob.Get("/billing/history"), "Plan change scheduled", "Your account manager")

	// The server key is the app itself and needs no reason.
	wantAPI(t, newAPI(t, srv, serverKey).call(http.MethodGet, "/api/v1/profile/subscriptions/current?userId="+alice, ""), http.StatusOK, "")
}

// Item 7: failing on purpose cannot lock a customer out of where they sign
// in; client addresses come from forwarding headers only behind a trusted proxy.
func TestThrottleIsAPoorWeapon(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) {
		c.TrustedProxies, c.LoginSlowdown = []string{"127.0.0.1"}, 50*time.Millisecond
	})
	from := func(ip, email, password string) apptest.Response {
		return srv.NewClient(t).Do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", ip)
	}
	wantRedirect(t, from("203.0.113.5", "bob@example.com", "demodemo"), "/subscription") // bob's usual address
	for i := 0; i < 6; i++ {
		from("198.51.100.7", "bob@example.com", "guess-"+fmt.Sprint(i))
	}
	wantStatus(t, from("198.51.100.7", "bob@example.com", "demodemo"), http.StatusTooManyRequests)
	wantStatus(t, from("198.51.100.8", "bob@example.com", "demodemo"), http.StatusTooManyRequests)
	start := time.Now()
	wantRedirect(t, from("203.0.113.5", "bob@example.com", "demodemo"), "/subscription")
	if time.Since(start) < 50*time.Millisecond {
		t.Error("a locked account's known address is not slowed down")
	}
	// Twenty failures from a shared address do not lock out those who use it.
	wantRedirect(t, from("192.0.2.1", "alice@example.com", "demodemo"), "/subscription")
	for i := 0; i < 21; i++ {
		from("192.0.2.1", fmt.Sprintf("nobody%d@example.com", i), "wrong-password")
	}
	wantRedirect(t, from("192.0.2.1", "alice@example.com", "demodemo"), "/subscription")
	wantStatus(t, from("192.0.2.1", "carol@example.com", "demodemo"), http.StatusTooManyRequests)
	wantRedirect(t, from("192.0.2.2", "carol@example.com", "demodemo"), "/subscription")

	// Without a trusted proxy the header is ignored: every attempt is the peer's.
	plain := apptest.Start(t)
	for i := 0; i < 21; i++ {
		plain.NewClient(t).Do(http.MethodPost, "/login", url.Values{"email": {fmt.Sprintf("n%d@example.com", i)}, "password": {"x-wrong-x"}},
			"X-Forwarded-For", fmt.Sprintf("10.1.1.%d", i))
	}
	r := plain.NewClient(t).Do(http.MethodPost, "/login", url.Values{"email": {"dave@example.com"}, "password": {"demodemo"}}, "X-Forwarded-For", "10.9.9.9")
	wantStatus(t, r, http.StatusTooManyRequests)
}

// Item 12: /healthz says 503 when the database stops taking writes. Another
// process holding SQLite's write lock (on PostgreSQL, a lock on the probe's
// table) makes every write fail, as a full disk does, while reads go on.
func TestHealthzReportsAnUnwritableDatabase(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	wantBody(t, c.Get("/healthz"), `"database":"writable"`)
	driver, dsn, lock := "sqlite", "file:"+srv.App.Config.DBPath+"?_pragma=busy_timeout(0)", []string{"BEGIN IMMEDIATE"}
	if dbtest.Postgres() {
		driver, dsn, lock = "pgx", srv.App.Config.DatabaseURL, []string{"BEGIN", "LOCK TABLE health_probe IN ACCESS EXCLUSIVE MODE"}
	}
	other, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range lock {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the last good answer is reused for a second
	r := c.Get("/healthz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	wantBody(t, r, `"database":"read-only"`)
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	wantStatus(t, c.Get("/healthz"), http.StatusOK)
}

// Item 13: a customer who cancelled is told that changing plan withdraws
// the cancellation, and "Cancelling" is the word everywhere.
func TestChangingPlanAfterCancellingSaysItWithdrawsIt(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("dave@example.com") // Pro Annual, cancelling
	end := subscription(t, srv, "dave@example.com").PeriodEnd.Format("2 January 2006")
	wantBody(t, c.Get("/subscription"), `data-status="cancelling"`, ">Cancelling<")
	wantBody(t, managerClient(t, srv).Get("/manage/customers?q=dave"), "Cancelling")

	down := c.Get("/subscription/change?plan=pro-monthly")
	wantBody(t, down, `data-testid="withdraws-cancellation"`, "This withdraws your cancellation",
		"you keep it until "+end+", then Pro Monthly starts and renews as usual")
	up := c.Get("/subscription/change?plan=business-annual")
	wantBody(t, up, "This withdraws your cancellation", "Business Annual starts today and renews as usual on")
	if strings.Contains(c.Get("/subscription/change?plan=free").Body, "withdraws your cancellation") {
		t.Error("moving to Free does not bring renewals back")
	}
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"pro-monthly"}}), "/subscription")
	if sub := subscription(t, srv, "dave@example.com"); sub.CancelAtPeriodEnd {
		t.Fatal("the cancellation was not withdrawn")
	}
	wantBody(t, c.Get("/subscription"), `data-status="active"`)

	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	if strings.Contains(bob.Get("/subscription/change?plan=business-monthly").Body, "withdraws your cancellation") {
		t.Error("a customer who never cancelled is told about a cancellation")
	}
}

var headingTag = regexp.MustCompile(`<h([1-6])[\s>]`)

// wantHeadingOrder fails when a heading skips a level (axe's heading-order).
func wantHeadingOrder(t *testing.T, what, body string) {
	t.Helper()
	prev := 0
	for _, m := range headingTag.FindAllStringSubmatch(body, -1) {
		level := int(m[1][0] - '0')
		if level > prev+1 {
			t.Errorf("%s: <h%d> follows <h%d>", what, level, prev)
		}
		prev = level
	}
	if prev == 0 {
		t.Errorf("%s has no headings", what)
	}
}

// Item 20: no heading skips a level on the subscription and customer pages,
// in the normal and the embedded layout.
func TestHeadingsDoNotSkipLevels(t *testing.T) {
	srv := startAPI(t, func(c *app.Config) { c.EmbedOrigins = []string{"http://localhost:9999"} })
	for _, email := range []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"} {
		c := srv.NewClient(t)
		c.Login(email)
		for _, p := range []string{"/subscription", "/billing/history", "/subscription/change?plan=business-annual"} {
			wantHeadingOrder(t, email+" "+p, c.Get(p).Body)
		}
		m := managerClient(t, srv)
		wantHeadingOrder(t, "manager's view of "+email, m.Get(fmt.Sprintf("/manage/customers/%d", userID(t, srv, email))).Body)
		e := srv.NewClient(t)
		e.Get(portalLink(t, srv, `{"email":"`+email+`","embed":true,"return_url":"http://localhost:9999/b"}`))
		for _, p := range []string{"/subscription", "/billing/history"} {
			wantHeadingOrder(t, "embedded "+email+" "+p, e.Get(p).Body)
		}
	}
}

// Item 17: activity lines name the plan, the date and the amount.
func TestActivityNamesPlanDateAndAmount(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	end := subscription(t, srv, "bob@example.com").PeriodEnd.Format("2 January 2006")
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}}), "/subscription")
	wantRedirect(t, c.Post("/subscription/scheduled-change/cancel", nil), "/subscription")
	wantRedirect(t, c.Post("/subscription/cancel", url.Values{"reason": {"too_expensive"}}), "/subscription")
	wantRedirect(t, c.Post("/subscription/resume", nil), "/subscription")
	alice := srv.NewClient(t)
	alice.Login("alice@example.com")
	wantBody(t, alice.Get(pay(t, alice, startCheckout(t, alice, "pro-monthly"), "pay")), `data-outcome="paid"`)

	details := regexp.MustCompile(`data-testid="activity-detail">([^<]*)<`)
	got := map[string]bool{}
	for _, b := range []string{c.Get("/billing/history").Body, alice.Get("/billing/history").Body} {
		for _, m := range details.FindAllStringSubmatch(b, -1) {
			got[html.UnescapeString(m[1])] = true
		}
	}
	for _, want := range []string{
		"Starter Monthly · $9.00 / month · from " + end, // Plan change scheduled
		"staying on Pro Monthly",                        // Scheduled change undone
		"Pro Monthly · ends on " + end,                  // Cancellation requested
		"Pro Monthly · renews on " + end,                // Cancellation withdrawn
		"from Free to Pro Monthly · $29.00 / month",     // Plan changed
	} {
		if !got[want] {
			t.Errorf("no activity line says %q; lines: %v", want, got)
		}
	}
}

// Item 19: managers read the audit log in words and dates, give the test
// clock "30 days", and reach their API tokens from the navigation.
func TestManagersReadableAuditAndTools(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}}), "/subscription")
	m := managerClient(t, srv)
	wantRedirect(t, impersonate(t, m, userID(t, srv, "carol@example.com"), "checking her invoice"), "/subscription")
	wantRedirect(t, m.Post("/manage/impersonation/stop", nil), fmt.Sprintf("/manage/customers/%d", userID(t, srv, "carol@example.com")))
	audit := m.Get("/manage/audit")
	wantBody(t, audit, "Plan change scheduled", "Impersonation started", "Impersonation stopped", "Starter Monthly (starter-monthly) from ")
	if iso := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\b\d{4}-\d\d-\d\d\b`).FindString(audit.Body); iso != "" {
		t.Errorf("the audit log shows a machine date %q", iso)
	}
	wantBody(t, audit, `href="/settings/api-tokens"`)

	for input, want := range map[string]string{"30 days": "720h0m0s", "2 weeks": "336h0m0s", "1 day": "24h0m0s", "720h": "720h0m0s", "36h30m": "36h30m0s"} {
		r := m.Post("/manage/test-clock", url.Values{"duration": {input}})
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "moved forward "+want)
	}
	for _, bad := range []string{"30 fortnights", "-3 days", "0 days", "days", "99999 days"} {
		wantStatus(t, m.Post("/manage/test-clock", url.Values{"duration": {bad}}), http.StatusBadRequest)
	}
}

// rgb reads "r g b" channels as the theme stylesheet writes them.
func rgb(t *testing.T, channels string) brand.RGB {
	t.Helper()
	var r, g, b uint8
	if _, err := fmt.Sscanf(channels, "%d %d %d", &r, &g, &b); err != nil {
		t.Fatalf("colour %q: %v", channels, err)
	}
	return brand.RGB{R: r, G: g, B: b}
}

// Item 18: the embedded frame has its own navigation to the billing
// history, uses the app's accent everywhere, and a pale accent is darkened
// until text on it is readable.
func TestEmbeddedFrameNavigationAndAccent(t *testing.T) {
	srv := startAPI(t, func(c *app.Config) { c.EmbedOrigins = []string{"http://localhost:9999"} })
	c := srv.NewClient(t)
	c.Get(portalLink(t, srv, `{"email":"bob@example.com","embed":true,"return_url":"http://localhost:9999/b","accent":"#facc15"}`))
	for _, p := range []string{"/subscription", "/billing/history", "/subscription/change?plan=starter-monthly", "/subscription/cancel"} {
		r := c.Get(p)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `data-testid="embed-nav"`, `href="/billing/history"`, `/embed/theme.css?accent=facc15`)
		if strings.Contains(r.Body, "indigo") {
			t.Errorf("embedded %s still uses the portal's own indigo", p)
		}
		if strings.Contains(r.Body, "Sign out") || strings.Contains(r.Body, "API tokens") {
			t.Errorf("embedded %s links outside the frame's pages", p)
		}
	}
	// An app's pale accent stays the app's colour on buttons, with text
	// dark enough to read on it; links use it darkened until readable on
	// white. A readable accent is kept as given.
	vars := regexp.MustCompile(`--accent:(\d+ \d+ \d+);--on-accent:(\d+ \d+ \d+);--link:(\d+ \d+ \d+)`)
	for hex, want := range map[string]string{"facc15": "", "ffffff": "", "0f766e": "15 118 110", "4f46e5": "79 70 229"} {
		m := vars.FindStringSubmatch(c.Get("/embed/theme.css?accent=" + hex).Body)
		if m == nil {
			t.Fatalf("theme for %s has no accent, text and link colours", hex)
		}
		accent, onAccent, link := rgb(t, m[1]), rgb(t, m[2]), rgb(t, m[3])
		if ratio := brand.Contrast(accent, onAccent); ratio < 4.5 {
			t.Errorf("accent #%s: text on it at %.2f:1, want at least 4.5:1", hex, ratio)
		}
		if ratio := brand.Contrast(link, brand.White); ratio < 4.5 {
			t.Errorf("accent #%s: links at %.2f:1 on white, want at least 4.5:1", hex, ratio)
		}
		if want != "" && (m[1] != want || m[3] != want) {
			t.Errorf("accent #%s, readable already, was changed to %s / %s", hex, m[1], m[3])
		}
	}
}
