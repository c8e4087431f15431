package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// SubscriptionChangePreview shows what a change costs and when it starts.
func (h *Handlers) SubscriptionChangePreview(c *gin.Context) {
	planID, timing := c.Query("plan"), c.Query("timing")
	p, err := h.Billing.PreviewChange(c.Request.Context(), customer(c).ID, planID, timing)
	if h.changeRejected(c, err) {
		return
	}
	h.render(c, http.StatusOK, views.Change(h.changePage(c, p)))
}

// SubscriptionChange asks for the change: nothing due applies it at once,
// otherwise the customer is sent to the checkout's payment page.
func (h *Handlers) SubscriptionChange(c *gin.Context) {
	res, err := h.Billing.RequestChange(c.Request.Context(), actor(c), customer(c), c.PostForm("plan"), c.PostForm("timing"), returnTo(c)...)
	if h.changeRejected(c, err) {
		return
	}
	switch {
	case res.Scheduled:
		c.Redirect(http.StatusSeeOther, "/subscription?notice=scheduled")
		return
	case res.Applied:
		c.Redirect(http.StatusSeeOther, "/subscription?notice=changed")
		return
	}
	h.toCheckout(c, *res.Checkout, res.Preview.To.Name())
}

// returnTo sends an embedded customer back to the app after checkout:
// checkout opens at the top level, where the portal's frame is gone.
func returnTo(c *gin.Context) []billing.ChangeOption {
	if id, ok := Identity(c); ok && id.Embed && id.ReturnURL != "" {
		return []billing.ChangeOption{billing.ReturnTo(id.ReturnURL)}
	}
	return nil
}

// toCheckout sends the customer to the provider's payment page (a URL the
// provider made, never one taken from input). A manager acting as the
// customer gets the link to send instead: the customer pays, not the manager.
func (h *Handlers) toCheckout(c *gin.Context, cs billing.CheckoutSession, what string) {
	if Impersonating(c) {
		u, _ := CurrentUser(c)
		p := views.PaymentLinkPage{Page: h.basePage(c, "Payment link"), Customer: u.Email, Plan: what,
			Amount: cs.Amount.String(), PaymentURL: cs.PaymentURL, ExpiresAt: cs.ExpiresAt.Format("2 January 2006, 15:04 UTC")}
		p.Nav = "subscription"
		h.render(c, http.StatusOK, views.PaymentLink(p))
		return
	}
	if id, _ := Identity(c); id.Embed {
		// The frame's cookie is not sent to a top-level page, so the form
		// posts in the frame and the payment page opens at the top from here.
		p := views.CheckoutHandoffPage{Page: h.basePage(c, "Checkout"), Plan: what, Amount: cs.Amount.String(), PaymentURL: cs.PaymentURL}
		h.render(c, http.StatusOK, views.CheckoutHandoff(p))
		return
	}
	c.Redirect(http.StatusSeeOther, cs.PaymentURL)
}

// changeRejected shows a rejected change next to the plan picker, so the
// customer can pick again; other errors get the error page.
func (h *Handlers) changeRejected(c *gin.Context, err error) bool {
	if err == nil {
		return false
	}
	var verr *billing.ValidationError
	var conflict *billing.ConflictError
	status := http.StatusBadRequest
	if errors.As(err, &conflict) {
		status = http.StatusConflict
	}
	if errors.As(err, &verr) || conflict != nil {
		if rerr := h.renderSubscription(c, status, "", &views.Flash{Kind: "error", Message: err.Error()}); rerr == nil {
			return true
		}
	}
	h.page(func(*gin.Context) error { return err })(c)
	return true
}

func (h *Handlers) changePage(c *gin.Context, p billing.ChangePreview) views.ChangePage {
	from, to := p.Current.Plan, p.To
	cp := views.ChangePage{
		Page: h.basePage(c, "Confirm plan change"), PlanID: to.ID, Timing: string(p.Timing),
		FromName: from.Name(), FromPrice: planPrice(from), ToName: to.Name(), ToPrice: planPrice(to), ToFeatures: to.Product.Features,
		AmountDue: p.AmountDue.String(), NeedsPayment: !p.AmountDue.IsZero(), EffectiveDate: effective(p),
		Reason: p.Decision.Reason, Scheduled: p.Scheduled(), Lines: priceLines(p),
	}
	cp.Nav = "subscription"
	cp.Withdraws = withdrawsCancellation(p)
	if !p.NewPeriodEnd.IsZero() {
		cp.RenewalDate = fmt.Sprintf("%s, %s", day(p.FirstRenewalAt()), p.FirstRenewal())
	}
	if len(p.Decision.Timings) > 1 {
		for _, t := range p.Decision.Timings {
			cp.Timings = append(cp.Timings, timingOption(p, t))
		}
	}
	switch {
	case cp.NeedsPayment:
		cp.ConfirmLabel = "Continue to payment: " + p.AmountDue.String()
	case p.Scheduled():
		cp.ConfirmLabel = "Schedule the change for " + day(p.EffectiveAt)
	default:
		cp.ConfirmLabel = "Switch to " + to.Name() + " now"
	}
	return cp
}

// priceLines shows how the amount due today is worked out.
func priceLines(p billing.ChangePreview) []views.Line {
	if p.Scheduled() {
		return []views.Line{{Label: "Nothing is charged today. Your current plan continues until " + day(p.EffectiveAt), Amount: p.AmountDue.String()}}
	}
	q := p.Quote
	var lines []views.Line
	if !p.To.Free() {
		lines = append(lines, views.Line{Label: fmt.Sprintf("%s, %s to %s", p.To.Name(), day(p.EffectiveAt), day(p.NewPeriodEnd)), Amount: q.Price.String()})
	}
	if !q.UnusedCredit.IsZero() {
		lines = append(lines, views.Line{Label: fmt.Sprintf("Credit for unused time on %s (%s to %s)", p.Current.Plan.Name(),
			day(p.EffectiveAt), day(p.Current.PeriodEnd)), Amount: negative(q.UnusedCredit)})
	}
	if !q.AccountCredit.IsZero() {
		lines = append(lines, views.Line{Label: "Account credit", Amount: negative(q.AccountCredit)})
	}
	if q.CreditAfter.Amount > 0 {
		lines = append(lines, views.Line{Label: "Left as account credit for your next charges", Amount: q.CreditAfter.String()})
	}
	return lines
}

func timingOption(p billing.ChangePreview, t billing.Timing) views.TimingOption {
	o := views.TimingOption{Href: fmt.Sprintf("/subscription/change?plan=%s&timing=%s", url.QueryEscape(p.To.ID), t), Selected: t == p.Timing}
	if t == billing.Now {
		o.Label, o.Detail = "Start today", "Pay the difference now, with credit for the unused part of your current period."
	} else {
		o.Label, o.Detail = "Start at renewal on "+day(p.Current.PeriodEnd), "Nothing to pay today; the new price is charged at renewal."
	}
	return o
}

func effective(p billing.ChangePreview) string {
	if p.Timing == billing.Now {
		return "Today, " + day(p.EffectiveAt)
	}
	return day(p.EffectiveAt)
}

// withdrawsCancellation explains, to a customer who cancelled, that this
// change brings renewals back; "" when they had not cancelled, or when the
// change is to the free plan (which never renews anyway).
func withdrawsCancellation(p billing.ChangePreview) string {
	if !p.Current.CancelAtPeriodEnd || p.To.Free() {
		return ""
	}
	if p.Scheduled() {
		return fmt.Sprintf("You cancelled %s. If you confirm, it is no longer cancelled: you keep it until %s, then %s starts and renews as usual.",
			p.Current.Plan.Name(), day(p.EffectiveAt), p.To.Name())
	}
	return fmt.Sprintf("You cancelled %s. If you confirm, %s starts today and renews as usual on %s.",
		p.Current.Plan.Name(), p.To.Name(), day(p.NewPeriodEnd))
}
