package handlers

import (
	"regexp"
	"strings"
	"time"

	"github.com/billingportal/portal/billing"
)

// The audit log keeps before and after as short technical summaries (see
// billing's describe and the action's own After). These read the parts a
// person needs back out of them: plan name and id, dates, the period.
var (
	auditPlan    = regexp.MustCompile(`^(.+?) \(([a-z0-9][a-z0-9_-]*)\)`)
	auditFrom    = regexp.MustCompile(` from (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)`)
	auditEnds    = regexp.MustCompile(`^ends (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)`)
	auditPeriod  = regexp.MustCompile(`period (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)`)
	auditCredit  = regexp.MustCompile(`^(\S+) of payment \S+ added to account credit`)
	auditRFC3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	auditDate    = regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`)
)

// planIn names the plan an audit summary starts with, "" if none.
func planIn(s string) (name, id string) {
	if m := auditPlan.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return "", ""
}

// dayIn formats the first RFC 3339 time matched by re in s, "" if none.
func dayIn(re *regexp.Regexp, s string) string {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		return ""
	}
	return day(t)
}

// periodEndIn is the end of the period in a summary, written out.
func periodEndIn(s string) string {
	m := auditPeriod.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	t, err := time.Parse(time.DateOnly, m[2])
	if err != nil {
		return ""
	}
	return day(t)
}

// activityDetail says what an audited change was, with the plan, date and
// amount that the action's name alone leaves out. prices maps plan ids to
// prices; the result is "" when there is nothing to add.
func activityDetail(e billing.AuditEntry, prices map[string]string) string {
	after, afterID := planIn(e.After)
	before, _ := planIn(e.Before)
	price := prices[afterID]
	switch e.Action {
	case "change.scheduled":
		return joinDetail(after, price, labelled("from", dayIn(auditFrom, e.After)))
	case "change.applied", "subscription.ended", "subscription.canceled_unpaid":
		return joinDetail(labelled("now on", after), price)
	case "change.unscheduled":
		return labelled("staying on", after)
	case "plan.changed":
		return joinDetail(strings.TrimSpace(labelled("from", before)+" "+labelled("to", after)), price)
	case "subscription.cancel_requested":
		return joinDetail(before, labelled("ends on", dayIn(auditEnds, e.After)))
	case "subscription.resumed":
		return joinDetail(after, labelled("renews on", periodEndIn(e.After)))
	case "subscription.renewed", "overdue.paid", "overdue.recovered":
		return joinDetail(after, price, labelled("paid until", periodEndIn(e.After)))
	case "renewal.failed", "retry.failed":
		return joinDetail(after, price)
	case "payment.credited":
		if m := auditCredit.FindStringSubmatch(e.After); m != nil {
			return m[1]
		}
	case "api_token.created", "card.saved":
		return e.After
	case "api_token.revoked":
		return e.Before
	}
	return ""
}

// labelled is "label value", or "" without a value.
func labelled(label, value string) string {
	if value == "" {
		return ""
	}
	return label + " " + value
}

// joinDetail joins the non-empty parts with " · ".
func joinDetail(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " · ")
}

// readableAudit rewrites the machine times in an audit summary for people:
// "2027-03-01T12:00:00Z" becomes "1 Mar 2027 12:00 UTC", "2027-03-01" becomes
// "1 Mar 2027".
func readableAudit(s string) string {
	s = auditRFC3339.ReplaceAllStringFunc(s, func(v string) string {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return v
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	})
	return auditDate.ReplaceAllStringFunc(s, func(v string) string {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return v
		}
		return shortDay(t)
	})
}

// auditLabel names an audit action for managers; unknown actions keep
// their code.
func auditLabel(action string) string {
	if w, ok := managerWords[action]; ok {
		return w
	}
	if w, ok := activityWords[action]; ok {
		return w
	}
	return action
}

// managerWords name the actions customers never see in their history, or
// see in other words.
var managerWords = map[string]string{
	"impersonation.started": "Impersonation started", "impersonation.stopped": "Impersonation stopped",
	"checkout.created": "Checkout opened", "checkout.completed": "Checkout paid", "checkout.failed": "Checkout declined",
	"checkout.expired": "Checkout expired",
}

// priceList maps plan ids to their prices, for activity lines.
func priceList(plans []billing.Plan) map[string]string {
	m := make(map[string]string, len(plans))
	for _, p := range plans {
		m[p.ID] = planPrice(p)
	}
	return m
}
