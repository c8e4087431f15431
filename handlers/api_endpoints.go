package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

// APIPlans is GET /api/v1/plans.
func (h *Handlers) APIPlans(c *gin.Context) {
	plans, err := h.Billing.Plans(c.Request.Context())
	if err != nil {
		h.apiFail(c, err)
		return
	}
	out := make([]apiPlan, 0, len(plans))
	for _, p := range plans {
		out = append(out, planJSON(p))
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

// APIUsers is GET /api/v1/users?email= for the server key and managers.
func (h *Handlers) APIUsers(c *gin.Context) {
	if !caller(c).actsForAnyone() {
		h.apiFail(c, billing.ErrForbidden)
		return
	}
	email := account.NormalizeEmail(c.Query("email"))
	if email == "" {
		h.apiFail(c, billing.Invalid("email", "Give the email to look up: ?email=someone@example.com."))
		return
	}
	var bad *account.InputError
	if errors.As(account.ValidEmail(email), &bad) {
		h.apiFail(c, billing.Invalid("email", "%s", bad.Message))
		return
	}
	out := []apiUser{}
	u, err := h.Accounts.CustomerByEmail(c.Request.Context(), email)
	switch {
	case errors.Is(err, account.ErrNotFound):
	case err != nil:
		h.apiFail(c, err)
		return
	default:
		sub, err := h.Billing.Subscription(c.Request.Context(), u.ID)
		if err != nil {
			h.apiFail(c, err)
			return
		}
		out = append(out, userJSON(u, sub))
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
}

// currentSubscription builds APPExperts' current_subscription for a user.
func (h *Handlers) currentSubscription(ctx context.Context, userID int64) (apiSubscription, error) {
	sub, err := h.Billing.Subscription(ctx, userID)
	if err != nil {
		return apiSubscription{}, err
	}
	sc, ok, err := h.Billing.ScheduledChangeOf(ctx, sub)
	if err != nil {
		return apiSubscription{}, err
	}
	var scp *billing.ScheduledChange
	if ok {
		scp = &sc
	}
	return subscriptionJSON(sub, scp, h.Billing.Now()), nil
}

// APICurrentSubscription is GET /api/v1/profile/subscriptions/current.
func (h *Handlers) APICurrentSubscription(c *gin.Context) {
	var userID *string
	if v, ok := c.GetQuery("userId"); ok {
		userID = &v
	}
	u, err := h.targetCustomer(c, userID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	cur, err := h.currentSubscription(c.Request.Context(), u.ID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": http.StatusOK, "message": "OK", "data": gin.H{"current_subscription": cur}})
}

// timingFromImmediate maps the APIs' optional "immediate" to a timing.
func timingFromImmediate(immediate *bool) string {
	switch {
	case immediate == nil:
		return ""
	case *immediate:
		return string(billing.Now)
	}
	return string(billing.AtPeriodEnd)
}

// changeMessage says what a change request did, for people reading logs.
func changeMessage(res billing.ChangeResult) string {
	p := res.Preview
	switch {
	case res.Checkout != nil:
		return fmt.Sprintf("Checkout created: pay %s at payment_url to switch to %s.", res.Checkout.Amount, p.To.Name())
	case res.Scheduled:
		return fmt.Sprintf("Scheduled: the plan changes to %s on %s.", p.To.Name(), p.EffectiveAt.Format(time.RFC3339))
	}
	return "Subscription changed successfully to " + p.To.Name() + "."
}

// APIChangeSubscription is APPExperts' POST /api/v1/profile/subscriptions/change.
func (h *Handlers) APIChangeSubscription(c *gin.Context) {
	var body struct {
		SubscriptionPlan *string `json:"subscriptionPlan"`
		Immediate        *bool   `json:"immediate"`
		UserID           *string `json:"userId"`
	}
	if err := decodeJSON(c, &body); err != nil {
		h.apiFail(c, err)
		return
	}
	if body.SubscriptionPlan == nil {
		h.apiFail(c, billing.Invalid("subscriptionPlan", "subscriptionPlan is required: the id of the plan to change to."))
		return
	}
	u, res, ok := h.apiChange(c, body.UserID, *body.SubscriptionPlan, timingFromImmediate(body.Immediate))
	if !ok {
		return
	}
	cur, err := h.currentSubscription(c.Request.Context(), u.ID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	data := gin.H{"session_id": nil, "payment_url": nil, "current_subscription": cur}
	if cs := res.Checkout; cs != nil {
		data["session_id"], data["payment_url"] = cs.ID, cs.PaymentURL
		data["checkout"] = checkoutJSON(cs)
	}
	c.JSON(http.StatusOK, gin.H{"code": http.StatusOK, "message": changeMessage(res), "data": data})
}

// apiChange resolves the customer and asks billing for the change; on
// failure it has already answered.
func (h *Handlers) apiChange(c *gin.Context, userID *string, planID, timing string) (account.User, billing.ChangeResult, bool) {
	u, err := h.targetCustomer(c, userID)
	if err != nil {
		h.apiFail(c, err)
		return u, billing.ChangeResult{}, false
	}
	res, err := h.Billing.RequestChange(c.Request.Context(), apiActor(c), billing.Customer{ID: u.ID, Email: u.Email}, planID, timing, billing.RefuseOtherCheckout())
	if err != nil {
		h.apiFail(c, err)
		return u, res, false
	}
	return u, res, true
}

// APIChangeBillingPlan is Leadping's PUT /api/v1/users/change-billing-plan:
// it switches the current product between Monthly and Annual billing.
func (h *Handlers) APIChangeBillingPlan(c *gin.Context) {
	var body struct {
		BillingPlan *string `json:"billingPlan"`
		UserID      *string `json:"userId"`
	}
	if err := decodeJSON(c, &body); err != nil {
		h.apiFail(c, err)
		return
	}
	var interval billing.Interval
	switch {
	case body.BillingPlan == nil:
		h.apiFail(c, billing.Invalid("billingPlan", "billingPlan is required: \"Annual\" or \"Monthly\"."))
		return
	case *body.BillingPlan == "Annual":
		interval = billing.Year
	case *body.BillingPlan == "Monthly":
		interval = billing.Month
	default:
		h.apiFail(c, billing.Invalid("billingPlan", "billingPlan must be \"Annual\" or \"Monthly\", not %q.", truncate(*body.BillingPlan, 20)))
		return
	}
	u, err := h.targetCustomer(c, body.UserID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	target, err := h.Billing.PlanAtInterval(c.Request.Context(), u.ID, interval)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	_, res, ok := h.apiChange(c, body.UserID, target, "")
	if !ok {
		return
	}
	sub, err := h.Billing.Subscription(c.Request.Context(), u.ID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	out := userJSON(u, sub)
	out.Checkout = checkoutJSON(res.Checkout)
	c.JSON(http.StatusOK, out)
}

// APIChangeSubscriptionPhase is Frontier's POST /api/v1/subscriptions/{id}/change.
func (h *Handlers) APIChangeSubscriptionPhase(c *gin.Context) {
	type planChange struct {
		Plan      *string `json:"plan"`
		Immediate *bool   `json:"immediate"`
	}
	var body struct {
		PlanChange  *planChange `json:"plan_change"`
		PhaseChange *struct {
			CancelUpcomingChanges *bool `json:"cancel_upcoming_changes"`
		} `json:"phase_change"`
		Plan      *string `json:"plan"`      // deprecated in Frontier in favour of plan_change
		Immediate *bool   `json:"immediate"` // deprecated in Frontier in favour of plan_change
	}
	if err := decodeJSON(c, &body); err != nil {
		h.apiFail(c, err)
		return
	}
	if body.PlanChange == nil && body.Plan != nil {
		body.PlanChange = &planChange{Plan: body.Plan, Immediate: body.Immediate}
	}
	if (body.PlanChange == nil) == (body.PhaseChange == nil) {
		h.apiFail(c, billing.Invalid("plan_change", "Send exactly one of plan_change or phase_change."))
		return
	}
	sub, u, err := h.subscriptionParam(c)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	userID := strconv.FormatInt(u.ID, 10)
	if pc := body.PlanChange; pc != nil {
		if pc.Plan == nil {
			h.apiFail(c, billing.Invalid("plan_change.plan", "plan_change.plan is required."))
			return
		}
		_, res, ok := h.apiChange(c, &userID, *pc.Plan, timingFromImmediate(pc.Immediate))
		if !ok {
			return
		}
		out := gin.H{"phase": apiPhase{EffectiveAt: res.Preview.EffectiveAt, PlanID: res.Preview.To.ID}}
		if res.Checkout != nil {
			out["checkout"] = checkoutJSON(res.Checkout)
		}
		c.JSON(http.StatusOK, out)
		return
	}
	if cu := body.PhaseChange.CancelUpcomingChanges; cu == nil || !*cu {
		h.apiFail(c, billing.Invalid("phase_change.cancel_upcoming_changes", "phase_change.cancel_upcoming_changes must be true."))
		return
	}
	if err := h.Billing.CancelScheduledChange(c.Request.Context(), apiActor(c), billing.Customer{ID: u.ID, Email: u.Email}); err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"phase": apiPhase{EffectiveAt: h.Billing.Now(), PlanID: sub.Plan.ID}})
}

// subscriptionParam loads the subscription named by :id, if the caller may act on it.
func (h *Handlers) subscriptionParam(c *gin.Context) (billing.Subscription, account.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return billing.Subscription{}, account.User{}, fmt.Errorf("subscription %q: %w", truncate(c.Param("id"), 20), billing.ErrNotFound)
	}
	sub, err := h.Billing.SubscriptionByID(c.Request.Context(), id)
	if err != nil {
		return sub, account.User{}, err
	}
	if p := caller(c); !p.actsForAnyone() && p.User.ID != sub.UserID {
		// Another customer's subscription is not found, not forbidden: ids are not secrets to confirm.
		return billing.Subscription{}, account.User{}, fmt.Errorf("subscription %d: %w", id, billing.ErrNotFound)
	}
	if p := caller(c); !p.Server && p.User.ID != sub.UserID {
		reason, err := actingReason(c)
		if err != nil {
			return billing.Subscription{}, account.User{}, err
		}
		c.Set(actingReasonKey, reason)
	}
	u, err := h.Accounts.User(c.Request.Context(), sub.UserID)
	return sub, u, err
}

// APIPortalSession is POST /api/v1/portal/sessions (server key): a one-time
// link that signs a customer in, creating them on the free plan if new.
func (h *Handlers) APIPortalSession(c *gin.Context) {
	var body struct {
		Email     *string `json:"email"`
		Name      string  `json:"name"`
		ReturnURL string  `json:"return_url"`
		Embed     bool    `json:"embed"`
		Accent    string  `json:"accent"`
	}
	if err := decodeJSON(c, &body); err != nil {
		h.apiFail(c, err)
		return
	}
	if body.Email == nil || !strings.Contains(*body.Email, "@") {
		h.apiFail(c, billing.Invalid("email", "email is required: the customer's email address."))
		return
	}
	if body.ReturnURL != "" && !h.allowedReturnURL(body.ReturnURL) {
		h.apiFail(c, billing.Invalid("return_url", "return_url must be an http(s) URL on an allowed origin (EMBED_ORIGINS or the portal's own)."))
		return
	}
	if body.Embed && !h.embedOrigin(body.ReturnURL) {
		h.apiFail(c, billing.Invalid("return_url", "An embedded session needs the return_url of the page that frames the portal, on one of EMBED_ORIGINS."))
		return
	}
	if _, _, _, ok := parseHexColour(body.Accent); body.Accent != "" && !ok {
		h.apiFail(c, billing.Invalid("accent", "accent must be a colour written #rrggbb."))
		return
	}
	token, u, _, err := h.Accounts.CreatePortalLink(c.Request.Context(), *body.Email, body.Name,
		account.PortalLink{ReturnURL: body.ReturnURL, Embed: body.Embed, Accent: body.Accent})
	var input *account.InputError
	if errors.As(err, &input) {
		h.apiFail(c, billing.Invalid(input.Field, "%s", input.Message))
		return
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"url": h.BaseURL + "/portal/" + token, "expires_at": h.Wall.Now().Add(account.PortalLinkTTL),
		"user_id": strconv.FormatInt(u.ID, 10)})
}

// allowedReturnURL accepts URLs on the portal's own origin or an embedding origin.
func (h *Handlers) allowedReturnURL(raw string) bool {
	return originOf(raw) != "" && (originOf(raw) == h.BaseURL || h.embedOrigin(raw))
}

// embedOrigin reports whether raw is on one of EMBED_ORIGINS.
func (h *Handlers) embedOrigin(raw string) bool {
	o := originOf(raw)
	for _, allowed := range h.EmbedOrigins {
		if o != "" && o == allowed {
			return true
		}
	}
	return false
}

// originOf is scheme://host[:port] of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
