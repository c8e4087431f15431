package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/handlers"
)

// requestLog gives every request an id and logs one line for it. It logs
// the path without the query string and never headers, so no cookie,
// password or token reaches the log.
func requestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		handlers.SetRequestID(c, id)
		c.Header("X-Request-ID", id)
		c.Next()
		log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id), slog.String("method", c.Request.Method),
			slog.String("path", logPath(c)), slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)), slog.String("ip", c.ClientIP()))
	}
}

// logPath hides secrets carried in paths: one-time links, and the
// sandbox's checkout ids, which open a payment page for whoever holds them.
// Those routes are logged by their pattern.
func logPath(c *gin.Context) string {
	if p := c.FullPath(); strings.Contains(p, ":token") || strings.HasPrefix(p, "/sandbox/") {
		return p
	}
	return c.Request.URL.Path
}

// contentSecurityPolicy allows no inline script or style; formAction lists
// where forms may post and redirect (the portal and the checkout
// provider), frameAncestors who may frame the page.
func contentSecurityPolicy(formAction, frameAncestors string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; object-src 'none'; form-action " + formAction + "; frame-ancestors " + frameAncestors
}

// securityHeaders sets the CSP and forbids framing; framePolicy relaxes
// framing for embedded sessions only.
func securityHeaders(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(c.Request.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// loadUser resolves the session cookie to a user, if any. A cookie that
// names no live session is cleared, and the next cookie is tried: a
// leftover embedded-session cookie must not hide a fresh sign-in.
func loadUser(accounts *account.Service, cookies *sessionCookies, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, ct := range cookies.tokens(c) {
			id, err := accounts.Authenticate(c.Request.Context(), ct.token)
			if err == nil {
				handlers.SetIdentity(c, id)
				c.Set(liveTokenKey, ct.token)
				break
			}
			if err != account.ErrNoSession {
				log.Error("authenticate", "err", err, "request_id", handlers.RequestID(c))
				break
			}
			_ = cookies.clear(c, ct.name)
		}
		c.Next()
	}
}

// requireUser sends signed-out browsers to the login page, remembering
// where they were going.
func requireUser(c *gin.Context) {
	if _, ok := handlers.CurrentUser(c); ok {
		c.Next()
		return
	}
	target := "/login"
	if c.Request.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

// guard lets a request through when allowed says so, and answers with deny otherwise.
func guard(allowed func(*gin.Context) bool, deny gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !allowed(c) {
			deny(c)
			c.Abort()
			return
		}
		c.Next()
	}
}

func hasRole(r account.Role) func(*gin.Context) bool {
	return func(c *gin.Context) bool {
		u, _ := handlers.CurrentUser(c)
		return u.Role == r
	}
}

// requireCustomer keeps customer pages for customers: account managers
// have no subscription of their own.
func requireCustomer(h *handlers.Handlers) gin.HandlerFunc {
	return guard(hasRole(account.Customer), h.NotACustomer)
}

// requireManager hides manager pages from everyone else: they answer 404,
// as if the pages did not exist.
func requireManager(h *handlers.Handlers) gin.HandlerFunc {
	return guard(hasRole(account.Manager), h.NotFound)
}

// ownSessionOnly keeps credentials (password, sessions, API tokens) for a
// user's own full session: not for a manager acting as a customer, and
// not for an embedded session, which a five-minute portal link opened and
// which must not mint a credential that outlives it.
func ownSessionOnly(h *handlers.Handlers) gin.HandlerFunc {
	return guard(func(c *gin.Context) bool {
		id, _ := handlers.Identity(c)
		return id.Impersonator == nil && !id.Embed
	}, h.NotACustomer)
}

// framePolicy lets exactly the EMBED_ORIGINS frame the pages of an embedded
// session; every other response keeps frame-ancestors 'none'.
func framePolicy(embedCSP string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if id, ok := handlers.Identity(c); ok && id.Embed {
			c.Header("Content-Security-Policy", embedCSP)
			c.Writer.Header().Del("X-Frame-Options")
		}
		c.Next()
	}
}

// hostedPagePolicy gives a provider's hosted page its own CSP: its form
// may send the browser back to an app's origin.
func hostedPagePolicy(csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", csp)
		c.Next()
	}
}
