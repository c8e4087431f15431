package billing_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config/configtest"
)

// TestPolicyForEveryPairOfDemoPlans spells out the verdict for all 42 changes
// between the seven demo plans.
func TestPolicyForEveryPairOfDemoPlans(t *testing.T) {
	// Rows are "from", columns "to", in catalogue order:
	// free, starter-monthly, starter-annual, pro-monthly, pro-annual, business-monthly, business-annual.
	// S subscribe, U upgrade, A to annual, M to monthly, D downgrade, F to free, - same plan.
	table := `
free             - S S S S S S
starter-monthly  F - A U U U U
starter-annual   F M - U U U U
pro-monthly      F D D - A U U
pro-annual       F D D M - U U
business-monthly F D D D D - A
business-annual  F D D D D M -`
	kinds := map[string]billing.ChangeKind{"S": billing.KindSubscribe, "U": billing.KindUpgrade, "A": billing.KindToAnnual,
		"M": billing.KindToMonthly, "D": billing.KindDowngrade, "F": billing.KindToFree}
	plans := configtest.Example(t).Plans
	byID := map[string]billing.Plan{}
	for _, p := range plans {
		byID[p.ID] = p
	}
	now := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		f := strings.Fields(line)
		from := byID[f[0]]
		sub := billing.Subscription{Plan: from, Status: billing.Active, PeriodStart: now.AddDate(0, -1, 0)}
		if !from.Free() {
			sub.PeriodEnd = now.AddDate(0, 1, 0)
		}
		for i, code := range f[1:] {
			to := plans[i]
			if code == "-" {
				continue
			}
			d := billing.Decide(sub, to)
			if d.Kind != kinds[code] {
				t.Errorf("%s → %s: %s, want %s", from.ID, to.ID, d.Kind, kinds[code])
			}
			wantTimings := map[string]string{"S": "now", "U": "now period_end", "A": "now period_end", "M": "period_end", "D": "period_end", "F": "period_end"}[code]
			if got := fmt.Sprint(d.Timings); got != "["+wantTimings+"]" {
				t.Errorf("%s → %s: timings %s, want [%s]", from.ID, to.ID, got, wantTimings)
			}
			if d.Reason == "" {
				t.Errorf("%s → %s: no reason given", from.ID, to.ID)
			}
		}
	}
	overdue := billing.Subscription{Plan: byID["pro-monthly"], Status: billing.Overdue, PeriodEnd: now}
	if d := billing.Decide(overdue, byID["free"]); d.Kind != billing.KindLeaveUnpaid || !d.Allows(billing.Now) {
		t.Errorf("overdue → free: %+v", d)
	}
}

func TestProration(t *testing.T) {
	usd := func(c int64) billing.Money { return billing.Money{Amount: c, Currency: "USD"} }
	plan := func(id string, i billing.Interval, cents int64) billing.Plan {
		return billing.Plan{ID: id, Interval: i, Price: usd(cents), Product: billing.Product{ID: int64(len(id))}}
	}
	free := plan("free", billing.Month, 0)
	free.IsDefault = true
	proM, proA := plan("pro-monthly", billing.Month, 2900), plan("pro-annual", billing.Year, 29000)
	bizM := plan("business-monthly", billing.Month, 9900)
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	on := func(p billing.Plan, anchor time.Time, credit int64) billing.Subscription {
		return billing.Subscription{Plan: p, Status: billing.Active, Anchor: anchor, PeriodStart: anchor,
			PeriodEnd: billing.PeriodEnd(anchor, p.Interval, 1), Credit: credit}
	}
	cases := []struct {
		name                         string
		sub                          billing.Subscription
		to                           billing.Plan
		now                          time.Time
		unused, account, due, credit int64
	}{
		{"half of a 28-day February", on(proM, at(2027, 1, 31, 12), 0), bizM, at(2027, 2, 14, 12), 1450, 0, 8450, 0},
		{"half of a 29-day leap February", on(proM, at(2028, 1, 31, 12), 0), bizM, at(2028, 2, 15, 0), 1450, 0, 8450, 0},
		{"a day into 28 February to 28 March", on(proM, at(2027, 2, 28, 0), 0), proA, at(2027, 3, 1, 0), 2796, 0, 26204, 0},
		{"one second before the period ends", on(proM, at(2027, 1, 31, 12), 0), bizM, at(2027, 2, 28, 12).Add(-time.Second), 0, 0, 9900, 0},
		{"at the very start", on(proM, at(2027, 1, 31, 12), 0), bizM, at(2027, 1, 31, 12), 2900, 0, 7000, 0},
		{"unused beyond the new price becomes credit", on(proA, at(2027, 1, 31, 12), 0), bizM, at(2027, 2, 1, 12), 28920, 0, 0, 19020},
		{"credit adds to earlier credit", on(proA, at(2027, 1, 31, 12), 500), bizM, at(2027, 2, 1, 12), 28920, 0, 0, 19520},
		{"account credit is used", on(proM, at(2027, 1, 31, 12), 1000), bizM, at(2027, 2, 28, 12).Add(-time.Second), 0, 1000, 8900, 0},
		{"account credit covers it all", on(proM, at(2027, 1, 31, 12), 20000), bizM, at(2027, 2, 28, 12).Add(-time.Second), 0, 9900, 0, 10100},
		{"from free nothing is unused", billing.Subscription{Plan: free, Status: billing.Active}, proA, at(2027, 3, 1, 0), 0, 0, 29000, 0},
		{"an unpaid period is not credited", func() billing.Subscription {
			s := on(proM, at(2027, 1, 31, 12), 0)
			s.Status = billing.Overdue
			return s
		}(), bizM, at(2027, 2, 14, 12), 0, 0, 9900, 0},
		{"zero result: credit equals price", on(proM, at(2027, 1, 31, 12), 9900), bizM, at(2027, 2, 28, 12), 0, 9900, 0, 0},
	}
	for _, c := range cases {
		q := billing.Prorate(c.sub, c.to, c.now)
		if q.UnusedCredit.Amount != c.unused || q.AccountCredit.Amount != c.account || q.Due.Amount != c.due || q.CreditAfter.Amount != c.credit {
			t.Errorf("%s: unused %d account %d due %d credit %d; want %d %d %d %d", c.name,
				q.UnusedCredit.Amount, q.AccountCredit.Amount, q.Due.Amount, q.CreditAfter.Amount, c.unused, c.account, c.due, c.credit)
		}
		if q.Due.Amount < 0 {
			t.Errorf("%s: negative due", c.name)
		}
	}
}
