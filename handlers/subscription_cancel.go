package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// SubscriptionCancelPage asks for a reason and says when access ends.
func (h *Handlers) SubscriptionCancelPage(c *gin.Context) {
	h.page(func(c *gin.Context) error { return h.renderCancel(c, http.StatusOK, "", "", "") })(c)
}

func (h *Handlers) renderCancel(c *gin.Context, status int, reason, comment, msg string) error {
	sub, err := h.Billing.Subscription(c.Request.Context(), customer(c).ID)
	if err != nil {
		return err
	}
	if !sub.CanCancel() {
		c.Redirect(http.StatusSeeOther, "/subscription")
		return nil
	}
	p := views.CancelPage{Page: h.basePage(c, "Cancel subscription"), PlanName: sub.Plan.Name(), EndsOn: day(sub.PeriodEnd),
		Comment: comment, Error: msg, MaxLen: billing.MaxCommentLength}
	p.Nav = "subscription"
	for _, r := range billing.CancelReasons {
		p.Reasons = append(p.Reasons, views.Reason{Code: r.Code, Label: r.Label, Selected: r.Code == reason})
	}
	h.render(c, status, views.Cancel(p))
	return nil
}

// SubscriptionCancel cancels at the end of the period with a reason.
func (h *Handlers) SubscriptionCancel(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		reason, comment := c.PostForm("reason"), c.PostForm("comment")
		_, err := h.Billing.Cancel(c.Request.Context(), actor(c), customer(c), reason, comment)
		var verr *billing.ValidationError
		if errors.As(err, &verr) {
			return h.renderCancel(c, http.StatusBadRequest, reason, comment, verr.Error())
		}
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/subscription?notice=cancelled")
		return nil
	})(c)
}

// SubscriptionResume withdraws a cancellation.
func (h *Handlers) SubscriptionResume(c *gin.Context) {
	h.subscriptionAction(c, "resumed", func(c *gin.Context) error {
		return h.Billing.Resume(c.Request.Context(), actor(c), customer(c))
	})
}

// ScheduledChangeCancel undoes the scheduled change.
func (h *Handlers) ScheduledChangeCancel(c *gin.Context) {
	h.subscriptionAction(c, "unscheduled", func(c *gin.Context) error {
		return h.Billing.CancelScheduledChange(c.Request.Context(), actor(c), customer(c))
	})
}

// PayOverdue sends an overdue customer to checkout for the failed renewal.
func (h *Handlers) PayOverdue(c *gin.Context) {
	cs, err := h.Billing.PayOverdue(c.Request.Context(), actor(c), customer(c), returnTo(c)...)
	if h.changeRejected(c, err) {
		return
	}
	if cs.ID == "" { // account credit paid it: no checkout needed
		c.Redirect(http.StatusSeeOther, "/subscription?notice=overdue_paid")
		return
	}
	h.toCheckout(c, cs, "The overdue payment")
}

// subscriptionAction runs a state change and returns to the subscription
// page with a notice; a refusal is shown there as an error.
func (h *Handlers) subscriptionAction(c *gin.Context, notice string, do func(*gin.Context) error) {
	if h.changeRejected(c, do(c)) {
		return
	}
	c.Redirect(http.StatusSeeOther, "/subscription?notice="+notice)
}
