package handlers

import (
	"errors"
	"fmt"
	"net/http"

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
	res, err := h.Billing.RequestChange(c.Request.Context(), actor(c), customer(c), c.PostForm("plan"), c.PostForm("timing"))
	if h.changeRejected(c, err) {
		return
	}
	if res.Applied {
		c.Redirect(http.StatusSeeOther, "/subscription?notice=changed")
		return
	}
	// The URL was made by the configured provider, never taken from input.
	c.Redirect(http.StatusSeeOther, res.Checkout.PaymentURL)
}

// changeRejected shows a rejected change next to the plan picker, so the
// customer can pick again; other errors get the error page.
func (h *Handlers) changeRejected(c *gin.Context, err error) bool {
	if err == nil {
		return false
	}
	var verr *billing.ValidationError
	if errors.As(err, &verr) {
		if rerr := h.renderSubscription(c, http.StatusBadRequest, "", &views.Flash{Kind: "error", Message: verr.Error()}); rerr == nil {
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
		RenewalDate: day(p.NewPeriodEnd),
	}
	cp.Nav = "subscription"
	if !to.Free() {
		cp.Lines = append(cp.Lines, views.Line{Label: fmt.Sprintf("%s, %s to %s", to.Name(), day(p.EffectiveAt), day(p.NewPeriodEnd)), Amount: to.Price.String()})
		if p.NewPeriodEnd.IsZero() {
			cp.RenewalDate = ""
		} else {
			cp.RenewalDate = fmt.Sprintf("%s, %s", day(p.NewPeriodEnd), to.Price)
		}
	}
	cp.ConfirmLabel = "Switch to " + to.Name()
	if cp.NeedsPayment {
		cp.ConfirmLabel = "Continue to payment: " + p.AmountDue.String()
	}
	return cp
}

func effective(p billing.ChangePreview) string {
	if p.Timing == billing.Now {
		return "Today, " + day(p.EffectiveAt)
	}
	return day(p.EffectiveAt)
}
