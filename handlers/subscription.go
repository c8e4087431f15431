package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// Subscription shows the current subscription and the plan picker.
func (h *Handlers) Subscription(c *gin.Context) {
	var flash *views.Flash
	var interval billing.Interval
	if q := c.Query("interval"); q != "" {
		var ok bool
		if interval, ok = billing.ParseIntervalKey(q); !ok {
			flash = &views.Flash{Kind: "error", Message: fmt.Sprintf("%q is not a billing interval; choose one of the intervals shown.", truncate(q, 20))}
		}
	}
	if msg, ok := notices[c.Query("notice")]; ok {
		flash = &views.Flash{Kind: "success", Message: msg}
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
	offered := intervalsOffered(plans)
	if !slices.Contains(offered, interval) {
		if interval != (billing.Interval{}) {
			status = http.StatusBadRequest
			flash = &views.Flash{Kind: "error", Message: fmt.Sprintf("%s is not a billing interval on sale; choose one of the intervals shown.", interval.Label())}
		}
		interval = defaultInterval(sub, offered)
	}
	p := views.SubscriptionPage{
		Page: h.basePage(c, "Your subscription"), Current: currentPlanView(sub), Notice: subscriptionNotice(sub),
	}
	for _, i := range offered {
		p.Intervals = append(p.Intervals, views.IntervalOption{Label: i.Label(), URL: "/subscription?interval=" + i.Key(), Current: i == interval})
	}
	p.Nav, p.Flash = "subscription", flash
	if p.Card, err = h.cardOnFile(c, sub); err != nil {
		return err
	}
	if p.Notice != nil && sub.Status == billing.Overdue && canEditCard(c) {
		p.Notice.Actions = append(p.Notice.Actions, views.Action{Label: "Use another card", PostURL: "/billing/payment-method"})
	}
	if p.Embed != nil && changeNotices[c.Query("notice")] {
		p.PlanChanged = sub.Plan.ID
	}
	if flash != nil && flash.Kind == "error" && status == http.StatusConflict && sub.Status == billing.Overdue && p.Notice != nil {
		// The refusal and the overdue notice say the same: say it once, with what to do.
		p.Notice.Title, p.Flash = "Pay the overdue amount before choosing a paid plan", nil
	}
	sc, scheduled, err := h.Billing.ScheduledChangeOf(ctx, sub)
	if err != nil {
		return err
	}
	if scheduled {
		p.Scheduled = &views.Scheduled{PlanName: sc.Plan.Name(), Price: planPrice(sc.Plan), Date: day(sc.EffectiveAt)}
		p.Current.RenewLabel = "Changes on"
		p.Current.PeriodEnd = fmt.Sprintf("%s, to %s (%s)", day(sc.EffectiveAt), sc.Plan.Name(), planPrice(sc.Plan))
		if c.Query("notice") == "scheduled" && p.Flash != nil {
			p.Flash.Message = fmt.Sprintf("Your change to %s is scheduled for %s. You keep %s until then.", sc.Plan.Name(), day(sc.EffectiveAt), sub.Plan.Name())
		}
	}
	policy := h.Billing.Policy()
	if !policy.Switches.Cancel {
		p.Current.CancelURL = ""
	}
	for _, plan := range plans {
		card := planCard(sub, plan, plans)
		if scheduled && plan.ID == sc.Plan.ID {
			card.Scheduled = "Starts on " + day(sc.EffectiveAt)
		}
		// What the operator does not offer is shown as such, not as a button that fails.
		if _, err := policy.Decide(sub, plan); err != nil && !card.IsCurrent && card.Blocked == "" && sub.Status != billing.Overdue {
			card.Blocked = err.Error()
		}
		switch {
		case plan.Free():
			p.FreePlans = append(p.FreePlans, card)
		case plan.Interval == interval && plan.Active:
			p.Plans = append(p.Plans, card)
		}
	}
	h.render(c, status, views.Subscription(p))
	return nil
}

func currentPlanView(sub billing.Subscription) views.CurrentPlan {
	plan := sub.Plan
	cp := views.CurrentPlan{
		ProductName: plan.Product.Name, Description: plan.Product.Description,
		Price: plan.Price.String(), PriceSuffix: priceSuffix(plan), Status: string(sub.Status), StatusLabel: sub.Status.Label(),
		PeriodStart: day(sub.PeriodStart), PeriodEnd: day(sub.PeriodEnd), RenewLabel: "Renews on",
		Features: plan.Product.Features, Limits: limits(plan.Product),
	}
	if !plan.Free() {
		cp.Interval = plan.Interval.Label()
	}
	switch {
	case !sub.Renews():
		cp.RenewLabel, cp.PeriodEnd = "Renews", "Never: the free plan has no charges"
	case sub.CancelAtPeriodEnd:
		// The same word as on the managers' list: active, but not renewing.
		cp.RenewLabel, cp.Status, cp.StatusLabel = "Ends on", "cancelling", "Cancelling"
	case sub.Status == billing.Overdue:
		// The period has ended unpaid: say since when, not when it "ends".
		cp.RenewLabel, cp.PeriodEnd = "Unpaid since", day(sub.PaymentFailedAt)
	}
	if sub.Credit > 0 {
		cp.Credit = sub.CreditMoney().String()
	}
	if sub.CanCancel() {
		cp.CancelURL = "/subscription/cancel"
	}
	return cp
}

// changeNotices are the notices that follow a change an embedding app should hear of.
var changeNotices = map[string]bool{"changed": true, "scheduled": true, "unscheduled": true, "cancelled": true, "resumed": true}

// notices are the messages a redirect may ask the subscription page to show;
// only these codes are accepted, so no text comes from the URL.
var notices = map[string]string{
	"changed":      "Your plan has been changed.",
	"scheduled":    "Your change is scheduled. You keep your current plan until then.",
	"unscheduled":  "The scheduled change was undone. Your current plan continues as before.",
	"cancelled":    "Your subscription is cancelled. You keep your plan until the end of the period you paid for.",
	"resumed":      "Welcome back: your subscription will renew as usual.",
	"overdue_paid": "Your account credit paid the overdue amount: your plan is active again and nothing was charged.",
	"card_saved": "Your new card is saved with the payment provider. Renewals and retries use it from now on; " +
		"if it is not shown below yet, the provider is still confirming it (usually a few seconds).",
}

// subscriptionNotice explains a payment problem or a coming end, with the
// action that fixes it.
func subscriptionNotice(sub billing.Subscription) *views.Notice {
	switch {
	case sub.Status == billing.Overdue:
		body := fmt.Sprintf("We could not charge %s for %s on %s. ", sub.Plan.Price, sub.Plan.Name(), day(sub.PaymentFailedAt))
		if !sub.NextRetryAt.IsZero() {
			body += fmt.Sprintf("We will try your card again on %s. ", day(sub.NextRetryAt))
		}
		body += fmt.Sprintf("Your plan stays usable until %s; pay now to keep it, or move to the free plan.", day(sub.GraceEndsAt))
		return &views.Notice{Kind: "danger", Title: "Your last payment failed", Body: body, Actions: []views.Action{
			{Label: "Pay now", PostURL: "/subscription/overdue/pay", Primary: true},
			{Label: "Move to Free", Href: "/subscription/change?plan=free"},
		}}
	case sub.CancelAtPeriodEnd:
		body := fmt.Sprintf("You cancelled %s. You keep it until %s, then move to the free plan.", sub.Plan.Name(), day(sub.PeriodEnd))
		if r := billing.CancelReasonLabel(sub.CancelReason); r != "" {
			body += " Reason given: " + r + "."
		}
		return &views.Notice{Kind: "warning", Title: "Your subscription ends on " + day(sub.PeriodEnd), Body: body,
			Actions: []views.Action{{Label: "Resume subscription", PostURL: "/subscription/resume", Primary: true}}}
	case sub.Status == billing.Canceled:
		body := "You are on the free plan. Choose a plan below to subscribe again."
		if !sub.EndedAt.IsZero() {
			body = fmt.Sprintf("Your paid plan ended on %s. ", day(sub.EndedAt)) + body
		}
		return &views.Notice{Kind: "info", Title: "Your subscription was cancelled", Body: body}
	}
	return nil
}

func planCard(sub billing.Subscription, plan billing.Plan, all []billing.Plan) views.PlanCard {
	card := views.PlanCard{
		ID: plan.ID, ProductName: plan.Product.Name, Description: plan.Product.Description, Price: plan.Price.String(),
		PriceSuffix: priceSuffix(plan), Features: plan.Product.Features, IsCurrent: plan.ID == sub.Plan.ID,
		ChooseURL: "/subscription/change?plan=" + url.QueryEscape(plan.ID), ActionLabel: "Switch",
	}
	switch {
	case billing.Upgrade(sub.Plan, plan):
		card.ActionLabel = "Upgrade"
	case billing.Upgrade(plan, sub.Plan):
		card.ActionLabel = "Downgrade"
	}
	if sub.Status == billing.Overdue && !plan.Free() {
		card.Blocked = "Available once the overdue payment is made"
	}
	if plan.Product.Same(sub.Plan.Product) && !plan.Free() {
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

// intervalsOffered lists the intervals of the paid plans on sale, shortest first.
func intervalsOffered(plans []billing.Plan) []billing.Interval {
	var out []billing.Interval
	for _, p := range plans {
		if p.Active && !p.Free() && !slices.Contains(out, p.Interval) {
			out = append(out, p.Interval)
		}
	}
	slices.SortFunc(out, billing.CompareLength)
	return out
}

// defaultInterval is the picker's first tab: the customer's own interval
// when it is on sale, else Monthly, else the shortest on sale.
func defaultInterval(sub billing.Subscription, offered []billing.Interval) billing.Interval {
	switch {
	case len(offered) == 0:
		return billing.Month
	case !sub.Plan.Free() && slices.Contains(offered, sub.Plan.Interval):
		return sub.Plan.Interval
	case slices.Contains(offered, billing.Month):
		return billing.Month
	}
	return offered[0]
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
