package handlers

import (
	"fmt"
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

func priceSuffix(p billing.Plan) string {
	if p.Free() {
		return "forever"
	}
	return "/ " + string(p.Interval)
}

func planPrice(p billing.Plan) string {
	if p.Free() {
		return p.Price.String() + " forever"
	}
	return fmt.Sprintf("%s / %s", p.Price, p.Interval)
}

func limits(p billing.Product) []views.Limit {
	apps := "Unlimited"
	if p.MaxApps > 0 {
		apps = fmt.Sprint(p.MaxApps)
	}
	watermark := "Removed"
	if p.Watermark {
		watermark = "Shown on your apps"
	}
	return []views.Limit{{Name: "Apps", Value: apps}, {Name: "Watermark", Value: watermark}}
}

// negative formats a credit as a subtraction.
func negative(m billing.Money) string { return "−" + m.String() }
