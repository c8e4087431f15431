package handlers

import (
	"fmt"
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
		pay, paid, err := h.Billing.CheckoutPayment(c.Request.Context(), cs.ID)
		if err != nil {
			return err
		}
		switch {
		case paid && cs.Status != billing.CheckoutCompleted:
			// The money arrived but could no longer buy the change: the
			// ledger made it account credit, and the customer is told so.
			p.Outcome, p.Heading = "paid", "Payment received as account credit"
			p.Message = fmt.Sprintf("We received %s, but %s, so your plan did not change. The full amount is now account credit, "+
				"used first by your next payments.", pay.Amount, pay.Reason)
		}
		switch {
		case p.Outcome != "":
		case cs.Status == billing.CheckoutCompleted:
			p.Outcome, p.Heading = "paid", "Payment received"
			p.Message = "Thank you. You are now on " + plan.Name() + "."
			if cs.Purpose == billing.ForOverdue {
				p.Message = "Thank you. Your overdue payment is settled and " + plan.Name() + " continues."
			}
		case cs.Status == billing.CheckoutFailed:
			p.Outcome, p.Heading = "declined", "Payment declined"
			p.Message = "Your payment did not go through and nothing was charged. Your plan has not changed."
		case cs.Status == billing.CheckoutExpired:
			// Closed here only after the provider confirmed it can no longer take payment.
			p.Outcome, p.Heading = "expired", "Checkout expired"
			p.Message = "This checkout is no longer valid and nothing was charged. Your plan has not changed; start the change again to pay."
		case cs.ExpiredAt(h.Billing.Now()):
			p.Outcome, p.Heading = "expired", "Checkout expired"
			p.Message = "This checkout has run out of time. If you paid before it did, your payment is applied as soon as " +
				"the payment provider confirms it; otherwise nothing was charged and your plan has not changed."
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
