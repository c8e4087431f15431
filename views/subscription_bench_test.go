package views

import (
	"context"
	"io"
	"testing"
)

// BenchmarkSubscriptionPage renders the subscription page component with a
// full picker, as the handler would.
func BenchmarkSubscriptionPage(b *testing.B) {
	p := SubscriptionPage{
		Page: Page{Title: "Your subscription", User: &User{Email: "bob@example.com"}, Nav: "subscription"},
		Current: CurrentPlan{ProductName: "Pro", Description: "For growing teams", Price: "$29.00",
			PriceSuffix: "/ month", Interval: "Monthly", Status: "active", StatusLabel: "Active", PeriodStart: "12 November 2026",
			PeriodEnd: "12 December 2026", RenewLabel: "Renews on", Features: []string{"10 apps", "No watermark", "Priority email support"},
			Limits: []Limit{{"Apps", "10"}, {"Watermark", "Removed"}}, CancelURL: "/subscription/cancel"},
		Scheduled: &Scheduled{PlanName: "Starter Monthly", Price: "$9.00 / month", Date: "12 December 2026"},
		Intervals: []IntervalOption{{"Monthly", "/subscription?interval=month", true}, {"Annual", "/subscription?interval=year", false}},
	}
	for _, name := range []string{"Starter", "Pro", "Business"} {
		p.Plans = append(p.Plans, PlanCard{ID: name, ProductName: name, Description: "A plan", Price: "$29.00", PriceSuffix: "/ month",
			Saving: "Save $58.00 a year with annual billing", Features: []string{"10 apps", "No watermark", "Custom domains"},
			ChooseURL: "/subscription/change?plan=x", ActionLabel: "Upgrade"})
	}
	p.FreePlans = []PlanCard{{ID: "free", ProductName: "Free", Price: "$0.00", ChooseURL: "/subscription/change?plan=free"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := Subscription(p).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
