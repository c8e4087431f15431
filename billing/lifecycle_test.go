package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
)

// subscribe puts the fixture's customer on plan through a paid checkout.
func (f *fixture) subscribe(t *testing.T, plan string) {
	t.Helper()
	f.pay(t, f.change(t, plan).Checkout, paid)
}

// travel moves billing time forward and runs the worker, twice: the second
// run must find nothing to do.
func (f *fixture) travel(t *testing.T, d time.Duration) {
	t.Helper()
	f.clock.Advance(d)
	if _, err := f.svc.RunDue(f.ctx); err != nil {
		t.Fatalf("worker: %v", err)
	}
	if n, err := f.svc.RunDue(f.ctx); err != nil || n != 0 {
		t.Fatalf("second run for the same moment did %d steps (%v)", n, err)
	}
}

const day = 24 * time.Hour

func TestAYearOfMonthlyRenewals(t *testing.T) {
	f := newFixture(t) // 31 January 2027, 12:00
	f.subscribe(t, "pro-monthly")
	f.travel(t, 366*day) // to 1 February 2028: twelve renewals in one advance
	sub := f.sub(t)
	want := []string{"2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31", "2027-08-31",
		"2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31", "2028-01-31"}
	invs := f.invoices(t)
	if len(invs) != 13 {
		t.Fatalf("%d invoices, want 1 + 12 renewals", len(invs))
	}
	for i, w := range want { // invoices are newest first
		got := invs[len(want)-1-i]
		if got.PeriodStart.Format(time.DateOnly) != w || got.Amount.Amount != 2900 || got.Status != billing.InvoicePaid {
			t.Errorf("renewal %d: %s %d %s, want %s", i+1, got.PeriodStart.Format(time.DateOnly), got.Amount.Amount, got.Status, w)
		}
	}
	if sub.Status != billing.Active || sub.PeriodEnd.Format(time.DateOnly) != "2028-02-29" {
		t.Fatalf("after a year: %s until %s", sub.Status, sub.PeriodEnd)
	}
	if f.provider.chargeCount() != 12 {
		t.Fatalf("%d charges, want 12", f.provider.chargeCount())
	}
}

func TestFailedRenewalRecoversByPaying(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "starter-monthly")
	f.provider.setDeclining(true)
	f.travel(t, 28*day) // 28 February: renewal declined
	sub := f.sub(t)
	if sub.Status != billing.Overdue || sub.OverdueInvoiceID == 0 || sub.Plan.ID != "starter-monthly" {
		t.Fatalf("after a declined renewal: %+v", sub)
	}
	now := f.clock.Now()
	if !sub.IsPeriodExpired(now) || sub.IsExpired(now) {
		t.Fatal("overdue within grace: the period is expired, the subscription is not")
	}
	if _, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-monthly", ""); err == nil {
		t.Fatal("an overdue customer could upgrade")
	}
	cs, err := f.svc.PayOverdue(f.ctx, billing.Actor{}, f.cust)
	if err != nil || cs.Amount.Amount != 900 || cs.Purpose != billing.ForOverdue {
		t.Fatalf("pay overdue: %+v %v", cs, err)
	}
	f.pay(t, &cs, paid)
	sub = f.sub(t)
	if sub.Status != billing.Active || !sub.NextRetryAt.IsZero() || sub.PeriodEnd.Format(time.DateOnly) != "2027-03-31" {
		t.Fatalf("after paying: %+v", sub)
	}
	if invs := f.invoices(t); invs[0].Status != billing.InvoicePaid {
		t.Fatalf("overdue invoice still %s", invs[0].Status)
	}
	before := f.provider.chargeCount()
	f.travel(t, 2*day)
	if f.provider.chargeCount() != before {
		t.Fatal("a retry ran after the invoice was paid")
	}
}

func TestRetrySucceedsOnceTheCardWorks(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "starter-monthly")
	f.provider.setDeclining(true)
	f.travel(t, 28*day)
	f.provider.setDeclining(false)
	f.travel(t, day) // first retry, one day later
	if sub := f.sub(t); sub.Status != billing.Active {
		t.Fatalf("after a successful retry: %s", sub.Status)
	}
}

func TestFailedRenewalEndsOnTheFreePlan(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "starter-monthly")
	f.provider.setDeclining(true)
	f.travel(t, 28*day)                                        // renewal fails on 28 February
	for _, d := range []time.Duration{day, 2 * day, 2 * day} { // retries on days 1, 3 and 5
		f.travel(t, d)
		if s := f.sub(t); s.Status != billing.Overdue || s.Plan.ID != "starter-monthly" {
			t.Fatalf("during grace: %s on %s", s.Status, s.Plan.ID)
		}
	}
	if n := f.provider.chargeCount(); n != 4 {
		t.Fatalf("%d charges, want the renewal and three retries", n)
	}
	f.travel(t, 2*day) // day 7: grace is over
	sub := f.sub(t)
	if sub.Status != billing.Canceled || sub.Plan.ID != "free" || sub.Renews() {
		t.Fatalf("after grace: %s on %s", sub.Status, sub.Plan.ID)
	}
	f.travel(t, 60*day)
	if n := f.provider.chargeCount(); n != 4 {
		t.Fatalf("charged again after cancellation: %d charges", n)
	}
	// A cancelled customer can subscribe again.
	if res := f.change(t, "starter-monthly"); res.Checkout == nil {
		t.Fatal("cannot subscribe again after cancellation")
	}
}

func TestScheduledDowngradeAppliesAtPeriodEnd(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	res := f.change(t, "starter-monthly")
	if !res.Scheduled || !res.Preview.EffectiveAt.Equal(time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("downgrade: %+v", res)
	}
	// A new request replaces the scheduled one.
	f.change(t, "starter-annual")
	if sc, _, _ := f.svc.ScheduledChange(f.ctx, f.cust.ID); sc.Plan.ID != "starter-annual" {
		t.Fatalf("scheduled = %s, want the latest request", sc.Plan.ID)
	}
	f.travel(t, 27*day)
	if f.sub(t).Plan.ID != "pro-monthly" {
		t.Fatal("the downgrade applied early")
	}
	f.travel(t, day)
	sub := f.sub(t)
	if sub.Plan.ID != "starter-annual" || sub.Status != billing.Active || sub.PeriodEnd.Format(time.DateOnly) != "2028-02-28" {
		t.Fatalf("after the period end: %s %s until %s", sub.Plan.ID, sub.Status, sub.PeriodEnd)
	}
	if invs := f.invoices(t); invs[0].Amount.Amount != 9000 || invs[0].Description != "Starter Annual renewal" {
		t.Fatalf("first invoice of the new plan: %+v", invs[0])
	}
	if _, ok, _ := f.svc.ScheduledChange(f.ctx, f.cust.ID); ok {
		t.Fatal("the applied change is still pending")
	}
}

func TestUndoScheduledChange(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	f.change(t, "free")
	if err := f.svc.CancelScheduledChange(f.ctx, billing.Actor{}, f.cust); err != nil {
		t.Fatal(err)
	}
	var conflict *billing.ConflictError
	if err := f.svc.CancelScheduledChange(f.ctx, billing.Actor{}, f.cust); !errors.As(err, &conflict) {
		t.Fatalf("undoing twice: %v", err)
	}
	f.travel(t, 28*day)
	if sub := f.sub(t); sub.Plan.ID != "pro-monthly" || sub.Status != billing.Active {
		t.Fatalf("after undo and period end: %s %s", sub.Plan.ID, sub.Status)
	}
}

func TestCancelThenResume(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-annual")
	if _, err := f.svc.Cancel(f.ctx, billing.Actor{}, f.cust, "missing_features", "Need SSO"); err != nil {
		t.Fatal(err)
	}
	if s := f.sub(t); !s.CancelAtPeriodEnd || s.CancelReason != "missing_features" || s.CancelComment != "Need SSO" {
		t.Fatalf("after cancel: %+v", s)
	}
	if err := f.svc.Resume(f.ctx, billing.Actor{}, f.cust); err != nil {
		t.Fatal(err)
	}
	f.travel(t, 366*day)
	if s := f.sub(t); s.Plan.ID != "pro-annual" || s.CancelAtPeriodEnd || f.provider.chargeCount() != 1 {
		t.Fatalf("after resume and a year: %s cancel=%v charges=%d", s.Plan.ID, s.CancelAtPeriodEnd, f.provider.chargeCount())
	}
}

func TestCancelThenPeriodEnd(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	f.change(t, "starter-monthly") // a scheduled change is withdrawn by cancelling
	if _, err := f.svc.Cancel(f.ctx, billing.Actor{}, f.cust, "too_expensive", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.svc.ScheduledChange(f.ctx, f.cust.ID); ok {
		t.Fatal("cancelling kept the scheduled change")
	}
	f.travel(t, 28*day)
	sub := f.sub(t)
	if sub.Plan.ID != "free" || sub.Status != billing.Canceled || sub.EndedAt.Format(time.DateOnly) != "2027-02-28" || f.provider.chargeCount() != 0 {
		t.Fatalf("after the period end: %s %s ended %s, %d charges", sub.Plan.ID, sub.Status, sub.EndedAt, f.provider.chargeCount())
	}
}

func TestCancelRejections(t *testing.T) {
	f := newFixture(t)
	var conflict *billing.ConflictError
	var invalid *billing.ValidationError
	if _, err := f.svc.Cancel(f.ctx, billing.Actor{}, f.cust, "too_expensive", ""); !errors.As(err, &conflict) {
		t.Fatalf("cancelling the free plan: %v", err)
	}
	f.subscribe(t, "pro-monthly")
	if _, err := f.svc.Cancel(f.ctx, billing.Actor{}, f.cust, "because", ""); !errors.As(err, &invalid) {
		t.Fatalf("unknown reason: %v", err)
	}
	if err := f.svc.Resume(f.ctx, billing.Actor{}, f.cust); !errors.As(err, &conflict) {
		t.Fatalf("resuming an active subscription: %v", err)
	}
}

func TestUpgradeIsProratedAndStartsANewPeriod(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly") // 31 Jan to 28 Feb 2027: 28 days
	f.clock.Advance(14 * day)     // half-way
	res := f.change(t, "business-monthly")
	if res.Checkout.Amount.Amount != 9900-1450 {
		t.Fatalf("due %d, want 9900 - 1450", res.Checkout.Amount.Amount)
	}
	f.pay(t, res.Checkout, paid)
	sub := f.sub(t)
	if sub.Plan.ID != "business-monthly" || !sub.PeriodStart.Equal(f.clock.Now()) {
		t.Fatalf("after upgrade: %+v", sub)
	}
	// The invoice keeps the calculation: the price, less the unused time.
	if inv := f.invoices(t)[0]; inv.Amount.Amount != 8450 || inv.ProrationCredit != 1450 || inv.CreditApplied != 0 {
		t.Fatalf("upgrade invoice: charged %d, proration %d, credit %d", inv.Amount.Amount, inv.ProrationCredit, inv.CreditApplied)
	}
	f.assertBooks(t)
}

func TestCreditBeyondTheNewPriceIsUsedAtRenewal(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-annual")
	f.clock.Advance(day)
	res := f.change(t, "business-monthly") // unused 28920 > 9900: applies at once, 19020 credit
	if !res.Applied || res.Checkout != nil {
		t.Fatalf("nothing due should apply at once: %+v", res)
	}
	if s := f.sub(t); s.Plan.ID != "business-monthly" || s.Credit != 19020 {
		t.Fatalf("after the change: %s credit %d", s.Plan.ID, s.Credit)
	}
	f.travel(t, 31*day) // first renewal: 9900 all from credit
	f.travel(t, 31*day) // second: 9120 credit left, 780 charged
	if s := f.sub(t); s.Credit != 0 {
		t.Fatalf("credit left %d", s.Credit)
	}
	if charged := f.provider.moneyTaken() - 29000; charged != 780 {
		t.Fatalf("charged %d, want 780 after credit", charged)
	}
	f.assertBooks(t)
}

// flakyProvider charges and then loses the answer once, as a network
// failure after the provider acted would.
type flakyProvider struct {
	*fakeProvider
	lost bool
}

func (p *flakyProvider) Charge(ctx context.Context, req billing.ChargeRequest) (billing.ChargeResult, error) {
	res, err := p.fakeProvider.Charge(ctx, req)
	if !p.lost {
		p.lost = true
		return billing.ChargeResult{}, errors.New("connection reset after charging")
	}
	return res, err
}

func TestLostChargeAnswerNeverChargesTwice(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	flaky := &flakyProvider{fakeProvider: f.provider}
	svc := billing.NewService(f.store, flaky, f.clock, billing.Options{})
	f.clock.Advance(28 * day)
	if _, err := svc.RunDue(f.ctx); err == nil {
		t.Fatal("the lost answer should surface as an error")
	}
	if s := f.sub(t); s.PeriodStart.Format(time.DateOnly) != "2027-01-31" {
		t.Fatal("a renewal was applied without the provider's answer")
	}
	if _, err := svc.RunDue(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Two calls with one idempotency key: the provider took the money once.
	if s := f.sub(t); s.PeriodEnd.Format(time.DateOnly) != "2027-03-31" || len(f.invoices(t)) != 2 || f.provider.chargeCount() != 2 {
		t.Fatalf("after retrying: period to %s, %d invoices, %d charge calls", s.PeriodEnd, len(f.invoices(t)), f.provider.chargeCount())
	}
	if m := f.assertBooks(t); m.Applied != 2*2900 {
		t.Fatalf("books after a lost answer: %+v", m)
	}
}

func TestUpgradeAtPeriodEndWhenAsked(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	res, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-annual", "period_end")
	if err != nil || !res.Scheduled {
		t.Fatalf("upgrade at period end: %+v %v", res, err)
	}
	if _, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "starter-monthly", "now"); err == nil {
		t.Fatal("a downgrade was allowed to apply now")
	}
}

// Stopping the worker (say, on SIGTERM) in the middle of a renewal lets that
// renewal finish and starts no other; the next run does the rest.
func TestRunDueStopsBetweenStepsNotInside(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	f.clock.Advance(366 * day) // twelve renewals due
	ctx, stop := context.WithCancel(f.ctx)
	f.provider.onCharge = stop // the signal arrives while the first renewal is being charged
	n, err := f.svc.RunDue(ctx)
	if err != nil || n != 1 {
		t.Fatalf("stopped run: %d steps (%v), want the one in progress", n, err)
	}
	if invs := f.invoices(t); len(invs) != 2 || invs[0].Status != billing.InvoicePaid {
		t.Fatalf("after stopping: %d invoices, want the first payment and one paid renewal", len(invs))
	}
	if got := f.sub(t).PeriodEnd.Format(time.DateOnly); got != "2027-03-31" {
		t.Fatalf("period ends %s after one renewal, want 2027-03-31", got)
	}
	f.provider.onCharge = nil
	if n, err := f.svc.RunDue(f.ctx); err != nil || n != 11 {
		t.Fatalf("the next run did %d steps (%v), want the other 11", n, err)
	}
}
