package billing_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
)

// The scenarios below are the ones testers found money lost or doubled in.
// Each ends by checking the books: the provider's money is all in the
// ledger, applied to a paid invoice or held as credit, nothing twice.

func TestTwoTabsTwoPlansPayingBothPages(t *testing.T) {
	f := newFixture(t)
	a := f.change(t, "pro-monthly").Checkout      // tab 1
	b := f.change(t, "business-monthly").Checkout // tab 2 supersedes tab 1
	_, okA := f.provider.pay(a.ProviderRef)       // the customer pays tab 1's page anyway
	evB, okB := f.provider.pay(b.ProviderRef)
	if okA || !okB {
		t.Fatalf("the provider took payment for a superseded checkout (%v) or refused the live one (%v)", okA, okB)
	}
	f.deliver(t, evB)
	if s := f.sub(t); s.Plan.ID != "business-monthly" {
		t.Fatalf("on %s", s.Plan.ID)
	}
	f.assertBooks(t)
}

func TestTwoTabsWhenTheFirstIsPaidBeforeTheSecondPost(t *testing.T) {
	f := newFixture(t)
	a := f.change(t, "pro-monthly").Checkout
	evA, _ := f.provider.pay(a.ProviderRef) // paid; its event is still on its way
	_, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "business-monthly", "")
	var conflict *billing.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("a change while a payment is being confirmed: %v, want a conflict", err)
	}
	f.deliver(t, evA)
	if s := f.sub(t); s.Plan.ID != "pro-monthly" {
		t.Fatalf("the paid change did not apply: %s", s.Plan.ID)
	}
	f.assertBooks(t)
}

// A tab's page is being made at the provider while another tab's change
// closes its checkout: that page must never reach the customer.
func TestPageMadeForACheckoutClosedMeanwhileIsNeverHandedOut(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{})
	f.provider.gate = gate
	errs := make(chan error, 1)
	go func() {
		_, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-monthly", "")
		errs <- err
	}()
	waitFor(t, func() bool { c, _, _ := f.provider.counts(); return c == 1 }) // tab 1 is at the provider
	f.provider.mu.Lock()
	f.provider.gate = nil
	f.provider.mu.Unlock()
	b := f.change(t, "business-monthly").Checkout // tab 2 closes tab 1's checkout (no page yet)
	close(gate)
	err := <-errs
	var conflict *billing.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("tab 1 got %v, want a conflict (replaced)", err)
	}
	for ref, s := range f.provider.sessions {
		if ref != b.ProviderRef && s.status == "open" {
			t.Fatalf("a payment page for a closed checkout is still live at the provider: %s", ref)
		}
	}
	f.pay(t, b, paid)
	f.assertBooks(t)
}

func TestConcurrentTabsEachPayWhatTheyGot(t *testing.T) {
	for round := range 20 {
		f := newFixture(t)
		var wg sync.WaitGroup
		got := make([]*billing.CheckoutSession, 6)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				plan := []string{"pro-monthly", "business-monthly", "starter-annual"}[i%3]
				res, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, plan, "")
				if err == nil {
					got[i] = res.Checkout
				}
			}()
		}
		wg.Wait()
		for _, cs := range got { // the customer pays every page they were sent to
			if cs == nil {
				continue
			}
			if ev, ok := f.provider.pay(cs.ProviderRef); ok {
				f.deliver(t, ev)
			}
		}
		m := f.assertBooks(t)
		if m.Applied == 0 {
			t.Fatalf("round %d: no change was paid for at all", round)
		}
	}
}

func TestPaidAfterARenewalKeepsTheRenewal(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "starter-monthly")       // 31 January, renews 28 February
	f.clock.Advance(28*day - 5*time.Minute) // five minutes before the renewal
	cs := f.change(t, "pro-monthly").Checkout
	ev, _ := f.provider.pay(cs.ProviderRef)
	f.clock.Advance(10 * time.Minute)
	if _, err := f.svc.RunDue(f.ctx); err != nil { // the worker renews Starter first
		t.Fatal(err)
	}
	f.deliver(t, ev)
	sub := f.sub(t)
	if sub.Plan.ID != "pro-monthly" {
		t.Fatalf("the paid change did not apply: %s", sub.Plan.ID)
	}
	// The renewal just paid is not thrown away: its unused value comes off
	// Pro's price at payment time, and what the customer paid beyond that
	// is credit.
	if sub.Credit <= 0 {
		t.Fatalf("credit %d: the renewal's money was lost", sub.Credit)
	}
	m := f.assertBooks(t)
	if m.Credited != sub.Credit {
		t.Fatalf("credit %d, books %+v", sub.Credit, m)
	}
}

func TestPayNowRacingADunningRetry(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "starter-monthly")
	f.provider.setDeclining(true)
	f.travel(t, 28*day) // renewal declined: overdue
	cs, err := f.svc.PayOverdue(f.ctx, billing.Actor{}, f.cust)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := f.provider.pay(cs.ProviderRef) // paid with a new card; event on its way
	f.provider.setDeclining(false)
	f.travel(t, day) // the retry charges the saved card and settles the invoice
	f.deliver(t, ev) // then the checkout's payment arrives
	sub := f.sub(t)
	if sub.Status != billing.Active || sub.Credit != 900 {
		t.Fatalf("after both: %s, credit %d; the second payment must become credit", sub.Status, sub.Credit)
	}
	f.assertBooks(t)
	// The credit pays the next renewal: nothing is charged then.
	before := f.provider.chargeCount()
	f.travel(t, 31*day)
	if f.provider.chargeCount() != before || f.sub(t).Credit != 0 {
		t.Fatalf("credit not used at renewal: %d calls, credit %d", f.provider.chargeCount()-before, f.sub(t).Credit)
	}
	f.assertBooks(t)
}

func TestEventsTwiceAndOutOfOrder(t *testing.T) {
	f := newFixture(t)
	a := f.change(t, "pro-monthly").Checkout
	ev, _ := f.provider.pay(a.ProviderRef)
	// A decline for the same checkout arriving first (out of order) closes
	// it; the payment arriving after is never dropped.
	f.deliver(t, billing.Event{ID: "evt_decline_first", Kind: billing.EventCheckoutFailed, CheckoutRef: a.ProviderRef})
	f.deliver(t, ev)
	f.deliver(t, ev)
	if s := f.sub(t); s.Plan.ID != "free" || s.Credit != 2900 {
		t.Fatalf("plan %s credit %d", s.Plan.ID, s.Credit)
	}
	f.assertBooks(t)
}

func TestDoubleSubmitWithAProviderRefusingConcurrentKeys(t *testing.T) {
	f := newFixture(t)
	f.provider.refuseConcurrent = true
	gate := make(chan struct{})
	f.provider.gate = gate
	var wg sync.WaitGroup
	urls := make([]string, 8)
	errs := make([]error, 8)
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.RequestChange(f.ctx, billing.Actor{}, f.cust, "pro-annual", "")
			if errs[i] = err; err == nil {
				urls[i] = res.Checkout.PaymentURL
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(gate)
	wg.Wait()
	for i, u := range urls {
		if errs[i] != nil {
			t.Fatalf("request %d: %v (a refused sibling must wait for the page, not fail)", i, errs[i])
		}
		if u != urls[0] {
			t.Fatalf("double submit gave different pages: %v", urls)
		}
	}
	creates, _, _ := f.provider.counts()
	if f.provider.sessionCount() != 1 || creates < 1 {
		t.Fatalf("%d provider checkouts from %d calls", f.provider.sessionCount(), creates)
	}
	open, _ := f.store.OpenCheckoutSessions(f.ctx, f.cust.ID)
	if len(open) != 1 {
		t.Fatalf("%d open checkouts", len(open))
	}
	f.pay(t, &open[0], paid)
	if f.sub(t).Plan.ID != "pro-annual" {
		t.Fatal("the payment did not apply")
	}
	f.assertBooks(t)
}

func TestAsynchronousRenewalSettlesByWebhook(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	f.provider.setChargeOutcome(billing.ChargeOutcomePending)
	f.travel(t, 28*day)
	f.travel(t, time.Hour) // the worker waits for the webhook; it never charges again
	if n := f.provider.chargeCount(); n != 1 {
		t.Fatalf("%d charge calls while pending", n)
	}
	f.provider.mu.Lock()
	key := f.provider.chargeCalls[0].Key
	f.provider.taken = append(f.provider.taken, f.provider.chargeCalls[0].Amount) // the bank settles
	f.provider.mu.Unlock()
	ev := billing.Event{ID: "evt_pi_ok", Kind: billing.EventChargeSucceeded, ChargeKey: key, PaymentRef: "pi_" + key,
		Amount: billing.Money{Amount: 2900, Currency: "USD"}}
	f.deliver(t, ev)
	f.deliver(t, ev)
	if s := f.sub(t); s.Status != billing.Active || s.PeriodEnd.Format(time.DateOnly) != "2027-03-31" {
		t.Fatalf("after the webhook: %s until %s", s.Status, s.PeriodEnd)
	}
	f.assertBooks(t)
}

func TestRenewalNeedingTheCustomerGoesOverdueAndLateSuccessSettles(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	f.provider.setChargeOutcome(billing.ChargeOutcomeNeedsAction)
	f.travel(t, 28*day)
	if s := f.sub(t); s.Status != billing.Overdue {
		t.Fatalf("3-D Secure needed: %s, want overdue with Pay now", s.Status)
	}
	// The customer confirms with their bank later; the provider reports it.
	f.provider.mu.Lock()
	key := f.provider.chargeCalls[0].Key
	f.provider.taken = append(f.provider.taken, f.provider.chargeCalls[0].Amount)
	f.provider.mu.Unlock()
	f.deliver(t, billing.Event{ID: "evt_late_ok", Kind: billing.EventChargeSucceeded, ChargeKey: key, PaymentRef: "pi_late_" + key,
		Amount: billing.Money{Amount: 2900, Currency: "USD"}})
	if s := f.sub(t); s.Status != billing.Active {
		t.Fatalf("after the late success: %s", s.Status)
	}
	f.assertBooks(t)
}

func TestRefundMarksTheInvoiceAndKeepsThePlan(t *testing.T) {
	f := newFixture(t)
	f.subscribe(t, "pro-monthly")
	ref := "pay_ref_" + f.provider.createCalls[0].SessionID
	f.deliver(t, billing.Event{ID: "evt_refund_1", Kind: billing.EventRefunded, PaymentRef: ref, Amount: billing.Money{Amount: 1000, Currency: "USD"}})
	f.deliver(t, billing.Event{ID: "evt_refund_2", Kind: billing.EventRefunded, PaymentRef: ref, Amount: billing.Money{Amount: 1000, Currency: "USD"}})
	invs := f.invoices(t)
	if len(invs) != 1 || invs[0].Refunded != 1000 || f.sub(t).Plan.ID != "pro-monthly" {
		t.Fatalf("after a partial refund (sent twice): %+v on %s", invs, f.sub(t).Plan.ID)
	}
	f.deliver(t, billing.Event{ID: "evt_refund_3", Kind: billing.EventRefunded, PaymentRef: ref, Amount: billing.Money{Amount: 2900, Currency: "USD"}})
	if invs := f.invoices(t); invs[0].Refunded != 2900 {
		t.Fatalf("after a full refund: %d", invs[0].Refunded)
	}
	if vs, _ := f.svc.CheckBooks(f.ctx); len(vs) != 0 {
		t.Fatalf("books: %+v", vs)
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out waiting")
}
