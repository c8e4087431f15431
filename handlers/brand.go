package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/views"
)

// CatalogueView is the stored catalogue as managers see it.
type CatalogueView interface {
	Plans(ctx context.Context) ([]billing.Plan, error)
	PlanSubscribers(ctx context.Context) (map[string]int, error)
}

// brandView is the brand as the layout shows it.
func (h *Handlers) brandView() views.Brand {
	b := views.Brand{Name: h.Brand.Name, ThemeURL: "/theme.css", SupportEmail: h.Brand.SupportEmail, SellerName: h.Seller.Name}
	if b.Name == "" {
		b.Name = brand.Default.Name
	}
	if b.SellerName == "" {
		b.SellerName = b.Name
	}
	switch {
	case h.Logo != nil:
		b.LogoURL = "/brand/logo"
	case strings.HasPrefix(h.Brand.Logo, "https://") || strings.HasPrefix(h.Brand.Logo, "http://"):
		b.LogoURL = h.Brand.Logo
	}
	return b
}

// ThemeCSS is the stylesheet with the brand's accent and the text colours
// that keep it readable; a stylesheet because the CSP allows no inline styles.
func (h *Handlers) ThemeCSS(c *gin.Context) {
	theme := h.Theme
	if theme.OnAccent == (brand.RGB{}) { // no brand configured

		accent, _ := brand.ParseHex(brand.Default.Accent)
		theme = brand.NewTheme(accent)
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(theme.CSS()))
}

// BrandLogo serves the logo file named in the configuration.
func (h *Handlers) BrandLogo(c *gin.Context) {
	if h.Logo == nil {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, h.LogoType, h.Logo)
}
