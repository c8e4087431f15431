package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
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
			h.render(c, http.StatusGone, views.ErrorView(views.ErrorPage{Page: views.Page{Title: "Link expired"}, Status: http.StatusGone,
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
	r, g, b, ok := parseHexColour("#" + hex)
	if !ok {
		c.String(http.StatusBadRequest, "/* accent must be six hex digits */")
		return
	}
	r, g, b = readableAccent(r, g, b)
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(fmt.Sprintf(":root{--accent:%d %d %d}\n", r, g, b)))
}

// minAccentContrast is what the accent must reach against white: the
// accent fills buttons under white text and colours links on white and on
// its own pale tint, so it keeps WCAG's 4.5:1 with a margin for the tint.
const minAccentContrast = 5.0

// readableAccent darkens an app's accent colour, keeping its hue, until
// white text on it (and it on white) reaches minAccentContrast. A pale
// brand colour such as #facc15 (1.5:1) would otherwise make every button
// unreadable.
func readableAccent(r, g, b uint8) (uint8, uint8, uint8) {
	for step := 0; step < 100 && contrastWithWhite(r, g, b) < minAccentContrast; step++ {
		r, g, b = uint8(float64(r)*0.95), uint8(float64(g)*0.95), uint8(float64(b)*0.95)
	}
	return r, g, b
}

// contrastWithWhite is the WCAG contrast ratio of a colour against white.
func contrastWithWhite(r, g, b uint8) float64 {
	return 1.05 / (relativeLuminance(r, g, b) + 0.05)
}

// relativeLuminance follows WCAG 2's definition for sRGB.
func relativeLuminance(r, g, b uint8) float64 {
	lin := func(v uint8) float64 {
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
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
