package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// PaymentMethodUpdate is POST /billing/payment-method: it sends the
// customer to the provider's page for saving a new card (303). The card
// changes only when the provider's verified event says it was saved.
func (h *Handlers) PaymentMethodUpdate(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		if !canEditCard(c) {
			return billing.ErrForbidden
		}
		url, err := h.Billing.StartCardUpdate(c.Request.Context(), actor(c), customer(c))
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, url)
		return nil
	})(c)
}

// canEditCard: a card is entered by its holder at the top level, so not by
// a manager acting as the customer, nor inside an app's frame (the
// provider's page does not open in frames).
func canEditCard(c *gin.Context) bool {
	id, ok := Identity(c)
	return ok && !id.Embed && !Impersonating(c)
}

// cardOnFile describes the saved card for the subscription page: shown
// when there is one, or when the plan renews (so the customer can add one).
func (h *Handlers) cardOnFile(c *gin.Context, sub billing.Subscription) (*views.CardOnFile, error) {
	pm, ok, err := h.Billing.PaymentMethod(c.Request.Context(), sub.UserID)
	if err != nil || (!ok && !sub.Renews()) {
		return nil, err
	}
	card := &views.CardOnFile{CanEdit: canEditCard(c)}
	if ok {
		card.Label = fmt.Sprintf("%s ending %s", brandName(pm.Brand), pm.Last4)
		card.Expiry = fmt.Sprintf("Expires %02d/%d", pm.ExpMonth, pm.ExpYear)
		// A card is good through the last day of its expiry month.
		if pm.ExpYear > 0 && !time.Date(pm.ExpYear, time.Month(pm.ExpMonth)+1, 1, 0, 0, 0, 0, time.UTC).After(h.Billing.Now()) {
			card.Expired, card.Expiry = true, fmt.Sprintf("Expired %02d/%d", pm.ExpMonth, pm.ExpYear)
		}
	}
	return card, nil
}

// brandName writes a card network as customers know it.
func brandName(brand string) string {
	switch strings.ToLower(brand) {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex":
		return "American Express"
	case "discover":
		return "Discover"
	case "diners":
		return "Diners Club"
	case "jcb":
		return "JCB"
	case "unionpay":
		return "UnionPay"
	case "", "unknown":
		return "Card"
	}
	return strings.ToUpper(brand[:1]) + brand[1:]
}
