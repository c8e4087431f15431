package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

// The JSON shapes follow the three documented APIs the portal is modelled
// on: APPExperts for plans and current_subscription, Leadping for users,
// Frontier for phases. Money is in minor units (cents) with a currency.

type apiProduct struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	MaxAllowedApps int64    `json:"max_allowed_apps"` // 0 means unlimited
	Description    string   `json:"description"`
	Watermark      bool     `json:"watermark"`
	Features       []string `json:"features"`
}

type apiPlan struct {
	ID            string          `json:"id"`
	PlanName      string          `json:"plan_name"`
	RecurringType string          `json:"recurring_type"` // week, month or year
	IntervalCount int             `json:"interval_count"` // periods of recurring_type per charge: 3 months is quarterly
	Amount        int64           `json:"amount"`
	Currency      string          `json:"currency"`
	IsDefault     bool            `json:"is_default"`
	Active        bool            `json:"active"`
	Product       apiProduct      `json:"subscription_product"`
	Entitlements  apiEntitlements `json:"entitlements"`
}

// apiEntitlements are the product's limits (-1 is unlimited) and flags, by
// the operator's names.
type apiEntitlements struct {
	Limits map[string]int64 `json:"limits"`
	Flags  map[string]bool  `json:"flags"`
}

type apiPhase struct {
	EffectiveAt time.Time `json:"effective_at"`
	PlanID      string    `json:"plan_id"`
}

type apiSubscription struct {
	IsExpired         bool       `json:"is_expired"`
	IsPeriodExpired   bool       `json:"is_period_expired"`
	ID                int64      `json:"id"`
	IsCurrent         bool       `json:"is_current"`
	Plan              apiPlan    `json:"subscription_plan"`
	StartDate         time.Time  `json:"start_date"`
	EndDate           *time.Time `json:"end_date"`
	ExpectedEndDate   *time.Time `json:"expected_end_date"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
	Status            string     `json:"status"`
	ScheduledChange   *apiPhase  `json:"scheduled_change"`
	AccountCredit     int64      `json:"account_credit"`
}

type apiCheckout struct {
	SessionID  string    `json:"session_id"`
	PaymentURL string    `json:"payment_url"`
	AmountDue  int64     `json:"amount_due"`
	Currency   string    `json:"currency"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func planJSON(p billing.Plan) apiPlan {
	features := p.Product.Features
	if features == nil {
		features = []string{}
	}
	ent := apiEntitlements{Limits: p.Product.Entitlements.Limits, Flags: p.Product.Entitlements.Flags}
	if ent.Limits == nil {
		ent.Limits = map[string]int64{}
	}
	if ent.Flags == nil {
		ent.Flags = map[string]bool{}
	}
	// APPExperts' fields, as the contract maps them: max_allowed_apps is
	// limits.apps (0 when unlimited or absent), watermark is flags.watermark.
	apps := max(ent.Limits["apps"], 0)
	return apiPlan{ID: p.ID, PlanName: p.Name(), RecurringType: string(p.Interval.Unit), IntervalCount: p.Interval.Count,
		Amount: p.Price.Amount, Currency: p.Price.Currency, IsDefault: p.IsDefault, Active: p.Active, Entitlements: ent,
		Product: apiProduct{ID: p.Product.ID, Name: p.Product.Name, MaxAllowedApps: apps,
			Description: p.Product.Description, Watermark: ent.Flags["watermark"], Features: features}}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func subscriptionJSON(sub billing.Subscription, sc *billing.ScheduledChange, now time.Time) apiSubscription {
	s := apiSubscription{IsExpired: sub.IsExpired(now), IsPeriodExpired: sub.IsPeriodExpired(now), ID: sub.ID, IsCurrent: true,
		Plan: planJSON(sub.Plan), StartDate: sub.PeriodStart, EndDate: timePtr(sub.EndedAt), ExpectedEndDate: timePtr(sub.PeriodEnd),
		CancelAtPeriodEnd: sub.CancelAtPeriodEnd, Status: string(sub.Status), AccountCredit: sub.Credit}
	if sc != nil {
		s.ScheduledChange = &apiPhase{EffectiveAt: sc.EffectiveAt, PlanID: sc.Plan.ID}
	}
	return s
}

func checkoutJSON(cs *billing.CheckoutSession) *apiCheckout {
	if cs == nil {
		return nil
	}
	return &apiCheckout{SessionID: cs.ID, PaymentURL: cs.PaymentURL, AmountDue: cs.Amount.Amount, Currency: cs.Amount.Currency, ExpiresAt: cs.ExpiresAt}
}

// Leadping's user object, with the billing details the portal has. The
// cancellation and dunning details sit under "stripeInfo" as in Leadping's
// document, whatever the provider, so its clients find them where they look.
type apiUser struct {
	ID                 string         `json:"id"`
	Email              string         `json:"email"`
	FirstName          *string        `json:"firstName"`
	LastName           *string        `json:"lastName"`
	Name               string         `json:"name"`
	Roles              []string       `json:"roles"`
	BillingPlan        *string        `json:"billingPlan"`
	SubscriptionStatus string         `json:"subscriptionStatus"`
	StripeInfo         apiBillingInfo `json:"stripeInfo"`
	CreatedAt          time.Time      `json:"createdAt"`
	ModifiedAt         *time.Time     `json:"modifiedAt"`
	Checkout           *apiCheckout   `json:"checkout,omitempty"`
}

type apiBillingInfo struct {
	CancelAt                *time.Time       `json:"cancelAt"`
	Cancellation            *apiCancellation `json:"cancellation"`
	Dunning                 *apiDunning      `json:"dunning"`
	LastSubscriptionEventAt *time.Time       `json:"lastSubscriptionEventAt"`
}

type apiCancellation struct {
	ReasonCode        string     `json:"reasonCode"`
	Reason            string     `json:"reason"`
	Notes             string     `json:"notes"`
	CancelAtPeriodEnd bool       `json:"cancelAtPeriodEnd"`
	RequestedAt       *time.Time `json:"requestedAt"`
}

type apiDunning struct {
	Stage                   string     `json:"stage"`
	PaymentFailedAt         *time.Time `json:"paymentFailedAt"`
	LastFailedInvoiceID     string     `json:"lastFailedInvoiceId"`
	LastFailedInvoiceStatus string     `json:"lastFailedInvoiceStatus"`
	RetryAttemptCount       string     `json:"retryAttemptCount"`
	NextRetryAt             *time.Time `json:"nextRetryAt"`
	GracePeriodEndsAt       *time.Time `json:"gracePeriodEndsAt"`
	FinalCancellationAt     *time.Time `json:"finalCancellationAt"`
}

func userJSON(u account.User, sub billing.Subscription) apiUser {
	out := apiUser{ID: strconv.FormatInt(u.ID, 10), Email: u.Email, Name: u.Name, Roles: []string{string(u.Role)},
		SubscriptionStatus: sub.Status.Label(), CreatedAt: u.CreatedAt, ModifiedAt: timePtr(sub.UpdatedAt)}
	if first, last, ok := strings.Cut(strings.TrimSpace(u.Name), " "); u.Name != "" {
		out.FirstName = &first
		if ok {
			out.LastName = &last
		}
	}
	if !sub.Plan.Free() {
		bp := sub.Plan.Interval.Label()
		out.BillingPlan = &bp
	}
	info := &out.StripeInfo
	info.LastSubscriptionEventAt = timePtr(sub.UpdatedAt)
	if sub.CancelAtPeriodEnd || !sub.CanceledAt.IsZero() {
		if sub.CancelAtPeriodEnd {
			info.CancelAt = timePtr(sub.PeriodEnd)
		}
		info.Cancellation = &apiCancellation{ReasonCode: sub.CancelReason, Reason: billing.CancelReasonLabel(sub.CancelReason),
			Notes: sub.CancelComment, CancelAtPeriodEnd: sub.CancelAtPeriodEnd, RequestedAt: timePtr(sub.CanceledAt)}
	}
	if sub.Status == billing.Overdue {
		stage := "retrying"
		if sub.NextRetryAt.IsZero() {
			stage = "grace_period"
		}
		info.Dunning = &apiDunning{Stage: stage, PaymentFailedAt: timePtr(sub.PaymentFailedAt),
			LastFailedInvoiceID: strconv.FormatInt(sub.OverdueInvoiceID, 10), LastFailedInvoiceStatus: string(billing.InvoiceFailed),
			RetryAttemptCount: strconv.Itoa(sub.RetryCount), NextRetryAt: timePtr(sub.NextRetryAt),
			GracePeriodEndsAt: timePtr(sub.GraceEndsAt), FinalCancellationAt: timePtr(sub.GraceEndsAt)}
	}
	return out
}
