package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/views"
)

// PortalLink spends a one-time portal link: it signs the customer in and
// redirects, so the token leaves the address bar and the history. The
// browser's current session ends only when the link is good: a dead or
// made-up link, followed from another site, signs nobody out.
func (h *Handlers) PortalLink(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		token, link, err := h.Accounts.UsePortalLink(c.Request.Context(), c.Param("token"))
		if errors.Is(err, account.ErrNoSession) {
			h.render(c, http.StatusGone, views.ErrorView(views.ErrorPage{Page: h.basePage(c, "Link expired"), Status: http.StatusGone,
				Heading: "This link has expired", BackURL: "/login",
				Message: "Portal links work once and for five minutes. Go back to the app and open the billing portal again."}))
			return nil
		}
		if err != nil {
			return err
		}
		h.endPreviousSession(c)
		set := h.Cookies.Set
		if link.Embed {
			set = h.Cookies.SetEmbed
			c.Header("Content-Security-Policy", h.EmbedCSP)
			c.Writer.Header().Del("X-Frame-Options")
		}
		if err := set(c, token); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/subscription")
		return nil
	})(c)
}

// EmbedTheme is a stylesheet setting the embedding app's accent colour;
// a stylesheet because the CSP allows no inline styles.
func (h *Handlers) EmbedTheme(c *gin.Context) {
	hex := c.Query("accent")
	accent, ok := brand.ParseHex(hex)
	if !ok || strings.HasPrefix(hex, "#") {
		c.String(http.StatusBadRequest, "/* accent must be six hex digits */")
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(brand.NewTheme(accent).CSS()))
}

// parseHexColour reads "#rrggbb".
func parseHexColour(s string) (r, g, b uint8, ok bool) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), true
}
