package billing

import "time"

// Quote is the price of an immediate change, with its workings.
type Quote struct {
	Price         Money // the new plan's price for a full period
	UnusedCredit  Money // value of the unused part of the current period
	AccountCredit Money // account credit used
	Due           Money // what the customer pays now, never below zero
	CreditAfter   Money // account credit left once the change applies
}

// Prorate prices moving sub to plan to at now: the new price, minus the
// unused part of the current period's price (by the second, rounded down so
// the portal never credits more than was paid), minus account credit. What
// the credits exceed the price by stays as account credit.
func Prorate(sub Subscription, to Plan, now time.Time) Quote {
	cur := to.Price.Currency
	unused := unusedValue(sub, now)
	q := Quote{Price: to.Price, UnusedCredit: Money{unused, cur}}
	due := to.Price.Amount - unused
	if due < 0 {
		q.CreditAfter = Money{-due + sub.Credit, cur}
		q.Due = Money{0, cur}
		return q
	}
	used := min(sub.Credit, due)
	q.AccountCredit = Money{used, cur}
	q.Due = Money{due - used, cur}
	q.CreditAfter = Money{sub.Credit - used, cur}
	return q
}

// unusedValue is the current plan's price times the share of the paid
// period still to come. Nothing is unused on the free plan, or while the
// current period is unpaid.
func unusedValue(sub Subscription, now time.Time) int64 {
	if sub.Plan.Free() || !sub.Renews() || sub.Status == Overdue || !now.Before(sub.PeriodEnd) {
		return 0
	}
	total := int64(sub.PeriodEnd.Sub(sub.PeriodStart) / time.Second)
	left := int64(sub.PeriodEnd.Sub(now) / time.Second)
	if total <= 0 {
		return 0
	}
	left = min(left, total)
	return sub.Plan.Price.Amount * left / total
}
