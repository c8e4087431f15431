package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// Waiting for the provider's webhook on the return page: it usually lands
// before the browser does, or within a second; after returnWait the page
// says so and offers to check again, instead of reloading for ever.
const (
	returnWait = 3 * time.Second
	returnPoll = 200 * time.Millisecond
)

// CheckoutReturn is where the provider sends the browser back. It proves
// nothing by itself: it shows what the verified webhook has recorded,
// waiting briefly for it when it has not arrived yet.
func (h *Handlers) CheckoutReturn(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		id := c.Query("session_id")
		if id == "" {
			return billing.Invalid("session_id", "The link is missing its checkout session id.")
		}
		cs, err := h.awaitCheckout(c.Request.Context(), customer(c).ID, id)
		if err != nil {
			return err
		}
		plan, err := h.Billing.Plan(c.Request.Context(), cs.PlanID)
		if err != nil {
			return err
		}
		pay, paid, err := h.Billing.CheckoutPayment(c.Request.Context(), cs.ID)
		if err != nil {
			return err
		}
		p := views.ReturnPage{Page: h.basePage(c, "Payment"), Amount: cs.Amount.String(), Plan: plan.Name()}
		h.describeReturn(c, &p, cs, plan)
		if paid && cs.Status != billing.CheckoutCompleted {
			// The money arrived but could no longer buy the change: the
			// ledger made it account credit, and the customer is told so.
			p.Outcome, p.Heading = "paid", "Payment received as account credit"
			p.Message = fmt.Sprintf("We received %s, but %s, so your plan did not change. The full amount is now account credit, "+
				"used first by your next payments.", pay.Amount, pay.Reason)
			p.Actions = []views.Action{{Label: "Go to your subscription", Href: "/subscription", Primary: true}}
		}
		p.Title = p.Heading
		h.render(c, http.StatusOK, views.CheckoutReturn(p))
		return nil
	})(c)
}

// awaitCheckout reads the checkout until it is no longer open, for at most
// returnWait (less if the browser goes away).
func (h *Handlers) awaitCheckout(ctx context.Context, userID int64, id string) (billing.CheckoutSession, error) {
	ctx, cancel := context.WithTimeout(ctx, returnWait)
	defer cancel()
	for {
		cs, err := h.Billing.CheckoutForCustomer(context.WithoutCancel(ctx), userID, id)
		if err != nil || cs.Status != billing.CheckoutOpen {
			return cs, err
		}
		select {
		case <-ctx.Done():
			return cs, nil
		case <-time.After(returnPoll):
		}
	}
}

// describeReturn says how the payment ended and what the customer can do next.
func (h *Handlers) describeReturn(c *gin.Context, p *views.ReturnPage, cs billing.CheckoutSession, plan billing.Plan) {
	home := views.Action{Label: "Go to your subscription", Href: "/subscription"}
	retry := views.Action{Label: "Try again", Href: "/subscription/change?plan=" + url.QueryEscape(plan.ID), Primary: true}
	if cs.Purpose == billing.ForOverdue {
		retry = views.Action{Label: "Try again", PostURL: "/subscription/overdue/pay", Primary: true}
	}
	switch {
	case cs.Status == billing.CheckoutCompleted:
		p.Outcome, p.Heading = "paid", "Payment received"
		p.Message = "Thank you. You are now on " + plan.Name() + "."
		if cs.Purpose == billing.ForOverdue {
			p.Message = "Thank you. Your overdue payment is settled and " + plan.Name() + " continues."
		}
		home.Primary = true
		p.Actions = []views.Action{home}
	case cs.Status == billing.CheckoutFailed:
		p.Outcome, p.Heading = "declined", "Payment declined"
		p.Message = "Your payment did not go through and nothing was charged. Your plan has not changed. " +
			"You can try again; if your bank keeps declining, it can tell you why."
		p.Actions = []views.Action{retry}
		if canEditCard(c) {
			p.Actions = append(p.Actions, views.Action{Label: "Use another card", PostURL: "/billing/payment-method"})
		}
		p.Actions = append(p.Actions, home)
	case cs.Status == billing.CheckoutExpired:
		// Closed here only after the provider confirmed it can no longer take payment.
		p.Outcome, p.Heading = "expired", "Checkout expired"
		p.Message = "This checkout is no longer valid and nothing was charged. Your plan has not changed; start the change again to pay."
		retry.Label = "Start again"
		p.Actions = []views.Action{retry, home}
	case cs.ExpiredAt(h.Billing.Now()):
		p.Outcome, p.Heading = "expired", "Checkout expired"
		p.Message = "This checkout has run out of time. If you paid before it did, your payment is applied as soon as " +
			"the payment provider confirms it; otherwise nothing was charged and your plan has not changed."
		retry.Label = "Start again"
		p.Actions = []views.Action{retry, home}
	default:
		p.Outcome, p.Heading = "processing", "We haven't heard from the payment provider yet"
		p.Message = "If you paid, your payment will show here as soon as the provider confirms it, usually within a minute; " +
			"you will not be charged twice. If you left the checkout without paying, go back to it to finish."
		p.Actions = []views.Action{
			{Label: "Check again", Href: c.Request.URL.RequestURI(), Primary: true},
			{Label: "Back to checkout", Href: cs.PaymentURL},
		}
	}
}
