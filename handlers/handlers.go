// Package handlers binds and validates requests, calls the domain services
// and picks a page or JSON answer. It holds no business rules and no SQL.
package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/views"
)

// SessionCookies reads and writes the browser's session cookie, which holds
// only the token of a server-side session.
type SessionCookies interface {
	Token(c *gin.Context) string
	Set(c *gin.Context, token string) error
	SetEmbed(c *gin.Context, token string) error
	Clear(c *gin.Context) error
}

// Deps are what the handlers need.
type Deps struct {
	Billing      *billing.Service
	Accounts     *account.Service
	Cookies      SessionCookies
	Ping         func(ctx context.Context) error
	Writable     Check         // whether the database takes writes
	Wall         account.Clock // real time, for webhook signature freshness
	TestClock    TestClock     // nil unless the provider is the sandbox
	APIKey       string        // the server-to-server key; "" disables it
	BaseURL      string        // scheme://host[:port] browsers use to reach the portal
	EmbedOrigins []string      // origins allowed to frame the portal and to receive customers back
	Idempotency  IdempotencyStore
	Outbox       Outbox // nil without app notifications
	EmbedCSP     string // the Content-Security-Policy of pages in an app's frame
	ProviderCSP  string // hosted payment pages', whose forms may return to an app
	Log          *slog.Logger
	InvoicePDFs  InvoiceRenderer
	Mail         MailOutbox // mail to customers, listed for managers
	MailSending  bool       // SMTP_URL is set, so the outbox is being delivered
	MailWake     func()     // asks the mail worker to look at the outbox now; nil when it does not run
	// Lifetime ends when the portal begins to stop; nil means never.
	Lifetime context.Context

	// The operator's configuration file.
	Brand     brand.Brand   // name, accent and logo on every page
	Seller    brand.Seller  // who sells, for invoices and mail
	Theme     brand.Theme   // the accent and readable colours around it
	Logo      []byte        // the logo when brand.logo is a file; nil for a URL or none
	LogoType  string        // its content type
	Catalogue CatalogueView // the stored catalogue with subscriber counts, for managers
}

// Check is a health check: nil when all is well.
type Check func(ctx context.Context) error

// Handlers serves the portal's pages and endpoints.
type Handlers struct{ Deps }

// New returns the handlers.
func New(d Deps) *Handlers {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Handlers{Deps: d}
}

// pageFunc is a page handler that returns an error instead of writing one.
type pageFunc func(c *gin.Context) error

// page turns a pageFunc's error into an error page with the right status.
func (h *Handlers) page(fn pageFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			status, msg := h.classify(c, err)
			h.render(c, status, views.ErrorView(views.ErrorPage{
				Page: h.basePage(c, errorHeading(status)), Status: status, Heading: errorHeading(status), Message: msg,
				BackURL: home(c),
			}))
		}
	}
}

// classify maps an error to its status and message (see problemOf); only
// server faults are logged, and their detail is never shown.
func (h *Handlers) classify(c *gin.Context, err error) (int, string) {
	p := problemOf(err)
	if p.status >= 500 {
		h.Log.Error("request failed", "err", err, "path", c.Request.URL.Path, "request_id", RequestID(c))
	}
	return p.status, p.message
}

func errorHeading(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "That didn't work"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusConflict:
		return "Already in progress"
	case http.StatusBadGateway:
		return "Payment provider unavailable"
	}
	return "Something went wrong"
}

// pageBuffers hold pages while they render: templ writes many small
// strings, and one write of the whole page is cheaper than hundreds to the
// response, and lets a failed render answer 500 instead of half a page.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a templ component as an HTML page.
func (h *Handlers) render(c *gin.Context, status int, comp templ.Component) {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer pageBuffers.Put(buf)
	buf.Reset()
	if err := comp.Render(c.Request.Context(), buf); err != nil {
		h.Log.Error("render", "err", err, "request_id", RequestID(c))
		c.String(http.StatusInternalServerError, "Something went wrong on our side.")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// basePage fills the layout's fields for the signed-in user, if any.
func (h *Handlers) basePage(c *gin.Context, title string) views.Page {
	p := views.Page{Title: title, Brand: h.brandView(), TestMode: h.Billing.TestMode()}
	id, ok := Identity(c)
	if !ok {
		return p
	}
	u := id.User
	p.User = &views.User{Email: u.Email, Manager: u.Role == account.Manager}
	if id.Embed {
		p.Embed = &views.Embed{ParentOrigin: originOf(id.ReturnURL)}
		if id.Accent != "" {
			p.Embed.ThemeURL = "/embed/theme.css?accent=" + strings.TrimPrefix(id.Accent, "#")
		}
	}
	if m := id.Impersonator; m != nil {
		left := max(id.EndsAt.Sub(h.Wall.Now()), 0)
		p.Impersonation = &views.Impersonation{Manager: m.Email, Customer: u.Email,
			EndsAt: id.EndsAt.Format("15:04 UTC"), MinutesLeft: int(left.Minutes())}
	}
	return p
}

// apiError is the JSON error shape of every endpoint.
type apiError struct {
	Code    int      `json:"code"`
	Message string   `json:"message"`
	Details []detail `json:"details"`
}

type detail struct {
	Type    string `json:"@type"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// jsonError writes {code, message, details}.
func jsonError(c *gin.Context, status int, msg string, details ...detail) {
	if details == nil {
		details = []detail{}
	}
	c.AbortWithStatusJSON(status, apiError{Code: status, Message: msg, Details: details})
}

// NotFound answers unknown paths.
func (h *Handlers) NotFound(c *gin.Context) {
	h.page(func(*gin.Context) error { return billing.ErrNotFound })(c)
}

// NotACustomer answers customer pages for account managers.
func (h *Handlers) NotACustomer(c *gin.Context) {
	h.page(func(*gin.Context) error { return billing.ErrForbidden })(c)
}

// home is where a signed-in user starts: customers at their subscription,
// account managers at their tools.
func home(c *gin.Context) string {
	if u, ok := CurrentUser(c); ok && u.Role == account.Manager {
		return "/manage/customers"
	}
	return "/subscription"
}

// Home sends a signed-in user to their start page.
func (h *Handlers) Home(c *gin.Context) { c.Redirect(http.StatusSeeOther, home(c)) }
