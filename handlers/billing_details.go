package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// BillingDetailsPage shows the customer's billing details form.
func (h *Handlers) BillingDetailsPage(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		d, err := h.Billing.BillingDetails(c.Request.Context(), customer(c).ID)
		if err != nil {
			return err
		}
		var flash *views.Flash
		if c.Query("notice") == "saved" {
			flash = &views.Flash{Kind: "success", Message: "Billing details saved. Invoices from now on show them."}
		}
		h.renderDetails(c, http.StatusOK, d, nil, flash)
		return nil
	})(c)
}

func (h *Handlers) renderDetails(c *gin.Context, status int, d billing.BillingDetails, errs map[string]string, flash *views.Flash) {
	p := views.DetailsPage{Page: h.basePage(c, "Billing details"), Errors: errs, Values: views.DetailsForm{Name: d.Name,
		Company: d.Company, Line1: d.Line1, Line2: d.Line2, PostalCode: d.PostalCode, City: d.City, Country: d.Country, TaxID: d.TaxID}}
	p.Nav, p.Flash = "details", flash
	if !d.UpdatedAt.IsZero() {
		p.Updated = day(d.UpdatedAt)
	}
	p.Countries = make([]views.Option, len(billing.Countries))
	for i, ct := range billing.Countries {
		p.Countries[i] = views.Option{Value: ct.Code, Label: ct.Name, Selected: ct.Code == d.Country}
	}
	h.render(c, status, views.Details(p))
}

// SaveBillingDetails validates and stores the details; every problem is
// shown next to its field and nothing typed is lost.
func (h *Handlers) SaveBillingDetails(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		typed := billing.BillingDetails{Name: c.PostForm("name"), Company: c.PostForm("company"), Line1: c.PostForm("line1"),
			Line2: c.PostForm("line2"), PostalCode: c.PostForm("postal_code"), City: c.PostForm("city"),
			Country: c.PostForm("country"), TaxID: c.PostForm("tax_id")}
		_, err := h.Billing.SaveBillingDetails(c.Request.Context(), actor(c), customer(c), typed)
		var verr *billing.ValidationError
		if errors.As(err, &verr) {
			errs := map[string]string{}
			for _, p := range verr.Problems {
				errs[p.Field] = p.Message
			}
			h.renderDetails(c, http.StatusBadRequest, typed, errs, nil)
			return nil
		}
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/billing/details?notice=saved")
		return nil
	})(c)
}

// EmailPrefsPage shows which optional mails the customer gets.
func (h *Handlers) EmailPrefsPage(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		prefs, err := h.Billing.MailPreferences(c.Request.Context(), customer(c).ID)
		if err != nil {
			return err
		}
		p := views.EmailPrefsPage{Page: h.basePage(c, "Email settings"), Settings: h.settingsTabs(c, "/settings/emails"),
			RenewalReminders: prefs.RenewalReminders, ChangeConfirmations: prefs.ChangeConfirmations}
		p.Nav = "settings"
		if c.Query("notice") == "saved" {
			p.Flash = &views.Flash{Kind: "success", Message: "Email settings saved."}
		}
		h.render(c, http.StatusOK, views.EmailPrefs(p))
		return nil
	})(c)
}

// SaveEmailPrefs stores the customer's choices; an unticked box is absent
// from the form, so absence means off.
func (h *Handlers) SaveEmailPrefs(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		prefs := billing.MailPreferences{RenewalReminders: c.PostForm("renewal_reminders") == "on",
			ChangeConfirmations: c.PostForm("change_confirmations") == "on"}
		if err := h.Billing.SetMailPreferences(c.Request.Context(), actor(c), customer(c), prefs); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/settings/emails?notice=saved")
		return nil
	})(c)
}
