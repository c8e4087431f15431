package handlers

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// Subscription shows the current subscription and the plan picker.
func (h *Handlers) Subscription(c *gin.Context) {
	var flash *views.Flash
	interval := billing.Interval(c.Query("interval"))
	if interval != "" && !interval.Valid() {
		flash = &views.Flash{Kind: "error", Message: fmt.Sprintf("%q is not a billing interval; choose Monthly or Annual.", truncate(string(interval), 20))}
		interval = ""
	}
	if c.Query("notice") == "changed" {
		flash = &views.Flash{Kind: "success", Message: "Your plan has been changed."}
	}
	status := http.StatusOK
	if flash != nil && flash.Kind == "error" {
		status = http.StatusBadRequest
	}
	h.page(func(c *gin.Context) error { return h.renderSubscription(c, status, interval, flash) })(c)
}

// renderSubscription draws the subscription page; the change handlers reuse
// it to show an error next to the picker.
func (h *Handlers) renderSubscription(c *gin.Context, status int, interval billing.Interval, flash *views.Flash) error {
	ctx := c.Request.Context()
	sub, err := h.Billing.Subscription(ctx, customer(c).ID)
	if err != nil {
		return err
	}
	plans, err := h.Billing.Plans(ctx)
	if err != nil {
		return err
	}
	if interval == "" {
		interval = billing.Month
		if sub.Plan.Interval == billing.Year && !sub.Plan.Free() {
			interval = billing.Year
		}
	}
	p := views.SubscriptionPage{
		Page: h.basePage(c, "Your subscription"), Current: currentPlanView(sub), Notice: subscriptionNotice(sub),
		Interval: string(interval), MonthURL: "/subscription?interval=month", YearURL: "/subscription?interval=year",
	}
	p.Nav, p.Flash = "subscription", flash
	for _, plan := range plans {
		card := planCard(sub, plan, plans)
		switch {
		case plan.Free():
			p.FreePlans = append(p.FreePlans, card)
		case plan.Interval == interval:
			p.Plans = append(p.Plans, card)
		}
	}
	h.render(c, status, views.Subscription(p))
	return nil
}

func currentPlanView(sub billing.Subscription) views.CurrentPlan {
	plan := sub.Plan
	cp := views.CurrentPlan{
		ProductName: plan.Product.Name, PlanName: plan.Name(), Description: plan.Product.Description,
		Price: plan.Price.String(), PriceSuffix: priceSuffix(plan), Status: string(sub.Status), StatusLabel: sub.Status.Label(),
		PeriodStart: day(sub.PeriodStart), PeriodEnd: day(sub.PeriodEnd), Renews: sub.Renews(), RenewLabel: "Renews on",
		Features: plan.Product.Features,
	}
	if !plan.Free() {
		cp.Interval = plan.Interval.Label()
	}
	switch {
	case !sub.Renews():
		cp.RenewLabel, cp.PeriodEnd = "Renews", "Never: the free plan has no charges"
	case sub.CancelAtPeriodEnd:
		cp.RenewLabel = "Ends on"
	}
	for _, l := range limits(plan.Product) {
		cp.Limits = append(cp.Limits, views.Limit{Name: l.name, Value: l.value})
	}
	return cp
}

// subscriptionNotice explains a payment problem or a coming end.
func subscriptionNotice(sub billing.Subscription) *views.Notice {
	switch {
	case sub.Status == billing.Overdue:
		return &views.Notice{Kind: "danger", Title: "Your last payment failed",
			Body: fmt.Sprintf("We could not charge %s for %s on %s. Your plan stays usable for now; pay the overdue amount to keep it, or move to the free plan.",
				sub.Plan.Price, sub.Plan.Name(), day(sub.PaymentFailedAt))}
	case sub.CancelAtPeriodEnd:
		body := fmt.Sprintf("You cancelled %s. You keep it until %s, then move to the free plan.", sub.Plan.Name(), day(sub.PeriodEnd))
		if r, ok := cancelReasons[sub.CancelReason]; ok {
			body += " Reason given: " + r + "."
		}
		return &views.Notice{Kind: "warning", Title: "Your subscription ends on " + day(sub.PeriodEnd), Body: body}
	case sub.Status == billing.Canceled:
		return &views.Notice{Kind: "info", Title: "Your subscription was cancelled", Body: "You are on the free plan. Choose a plan below to subscribe again."}
	}
	return nil
}

func planCard(sub billing.Subscription, plan billing.Plan, all []billing.Plan) views.PlanCard {
	card := views.PlanCard{
		ID: plan.ID, ProductName: plan.Product.Name, Description: plan.Product.Description, Price: plan.Price.String(),
		PriceSuffix: priceSuffix(plan), Features: plan.Product.Features, IsCurrent: plan.ID == sub.Plan.ID,
		ChooseURL: "/subscription/change?plan=" + url.QueryEscape(plan.ID), ActionLabel: "Switch",
	}
	switch billing.CompareMonthly(plan, sub.Plan) {
	case 1:
		card.ActionLabel = "Upgrade"
	case -1:
		card.ActionLabel = "Downgrade"
	}
	if plan.Product.ID == sub.Plan.Product.ID && !plan.Free() {
		card.ActionLabel = "Switch" // same product, other interval
	}
	if monthly, annual, ok := pair(plan, all); ok {
		if s := billing.AnnualSaving(monthly, annual); !s.IsZero() {
			if plan.Interval == billing.Year {
				card.Saving = fmt.Sprintf("Save %s a year compared with monthly", s)
			} else {
				card.Saving = fmt.Sprintf("Save %s a year with annual billing", s)
			}
		}
	}
	return card
}

// pair finds the monthly and annual plans of plan's product.
func pair(plan billing.Plan, all []billing.Plan) (monthly, annual billing.Plan, ok bool) {
	var hasM, hasY bool
	for _, p := range all {
		if p.Product.ID != plan.Product.ID {
			continue
		}
		switch p.Interval {
		case billing.Month:
			monthly, hasM = p, true
		case billing.Year:
			annual, hasY = p, true
		}
	}
	return monthly, annual, hasM && hasY
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
