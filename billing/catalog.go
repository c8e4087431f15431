package billing

import "time"

// Interval is how often a plan bills.
type Interval string

// Billing intervals.
const (
	Month Interval = "month"
	Year  Interval = "year"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool { return i == Month || i == Year }

// Label is the word customers see: Monthly or Annual.
func (i Interval) Label() string {
	if i == Year {
		return "Annual"
	}
	return "Monthly"
}

// Months is the length of one period in months.
func (i Interval) Months() int64 {
	if i == Year {
		return 12
	}
	return 1
}

// Product is what a customer gets, whatever the billing interval.
type Product struct {
	ID          int64
	Name        string
	Description string
	Features    []string
	MaxApps     int // 0 means unlimited
	Watermark   bool
	Rank        int // order in the catalogue, cheapest first
}

// Plan is a price for a product at an interval. IDs are stable strings such
// as "pro-monthly" so that scripts and links can name them.
type Plan struct {
	ID        string
	Product   Product
	Interval  Interval
	Price     Money
	IsDefault bool // the free plan every customer falls back to
	Active    bool
}

// Name is the plan as customers read it, e.g. "Pro Annual".
func (p Plan) Name() string {
	if p.IsDefault || p.Price.Amount == 0 {
		return p.Product.Name
	}
	return p.Product.Name + " " + p.Interval.Label()
}

// Free reports whether the plan costs nothing.
func (p Plan) Free() bool { return p.Price.Amount == 0 }

// CompareMonthly orders two plans by monthly-equivalent price without
// dividing, so no cents are lost: it returns -1, 0 or 1.
func CompareMonthly(a, b Plan) int {
	l := a.Price.Amount * b.Interval.Months()
	r := b.Price.Amount * a.Interval.Months()
	switch {
	case l < r:
		return -1
	case l > r:
		return 1
	}
	return 0
}

// AnnualSaving is what paying yearly saves over twelve monthly payments of
// the same product; zero when there is no saving.
func AnnualSaving(monthly, annual Plan) Money {
	s := monthly.Price.Amount*12 - annual.Price.Amount
	if s < 0 {
		s = 0
	}
	return Money{Amount: s, Currency: annual.Price.Currency}
}

// PeriodEnd returns the end of the period that starts n periods after the
// anchor. Months are added to the anchor, never chained, so a customer who
// started on 31 January renews on 28 (or 29) February and 31 March, not 28 March.
func PeriodEnd(anchor time.Time, i Interval, n int) time.Time {
	return addMonths(anchor, int(i.Months())*n)
}

func addMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}
