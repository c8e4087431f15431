package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// Dates are shown in UTC, the zone they are stored in, written out so no
// reader confuses day and month.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

// shortDay is day with the month abbreviated, for tight columns.
func shortDay(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// priceSuffix follows the price: "/ month", "every 3 months", "forever".
func priceSuffix(p billing.Plan) string {
	switch {
	case p.Free():
		return "forever"
	case p.Interval.Count == 1:
		return "/ " + string(p.Interval.Unit)
	}
	return p.Interval.Every()
}

// planPrice is the price with its interval, e.g. "$29.00 / month".
func planPrice(p billing.Plan) string {
	if p.Free() || p.Interval.Count == 1 {
		return p.Price.String() + " " + priceSuffix(p)
	}
	return p.Price.String() + " " + p.Interval.Every()
}

// limits lists a product's entitlements by their names: limits first
// ("Apps: 10", "Seats: Unlimited"), then flags ("Watermark: Yes").
func limits(p billing.Product) []views.Limit {
	var out []views.Limit
	for _, name := range p.Entitlements.LimitNames() {
		v := p.Entitlements.Limits[name]
		value := strconv.FormatInt(v, 10)
		if v == billing.Unlimited {
			value = "Unlimited"
		}
		out = append(out, views.Limit{Name: entitlementName(name), Value: value})
	}
	for _, name := range p.Entitlements.FlagNames() {
		value := "No"
		if p.Entitlements.Flags[name] {
			value = "Yes"
		}
		out = append(out, views.Limit{Name: entitlementName(name), Value: value})
	}
	return out
}

// entitlementName writes an operator's key for people: "api_calls" → "Api calls".
func entitlementName(key string) string {
	s := strings.ReplaceAll(key, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// negative formats a credit as a subtraction.
func negative(m billing.Money) string { return "−" + m.String() }
