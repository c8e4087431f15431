package billing_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db/dbtest"
)

// kumoFixture is a fixture on the Kumo catalogue (yen, weekly, fortnightly
// and quarterly plans), under the given policy (nil: the default).
func kumoFixture(t *testing.T, policy *billing.Policy) *fixture {
	t.Helper()
	cfg := configtest.Load(t, configtest.Kumo)
	store := dbtest.WithPlans(t, cfg.Plans)
	clk := clock.NewFixed(start)
	p := newFakeProvider(clk)
	svc := billing.NewService(store, p, clk, billing.Options{CheckoutTTL: 30 * time.Minute, Policy: policy,
		ReturnURL: func(id string) string { return "https://portal.example/checkout/return?session_id=" + id },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil))})
	id := dbtest.Customer(t, store, "kei@example.com", start)
	return &fixture{store: store, svc: svc, provider: p, clock: clk, cust: billing.Customer{ID: id, Email: "kei@example.com"}, ctx: context.Background()}
}

func dates(invs []billing.Invoice) string {
	var out []string
	for i := len(invs) - 1; i >= 0; i-- { // oldest first
		out = append(out, invs[i].PeriodStart.Format(time.DateOnly)+"→"+invs[i].PeriodEnd.Format(time.DateOnly))
	}
	return strings.Join(out, " ")
}

func TestWeeklyRenewalsCrossMonthEnds(t *testing.T) {
	f := kumoFixture(t, nil) // 31 January 2027, 12:00
	f.subscribe(t, "studio-weekly")
	f.travel(t, 15*day) // 15 February: renewals on 7 and 14 February
	want := "2027-01-31→2027-02-07 2027-02-07→2027-02-14 2027-02-14→2027-02-21"
	invs := f.invoices(t)
	if got := dates(invs); got != want {
		t.Fatalf("weekly periods %s, want %s", got, want)
	}
	for _, inv := range invs {
		if inv.Amount != (billing.Money{Amount: 700, Currency: "JPY"}) || inv.Status != billing.InvoicePaid {
			t.Errorf("invoice %+v, want ¥700 paid", inv)
		}
	}
	if s := invs[0].Amount.String(); s != "¥700" {
		t.Errorf("¥ has no minor digits: %q", s)
	}
}

func TestQuarterlyRenewalsKeepTheAnniversary(t *testing.T) {
	f := kumoFixture(t, nil)
	f.subscribe(t, "studio-quarterly")
	f.travel(t, 275*day) // to 2 November 2027
	// From 31 January, every 3 months: 30 April (no 31st), then 31 July and 31 October again.
	want := "2027-01-31→2027-04-30 2027-04-30→2027-07-31 2027-07-31→2027-10-31 2027-10-31→2028-01-31"
	if got := dates(f.invoices(t)); got != want {
		t.Fatalf("quarterly periods %s, want %s", got, want)
	}
	if sub := f.sub(t); sub.PeriodEnd.Format(time.DateOnly) != "2028-01-31" || f.provider.chargeCount() != 3 {
		t.Fatalf("after three renewals: until %s, %d charges", sub.PeriodEnd, f.provider.chargeCount())
	}
}

func TestProrationAcrossWeekAndQuarter(t *testing.T) {
	t.Run("weekly to quarterly in the middle of a week", func(t *testing.T) {
		f := kumoFixture(t, nil)
		f.subscribe(t, "studio-weekly")
		f.travel(t, 7*day+84*time.Hour) // the second week, half gone: 7 + 3.5 days
		p, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "agency-quarterly", "now")
		if err != nil {
			t.Fatal(err)
		}
		// Half of ¥700 is unused: ¥19,000 − ¥350.
		if p.Quote.UnusedCredit.Amount != 350 || p.AmountDue != (billing.Money{Amount: 18650, Currency: "JPY"}) {
			t.Fatalf("quote %+v due %v", p.Quote, p.AmountDue)
		}
		if p.NewPeriodEnd.Format(time.DateOnly) != "2027-05-11" { // the new period starts at the change: 11 February + 3 months
			t.Errorf("new period ends %s", p.NewPeriodEnd)
		}
	})
	t.Run("quarterly to quarterly after the quarter turned", func(t *testing.T) {
		f := kumoFixture(t, nil)
		f.subscribe(t, "studio-quarterly")
		f.travel(t, 99*day) // 10 May 2027: the quarter of 30 April to 31 July (92 days), 82 days left
		p, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "agency-quarterly", "now")
		if err != nil {
			t.Fatal(err)
		}
		unused := int64(7500 * 82 / 92) // 6,684 after rounding down
		if p.Quote.UnusedCredit.Amount != unused || p.AmountDue.Amount != 19000-unused {
			t.Fatalf("quote %+v due %v, want unused %d", p.Quote, p.AmountDue, unused)
		}
	})
	t.Run("fortnightly down to weekly waits for the period end", func(t *testing.T) {
		f := kumoFixture(t, nil)
		f.subscribe(t, "agency-2weeks")
		p, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "studio-weekly", "")
		if err != nil || !p.Scheduled() || p.EffectiveAt.Format(time.DateOnly) != "2027-02-14" {
			t.Fatalf("downgrade %+v %v", p, err)
		}
	})
}

func TestOperatorPolicyRulesAndSwitches(t *testing.T) {
	quarter := billing.Interval{Unit: billing.UnitMonth, Count: 3}
	policy := &billing.Policy{
		Switches: billing.Switches{Cancel: false, SwitchInterval: true, Downgrade: false},
		Rules: []billing.Rule{
			{From: billing.Match{Product: "studio"}, To: billing.Match{Product: "agency", Interval: quarter}, Timings: []billing.Timing{billing.AtPeriodEnd}, Reason: "Agency starts at your renewal."},
			{To: billing.Match{Product: "agency"}, Refused: true, Reason: "Talk to us about Agency."},
		},
	}
	f := kumoFixture(t, policy)
	f.subscribe(t, "studio-quarterly")
	p, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "agency-quarterly", "")
	if err != nil || !p.Scheduled() || p.Decision.Reason != "Agency starts at your renewal." {
		t.Fatalf("first rule: %+v %v", p.Decision, err)
	}
	if _, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "agency-quarterly", "now"); err == nil {
		t.Error("the rule allows period_end only, yet now was accepted")
	}
	if _, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "agency-2weeks", ""); err == nil || !strings.Contains(err.Error(), "Talk to us about Agency.") {
		t.Errorf("second rule should refuse: %v", err)
	}
	if _, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "hobby", ""); err == nil || !strings.Contains(err.Error(), "free plan is not offered") {
		t.Errorf("cancel switched off should refuse the free plan: %v", err)
	}
	if _, err := f.svc.Cancel(f.ctx, billing.Actor{}, f.cust, "too_expensive", ""); err == nil {
		t.Error("cancel switched off, yet cancelling worked")
	}
	if _, err := f.svc.PreviewChange(f.ctx, f.cust.ID, "studio-weekly", ""); err != nil {
		t.Errorf("switching interval is on: %v", err)
	}
}

func TestIntervalWordsAndComparisons(t *testing.T) {
	cases := map[billing.Interval][2]string{
		billing.Week:                        {"Weekly", "every week"},
		billing.Month:                       {"Monthly", "every month"},
		{Unit: billing.UnitMonth, Count: 3}: {"Quarterly", "every 3 months"},
		{Unit: billing.UnitWeek, Count: 2}:  {"Every 2 weeks", "every 2 weeks"},
		billing.Year:                        {"Annual", "every year"},
	}
	for i, want := range cases {
		if i.Label() != want[0] || i.Every() != want[1] {
			t.Errorf("%+v: %q %q, want %q", i, i.Label(), i.Every(), want)
		}
		if back, ok := billing.ParseIntervalKey(i.Key()); !ok || back != i {
			t.Errorf("key %q does not read back", i.Key())
		}
	}
	jpy := func(a int64, i billing.Interval) billing.Plan {
		return billing.Plan{Interval: i, Price: billing.Money{Amount: a, Currency: "JPY"}}
	}
	// ¥700 a week (about ¥36,400 a year) costs more than ¥7,500 a quarter (¥30,000 a year).
	if billing.CompareMonthly(jpy(700, billing.Week), jpy(7500, billing.Interval{Unit: billing.UnitMonth, Count: 3})) != 1 {
		t.Error("weekly vs quarterly price comparison")
	}
	for m, want := range map[billing.Money]string{{Amount: 123456, Currency: "KWD"}: "123.456 KWD", {Amount: 1999, Currency: "INR"}: "₹19.99", {Amount: 500, Currency: "SEK"}: "5.00 SEK"} {
		if got := m.String(); got != want {
			t.Errorf("%+v = %q, want %q", m, got, want)
		}
	}
}
