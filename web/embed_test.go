package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/static"
)

func TestEmbeddedSessions(t *testing.T) {
	const appOrigin = "http://localhost:9999"
	srv := startAPI(t, func(c *app.Config) { c.EmbedOrigins = []string{appOrigin, "https://other.example"} })
	server := newAPI(t, srv, serverKey)
	path := "/api/v1/portal/sessions"
	wantAPI(t, server.call(http.MethodPost, path, `{"email":"alice@example.com","embed":true}`), http.StatusBadRequest, "return_url")
	wantAPI(t, server.call(http.MethodPost, path, `{"email":"alice@example.com","embed":true,"return_url":"`+srv.URL+`/x"}`),
		http.StatusBadRequest, "EMBED_ORIGINS")
	wantAPI(t, server.call(http.MethodPost, path, `{"email":"alice@example.com","embed":true,"return_url":"`+appOrigin+`/","accent":"teal"}`),
		http.StatusBadRequest, "#rrggbb")
	r := server.call(http.MethodPost, path, `{"email":"alice@example.com","embed":true,"return_url":"`+appOrigin+`/billing","accent":"#0f766e"}`)
	wantAPI(t, r, http.StatusOK, "/portal/pl_")
	link, _ := url.Parse(decode(t, r)["url"].(string))

	c := srv.NewClient(t)
	in := c.Get(link.Path)
	wantRedirect(t, in, "/subscription")
	wantStatus(t, srv.NewClient(t).Get(link.Path), http.StatusGone) // single use
	cookie := in.Header.Get("Set-Cookie")
	for _, want := range []string{"portal_embed=", "SameSite=None", "Secure", "Partitioned", "HttpOnly"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("embedded session cookie %q lacks %s", cookie, want)
		}
	}
	page := c.Get("/subscription")
	wantStatus(t, page, http.StatusOK)
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors "+appOrigin+" https://other.example") {
		t.Errorf("embedded page CSP %q does not list exactly EMBED_ORIGINS", csp)
	}
	if page.Header.Get("X-Frame-Options") != "" {
		t.Error("embedded page still sends X-Frame-Options")
	}
	wantBody(t, page, `data-embed-origin="`+appOrigin+`"`, static.URL("embed.js"), `/embed/theme.css?accent=0f766e`)
	if strings.Contains(page.Body, "Sign out") {
		t.Error("the embedded page shows the site header")
	}
	// Paying from the frame hands over to the top level and returns to the app.
	handoff := c.Post("/subscription/change", url.Values{"plan": {"pro-monthly"}})
	wantStatus(t, handoff, http.StatusOK)
	wantBody(t, handoff, `data-checkout-url=`, `target="_top"`)
	cs := openCheckouts(t, srv, "alice@example.com")[0]
	sb, _ := url.Parse(cs.PaymentURL)
	back := c.Post(sb.Path+"/pay", nil)
	if loc := back.Header.Get("Location"); !strings.HasPrefix(loc, appOrigin+"/billing?checkout_session=") {
		t.Fatalf("checkout returned to %q, want the app's return_url", loc)
	}

	// Everything else still refuses to be framed.
	for _, p := range []string{"/login", "/healthz", static.URL("app.css")} {
		if csp := srv.NewClient(t).Get(p).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s CSP %q", p, csp)
		}
	}
	if csp := c.Get(sb.Path).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the payment page may be framed: %q", csp)
	}
	theme := c.Get("/embed/theme.css?accent=0f766e")
	wantBody(t, theme, "--accent:15 118 110")
	wantStatus(t, c.Get("/embed/theme.css?accent=red"), http.StatusBadRequest)
}
