package billing

import (
	"testing"
	"time"
)

func TestPeriodEndKeepsTheAnniversary(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 9, 30, 0, 0, time.UTC) }
	cases := []struct {
		name   string
		anchor time.Time
		i      Interval
		n      int
		want   time.Time
	}{
		{"31 Jan + 1 month, common year", d(2027, 1, 31), Month, 1, d(2027, 2, 28)},
		{"31 Jan + 1 month, leap year", d(2028, 1, 31), Month, 1, d(2028, 2, 29)},
		{"31 Jan + 2 months is 31 March, not 28", d(2027, 1, 31), Month, 2, d(2027, 3, 31)},
		{"31 Jan + 3 months is 30 April", d(2027, 1, 31), Month, 3, d(2027, 4, 30)},
		{"29 Feb + 1 year", d(2028, 2, 29), Year, 1, d(2029, 2, 28)},
		{"29 Feb + 4 years", d(2028, 2, 29), Year, 4, d(2032, 2, 29)},
		{"15 Dec + 1 month crosses the year", d(2026, 12, 15), Month, 1, d(2027, 1, 15)},
		{"12 months", d(2027, 1, 31), Month, 12, d(2028, 1, 31)},
	}
	for _, c := range cases {
		if got := PeriodEnd(c.anchor, c.i, c.n); !got.Equal(c.want) {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestCompareMonthlyAndSaving(t *testing.T) {
	usd := func(c int64) Money { return Money{Amount: c, Currency: "USD"} }
	pm := Plan{ID: "pro-monthly", Interval: Month, Price: usd(2900)}
	pa := Plan{ID: "pro-annual", Interval: Year, Price: usd(29000)}
	sm := Plan{ID: "starter-monthly", Interval: Month, Price: usd(900)}
	if CompareMonthly(pa, pm) != -1 || CompareMonthly(pm, sm) != 1 || CompareMonthly(pm, pm) != 0 {
		t.Error("CompareMonthly orders by monthly-equivalent price")
	}
	if s := AnnualSaving(pm, pa); s.Amount != 5800 {
		t.Errorf("saving = %d, want 5800", s.Amount)
	}
}

func TestMoneyString(t *testing.T) {
	cases := map[Money]string{
		{29000, "USD"}: "$290.00", {5, "USD"}: "$0.05", {123456789, "USD"}: "$1,234,567.89",
		{-1250, "EUR"}: "-€12.50", {1000, "JPY"}: "¥1,000", {1250, "CHF"}: "12.50 CHF",
	}
	for m, want := range cases {
		if got := m.String(); got != want {
			t.Errorf("%+v = %q, want %q", m, got, want)
		}
	}
}
