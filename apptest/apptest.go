// Package apptest starts the real portal on a loopback port for tests, with
// a fresh demo database, and gives tests a browser-like HTTP client.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
)

// Server is a running portal.
type Server struct {
	URL string
	App *app.App
}

// Start runs the portal with the demo data on a free port until the test ends.
// modify may change the configuration first (e.g. to inject a clock).
func Start(t testing.TB, modify ...func(*app.Config)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := app.Config{BaseURL: base, Demo: true, Logger: logger(), PasswordCost: bcrypt.MinCost, Portal: configtest.Example(t)}
	UseTestDatabase(t, &cfg)
	for _, m := range modify {
		m(&cfg)
	}
	return serve(t, ln, cfg)
}

// Another runs a second portal on a free port on s's database, as a
// second process behind a load balancer would.
func (s *Server) Another(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.App.Config
	cfg.BaseURL = "http://" + ln.Addr().String()
	return serve(t, ln, cfg)
}

func serve(t testing.TB, ln net.Listener, cfg app.Config) *Server {
	t.Helper()
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = a.Close()
	})
	return &Server{URL: cfg.BaseURL, App: a}
}

// UseTestDatabase points cfg at a fresh database for t: SQLite, or
// PostgreSQL when dbtest.PostgresEnv names a server.
func UseTestDatabase(t testing.TB, cfg *app.Config) {
	t.Helper()
	target := dbtest.Target(t)
	if db.IsPostgresURL(target) {
		cfg.DatabaseURL = target
	} else {
		cfg.DBPath = target
	}
}

// logger is silent unless PORTAL_TEST_LOG is set, so failures stay readable.
func logger() *slog.Logger {
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Client is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each 303.
type Client struct {
	*http.Client
	t    testing.TB
	base string
}

// NewClient returns a fresh client for s.
func (s *Server) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: s.URL, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body string
}

// Do sends a form (or nothing, when form is nil); header pairs are name, value.
func (c *Client) Do(method, path string, form url.Values, header ...string) Response {
	c.t.Helper()
	if form == nil {
		return c.Raw(method, path, "", header...)
	}
	return c.Raw(method, path, form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
}

// Raw sends body as it is; header pairs are name, value.
func (c *Client) Raw(method, path, body string, header ...string) Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return Response{Response: resp, Body: string(b)}
}

// Get fetches path.
func (c *Client) Get(path string) Response { c.t.Helper(); return c.Do(http.MethodGet, path, nil) }

// Post posts a form to path, as a same-origin browser form would.
func (c *Client) Post(path string, form url.Values) Response {
	c.t.Helper()
	return c.Do(http.MethodPost, path, form, "Origin", c.base, "Sec-Fetch-Site", "same-origin")
}

// Login signs in with the demo password and fails the test otherwise.
func (c *Client) Login(email string) {
	c.t.Helper()
	r := c.Post("/login", url.Values{"email": {email}, "password": {"demodemo"}})
	if r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/login") {
		c.t.Fatalf("login %s: %d %s", email, r.StatusCode, r.Header.Get("Location"))
	}
}

// Path returns the path part of a redirect's Location.
func Path(r Response) string {
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		return ""
	}
	return u.Path
}
