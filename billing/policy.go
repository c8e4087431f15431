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
	KindUpgrade     ChangeKind = "upgrade"      // higher product rank, or higher monthly-equivalent price at equal rank
	KindToAnnual    ChangeKind = "to_annual"    // same product, a longer interval (Monthly to Annual)
	KindToMonthly   ChangeKind = "to_monthly"   // same product, a shorter interval (Annual to Monthly)
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
		Reason: "The longer billing period can start today, with credit for the unused part of the current one, or at your next renewal."},
	KindToMonthly: {Timings: []Timing{AtPeriodEnd},
		Reason: "You have paid for the current period, so the shorter billing period starts when it ends."},
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
	case from.Product.Same(to.Product) && longer(to.Interval, from.Interval):
		return KindToAnnual
	case from.Product.Same(to.Product):
		return KindToMonthly
	case Upgrade(from, to):
		return KindUpgrade
	}
	return KindDowngrade
}

// longer reports whether one period of a lasts longer than one of b.
func longer(a, b Interval) bool {
	return int64(a.Count)*b.Unit.perYear() > int64(b.Count)*a.Unit.perYear()
}

// Decide applies the default policy, with no rules and every switch on.
func Decide(sub Subscription, to Plan) Decision {
	d, _ := DefaultPolicy().Decide(sub, to)
	return d
}

// Policy is the change policy in force: the table above, the operator's
// switches for what customers may do, and the operator's rules, which
// override the table (the first rule that matches decides).
type Policy struct {
	Switches Switches
	Rules    []Rule
}

// Switches turn whole kinds of change off. All are on by default.
type Switches struct {
	Cancel         bool // customers may cancel, or move to the free plan
	SwitchInterval bool // customers may change the billing interval of their product
	Downgrade      bool // customers may move to a lower product
}

// Rule is one line of the operator's policy: a change from a plan matching
// From to a plan matching To takes effect at the given timings, or is refused.
type Rule struct {
	From, To Match
	Timings  []Timing // Now, AtPeriodEnd, or both (the customer chooses); nil when refused
	Refused  bool
	Reason   string // shown to the customer; a default is used when empty
}

// Match picks plans by product key and interval; an empty field matches any.
type Match struct {
	Product  string
	Interval Interval // zero matches any
}

func (m Match) matches(p Plan) bool {
	return (m.Product == "" || m.Product == p.Product.Key) && (m.Interval == Interval{} || m.Interval == p.Interval)
}

// DefaultPolicy is the table alone, every switch on.
func DefaultPolicy() Policy {
	return Policy{Switches: Switches{Cancel: true, SwitchInterval: true, Downgrade: true}}
}

// Decide applies the policy to a change of sub to plan to. A change the
// operator does not offer is a validation error that says so.
func (p Policy) Decide(sub Subscription, to Plan) (Decision, error) {
	k := classify(sub, to)
	d := policy[k]
	d.Kind = k
	if k == KindLeaveUnpaid { // the way out of a failed payment is always open
		return d, nil
	}
	if msg := p.switchedOff(k); msg != "" {
		return d, Invalid("plan", "%s", msg)
	}
	for _, r := range p.Rules {
		if !r.From.matches(sub.Plan) || !r.To.matches(to) {
			continue
		}
		if r.Refused {
			return d, Invalid("plan", "%s", cmpOr(r.Reason, "This change is not offered. Contact support if you need it."))
		}
		d.Timings = r.Timings
		if r.Reason != "" {
			d.Reason = r.Reason
		}
		return d, nil
	}
	return d, nil
}

func (p Policy) switchedOff(k ChangeKind) string {
	switch {
	case k == KindToFree && !p.Switches.Cancel:
		return "Moving to the free plan is not offered. Contact support to end your subscription."
	case (k == KindToAnnual || k == KindToMonthly) && !p.Switches.SwitchInterval:
		return "Changing the billing interval is not offered. Contact support if you need it."
	case k == KindDowngrade && !p.Switches.Downgrade:
		return "Moving to a smaller plan is not offered. Contact support if you need it."
	}
	return ""
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
