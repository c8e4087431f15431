package billing

import "time"

// PermitDays is the grace period after a failed renewal during which the
// plan stays usable (APPExperts' "permit days").
const PermitDays = 7

// RetrySchedule is when a failed renewal is tried again, counted from the failure.
var RetrySchedule = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 5 * 24 * time.Hour}

// ChangeKind names a transition between two plans.
type ChangeKind string

// The transitions the policy knows.
const (
	KindSubscribe   ChangeKind = "subscribe"    // from the free plan to a paid one
	KindUpgrade     ChangeKind = "upgrade"      // higher monthly-equivalent price
	KindToAnnual    ChangeKind = "to_annual"    // same product, Monthly to Annual
	KindToMonthly   ChangeKind = "to_monthly"   // same product, Annual to Monthly
	KindDowngrade   ChangeKind = "downgrade"    // lower (or equal) monthly-equivalent price
	KindToFree      ChangeKind = "to_free"      // to the free plan
	KindLeaveUnpaid ChangeKind = "overdue_free" // to the free plan while a payment is overdue
)

// Decision is what the policy allows for one change.
type Decision struct {
	Kind    ChangeKind
	Timings []Timing // allowed timings; the first is the default
	Reason  string   // why, in words for the customer
}

// Allows reports whether t is one of the allowed timings.
func (d Decision) Allows(t Timing) bool {
	for _, x := range d.Timings {
		if x == t {
			return true
		}
	}
	return false
}

// policy is the whole change policy, one row per transition.
var policy = map[ChangeKind]Decision{
	KindSubscribe: {Timings: []Timing{Now},
		Reason: "You are on the free plan, so your new plan starts today."},
	KindUpgrade: {Timings: []Timing{Now, AtPeriodEnd},
		Reason: "Upgrades can start today, with credit for the unused part of your current period, or at your next renewal."},
	KindToAnnual: {Timings: []Timing{Now, AtPeriodEnd},
		Reason: "Annual billing can start today, with credit for the unused part of this month, or at your next renewal."},
	KindToMonthly: {Timings: []Timing{AtPeriodEnd},
		Reason: "You have paid for the current period, so Monthly billing starts when it ends."},
	KindDowngrade: {Timings: []Timing{AtPeriodEnd},
		Reason: "You keep your current plan until the period you paid for ends; the new plan starts then."},
	KindToFree: {Timings: []Timing{AtPeriodEnd},
		Reason: "You keep your current plan until the period you paid for ends, then move to the free plan."},
	KindLeaveUnpaid: {Timings: []Timing{Now},
		Reason: "Your last payment failed, so moving to the free plan takes effect today and nothing more is charged."},
}

// classify names the transition from the current subscription to plan to.
func classify(sub Subscription, to Plan) ChangeKind {
	from := sub.Plan
	switch {
	case to.Free() && sub.Status == Overdue:
		return KindLeaveUnpaid
	case to.Free():
		return KindToFree
	case from.Free() || !sub.Renews():
		return KindSubscribe
	case from.Product.ID == to.Product.ID && to.Interval == Year:
		return KindToAnnual
	case from.Product.ID == to.Product.ID:
		return KindToMonthly
	case CompareMonthly(to, from) > 0:
		return KindUpgrade
	}
	return KindDowngrade
}

// Decide applies the policy to a change of sub to plan to.
func Decide(sub Subscription, to Plan) Decision {
	k := classify(sub, to)
	d := policy[k]
	d.Kind = k
	return d
}
