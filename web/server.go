// Package web is the HTTP server: the Gin engine, every route in routes.go,
// and the middleware for logging, sessions, CSRF and security headers.
package web

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/handlers"
)

// Deps are what the server needs beyond the handlers' own dependencies.
type Deps struct {
	Handlers       handlers.Deps
	Accounts       *account.Service
	SessionSecret  string
	SessionMaxAge  time.Duration
	CheckoutOrigin string   // origin of the provider's payment pages; "" when they are served by the portal
	EmbedOrigins   []string // who may frame embedded sessions
	ProviderPages  *ProviderPages
	TrustedProxies []string // reverse proxies whose forwarding headers name the client
	Log            *slog.Logger
}

// ProviderPages are a payment provider's hosted pages when the portal
// serves them itself, as it does the sandbox's.
type ProviderPages struct {
	Prefix  string // e.g. "/sandbox/"
	Handler http.Handler
}

// NewServer builds the portal's HTTP handler.
func NewServer(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// The client address is the peer's, unless the peer is a configured
	// proxy; then X-Forwarded-For / X-Real-IP name the client. app validates
	// the list, so an error here cannot happen.
	_ = r.SetTrustedProxies(d.TrustedProxies)
	cookies := newSessionCookies(d.SessionSecret, d.SessionMaxAge)
	formAction := "'self'"
	if d.CheckoutOrigin != "" {
		formAction += " " + d.CheckoutOrigin
	}
	frameAncestors := "'none'"
	if len(d.EmbedOrigins) > 0 {
		frameAncestors = strings.Join(d.EmbedOrigins, " ")
	}
	embedCSP := contentSecurityPolicy(formAction, frameAncestors)
	// A hosted payment form redirects to the checkout's return URL, which
	// for embedded sessions is on the app's origin; browsers apply
	// form-action to that redirect.
	providerCSP := contentSecurityPolicy(strings.TrimSpace(formAction+" "+strings.Join(d.EmbedOrigins, " ")), "'none'")
	d.Handlers.Cookies, d.Handlers.Log, d.Handlers.EmbedCSP, d.Handlers.ProviderCSP = cookies, d.Log, embedCSP, providerCSP
	h := handlers.New(d.Handlers)

	m := newMetrics()
	// Every state-changing request from a browser must come from this site
	// (crossOrigin); bodies are bounded before anything reads them.
	r.Use(requestLog(d.Log), m.observe, gin.CustomRecovery(func(c *gin.Context, err any) {
		d.Log.Error("panic", "err", err, "request_id", handlers.RequestID(c))
		c.AbortWithStatus(http.StatusInternalServerError)
	}), securityHeaders(contentSecurityPolicy(formAction, "'none'")), crossOrigin(http.NewCrossOriginProtection()), limitBody)
	r.GET("/static/:name", serveStatic)
	routes(r, h, cookies, d, embedCSP, providerCSP)
	// Metrics are for the operator's scraper, which sends the server key.
	r.GET("/metrics", h.APIAuth, h.RequireServerKey, m.handler())
	return compress(r)
}
