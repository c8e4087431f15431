package billing

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Unit is the calendar unit a plan bills in.
type Unit string

// Billing units.
const (
	UnitWeek  Unit = "week"
	UnitMonth Unit = "month"
	UnitYear  Unit = "year"
)

// Interval is how often a plan bills: a unit times a count, so month × 3
// is quarterly. Intervals compare with ==.
type Interval struct {
	Unit  Unit
	Count int // at least 1
}

// The usual pair, which the picker and the Leadping API name Monthly and Annual.
var (
	Month = Interval{UnitMonth, 1}
	Year  = Interval{UnitYear, 1}
	Week  = Interval{UnitWeek, 1}
)

// MaxIntervalCount bounds interval_count: anything longer than this is a
// typing mistake rather than a billing cycle.
const MaxIntervalCount = 36

// ParseInterval reads a unit and count as the configuration and the
// database hold them; a count of 0 means 1.
func ParseInterval(unit string, count int) (Interval, error) {
	if count == 0 {
		count = 1
	}
	i := Interval{Unit(unit), count}
	if !i.Valid() {
		return Interval{}, fmt.Errorf("interval %q × %d: the unit must be week, month or year and the count 1 to %d", unit, count, MaxIntervalCount)
	}
	return i, nil
}

// Valid reports whether i is a known unit with a sensible count.
func (i Interval) Valid() bool {
	switch i.Unit {
	case UnitWeek, UnitMonth, UnitYear:
		return i.Count >= 1 && i.Count <= MaxIntervalCount
	}
	return false
}

// Key names the interval in URLs and the interval picker: "month", "year",
// "week", or "month-3" for quarterly.
func (i Interval) Key() string {
	if i.Count == 1 {
		return string(i.Unit)
	}
	return string(i.Unit) + "-" + strconv.Itoa(i.Count)
}

// ParseIntervalKey reads what Key writes.
func ParseIntervalKey(s string) (Interval, bool) {
	unit, n, found := strings.Cut(s, "-")
	count := 1
	if found {
		var err error
		if count, err = strconv.Atoi(n); err != nil || count < 2 {
			return Interval{}, false
		}
	}
	i := Interval{Unit(unit), count}
	return i, i.Valid()
}

// Label is the adjective customers see: Weekly, Monthly, Quarterly,
// Annual, or "Every 2 weeks".
func (i Interval) Label() string {
	switch i {
	case Week:
		return "Weekly"
	case Month:
		return "Monthly"
	case Interval{UnitMonth, 3}:
		return "Quarterly"
	case Interval{UnitMonth, 6}:
		return "Half-yearly"
	case Year:
		return "Annual"
	}
	return "Every " + i.Phrase()
}

// Phrase is the length of one period in words: "month", "3 months".
func (i Interval) Phrase() string {
	if i.Count == 1 {
		return string(i.Unit)
	}
	return strconv.Itoa(i.Count) + " " + string(i.Unit) + "s"
}

// Every is how often a plan bills, in words: "every month", "every 3 months".
func (i Interval) Every() string { return "every " + i.Phrase() }

// perYear is how many whole units fit in a year, for comparing prices of
// different intervals without division. A year has a little over 52
// weeks; 52 keeps the comparison in integers and only matters for prices
// within 0.3% of each other.
func (u Unit) perYear() int64 {
	switch u {
	case UnitWeek:
		return 52
	case UnitMonth:
		return 12
	}
	return 1
}

// CompareLength orders intervals by the length of one period: -1, 0 or 1.
func CompareLength(a, b Interval) int {
	switch {
	case longer(b, a):
		return -1
	case longer(a, b):
		return 1
	}
	return 0
}

// Entitlements are what a product grants: integer limits (-1 means
// unlimited) and on/off flags, named by the operator.
type Entitlements struct {
	Limits map[string]int64
	Flags  map[string]bool
}

// Unlimited is the limit value that means no limit.
const Unlimited = -1

// Limit returns the named limit and whether the product sets it.
func (e Entitlements) Limit(name string) (int64, bool) {
	v, ok := e.Limits[name]
	return v, ok
}

// LimitNames and FlagNames list the entitlements in a stable order.
func (e Entitlements) LimitNames() []string { return sortedKeys(e.Limits) }

// FlagNames lists the flags by name.
func (e Entitlements) FlagNames() []string { return sortedKeys(e.Flags) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Product is what a customer gets, whatever the billing interval.
type Product struct {
	ID           int64
	Key          string // the operator's id for it, e.g. "pro"
	Name         string
	Description  string
	Features     []string
	Entitlements Entitlements
	Rank         int // order in the catalogue and the up/down-grade relation
}

// Same reports whether two products are one: stored products by id,
// products fresh from the configuration file by key.
func (p Product) Same(o Product) bool { return p.ID == o.ID && p.Key == o.Key }

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

// CompareMonthly orders two plans by their price over the same length of
// time, without dividing, so no minor units are lost: it returns -1, 0 or 1.
func CompareMonthly(a, b Plan) int {
	// price per year = amount × perYear(unit) / count
	l := a.Price.Amount * a.Interval.Unit.perYear() * int64(b.Interval.Count)
	r := b.Price.Amount * b.Interval.Unit.perYear() * int64(a.Interval.Count)
	switch {
	case l < r:
		return -1
	case l > r:
		return 1
	}
	return 0
}

// Upgrade reports whether moving from one plan to another is a move up the
// catalogue: to a product of higher rank, or within a product to a higher
// price over the same time.
func Upgrade(from, to Plan) bool {
	if !from.Product.Same(to.Product) && from.Product.Rank != to.Product.Rank {
		return to.Product.Rank > from.Product.Rank
	}
	return CompareMonthly(to, from) > 0
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
	count := max(i.Count, 1)
	switch i.Unit {
	case UnitWeek:
		return anchor.AddDate(0, 0, 7*count*n)
	case UnitYear:
		return addMonths(anchor, 12*count*n)
	}
	return addMonths(anchor, count*n)
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
