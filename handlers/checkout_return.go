package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// CheckoutReturn is where the provider sends the browser back. It proves
// nothing by itself: it shows what the verified webhook has recorded, and
// reloads until the webhook has arrived.
func (h *Handlers) CheckoutReturn(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		id := c.Query("session_id")
		if id == "" {
			return billing.Invalid("session_id", "The link is missing its checkout session id.")
		}
		cs, err := h.Billing.CheckoutForCustomer(c.Request.Context(), customer(c).ID, id)
		if err != nil {
			return err
		}
		plan, err := h.Billing.Plan(c.Request.Context(), cs.PlanID)
		if err != nil {
			return err
		}
		p := views.ReturnPage{Page: h.basePage(c, "Payment"), Amount: cs.Amount.String(), Plan: plan.Name()}
		switch cs.Status {
		case billing.CheckoutCompleted:
			p.Outcome, p.Heading = "paid", "Payment received"
			p.Message = "Thank you. You are now on " + plan.Name() + "."
			if cs.Purpose == billing.ForOverdue {
				p.Message = "Thank you. Your overdue payment is settled and " + plan.Name() + " continues."
			}
		case billing.CheckoutFailed:
			p.Outcome, p.Heading = "declined", "Payment declined"
			p.Message = "Your payment did not go through and nothing was charged. Your plan has not changed."
		case billing.CheckoutExpired:
			p.Outcome, p.Heading = "expired", "Checkout expired"
			p.Message = "This checkout is no longer valid and nothing was charged. Your plan has not changed; start the change again to pay."
		default:
			p.Outcome, p.Heading = "processing", "Confirming your payment…"
			p.Message = "We are waiting for the payment provider to confirm. This page refreshes by itself."
			p.RefreshSeconds = 2
		}
		p.Title = p.Heading
		h.render(c, http.StatusOK, views.CheckoutReturn(p))
		return nil
	})(c)
}
