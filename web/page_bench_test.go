package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/billingportal/portal/apptest"
)

// BenchmarkSubscriptionRequest serves a signed-in GET /subscription through
// the whole handler chain, in process: middleware, session, queries, render.
func BenchmarkSubscriptionRequest(b *testing.B) {
	srv := apptest.Start(b)
	c := srv.NewClient(b)
	c.Login("bob@example.com")
	u, _ := url.Parse(srv.URL)
	req := httptest.NewRequest(http.MethodGet, "/subscription", nil)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.App.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}
