package billing_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/dbtest"
)

// modelOps is how many random operations the model test runs: 10,000 in
// make test (1,000 under -race, whose pass make test follows with a full
// one without it), more with MODEL_OPS (make soak).
func modelOps(t *testing.T) int {
	if v := os.Getenv("MODEL_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("MODEL_OPS=%q: %v", v, err)
		}
		return n
	}
	if raceDetector {
		return 1_000
	}
	return 10_000
}

// TestModelRandomSequencesKeepTheBooks drives many customers through random
// sequences (fixed seed) of changes, double submits, payments, declines,
// expiries, renewals, clock advances, replays and reordered events, and
// checks the books after every step: every invariant holds and every cent
// the provider took is recorded, applied or credited, never twice.
func TestModelRandomSequencesKeepTheBooks(t *testing.T) {
	if testing.Short() {
		t.Skip("model test skipped in -short mode")
	}
	seed := uint64(20261121)
	if v := os.Getenv("MODEL_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := newFixture(t)
	m := &model{f: f, rng: rng}
	m.custs = append(m.custs, f.cust)
	for i := range 5 {
		email := fmt.Sprintf("model%d@example.com", i)
		m.custs = append(m.custs, billing.Customer{ID: dbtest.Customer(t, f.store, email, start), Email: email})
	}
	ops := modelOps(t)
	counts := map[string]int{}
	for step := range ops {
		name := m.step(t)
		counts[name]++
		if t.Failed() {
			t.Fatalf("seed %d, step %d (%s): stopped", seed, step, name)
		}
		m.check(t, step, name)
	}
	m.deliverAll(t)
	b := f.assertBooks(t)
	t.Logf("seed %d: %d operations %v; %d pages paid; provider took %d: applied %d, credited %d",
		seed, ops, counts, m.paid, f.provider.moneyTaken(), b.Applied, b.Credited)
	if m.paid < ops/50 || b.Credited == 0 || b.Applied == 0 {
		t.Fatalf("the model hardly exercised payments: %d paid, %+v", m.paid, b)
	}
}

type model struct {
	f       *fixture
	rng     *rand.Rand
	custs   []billing.Customer
	pages   []billing.CheckoutSession // every page a customer was sent to
	queued  []billing.Event           // events the provider has not delivered yet
	sent    []billing.Event           // events delivered, for replays
	pending int64                     // money taken whose event is still queued
	paid    int                       // pages paid
}

var modelPlans = []string{"free", "starter-monthly", "starter-annual", "pro-monthly", "pro-annual", "business-monthly", "business-annual"}

func (m *model) cust() billing.Customer { return m.custs[m.rng.IntN(len(m.custs))] }

// step runs one random operation and names it.
func (m *model) step(t *testing.T) string {
	f, ctx := m.f, m.f.ctx
	switch r := m.rng.IntN(100); {
	case r < 22:
		plan := modelPlans[m.rng.IntN(len(modelPlans))]
		timing := []string{"", "now", "period_end"}[m.rng.IntN(3)]
		if res, err := f.svc.RequestChange(ctx, billing.Actor{}, m.cust(), plan, timing); err == nil && res.Checkout != nil {
			m.pages = append(m.pages, *res.Checkout)
		}
		return "change"
	case r < 25:
		m.doubleSubmit(t, false)
		return "double-submit"
	case r < 27:
		m.doubleSubmit(t, true)
		return "two-tabs"
	case r < 47:
		m.payPage(t)
		return "pay"
	case r < 52:
		if len(m.pages) > 0 {
			cs := m.pages[m.rng.IntN(len(m.pages))]
			m.queued = append(m.queued, f.provider.decline(cs.ProviderRef))
		}
		return "decline"
	case r < 64:
		m.deliverOne(t)
		return "deliver"
	case r < 68:
		if len(m.sent) > 0 {
			f.deliver(t, m.sent[m.rng.IntN(len(m.sent))])
		}
		return "replay"
	case r < 74:
		f.clock.Advance(m.untilNextDue())
		if _, err := f.svc.RunDue(ctx); err != nil {
			t.Fatalf("worker: %v", err)
		}
		return "advance-to-due"
	case r < 80:
		d := []time.Duration{time.Minute, 5 * time.Minute, 20 * time.Minute, 2 * time.Hour, day, 3 * day, 10 * day, 32 * day}[m.rng.IntN(8)]
		f.clock.Advance(d)
		if _, err := f.svc.RunDue(ctx); err != nil {
			t.Fatalf("worker: %v", err)
		}
		return "advance"
	case r < 85:
		f.provider.setChargeOutcome([]billing.ChargeOutcome{billing.ChargeOutcomeSucceeded, billing.ChargeOutcomeSucceeded,
			billing.ChargeOutcomeFailed, billing.ChargeOutcomeNeedsAction}[m.rng.IntN(4)])
		return "card"
	case r < 90:
		if cs, err := f.svc.PayOverdue(ctx, billing.Actor{}, m.cust()); err == nil && cs.ID != "" {
			m.pages = append(m.pages, cs)
		}
		return "pay-overdue"
	case r < 94:
		_, _ = f.svc.Cancel(ctx, billing.Actor{}, m.cust(), "too_expensive", "")
		return "cancel"
	case r < 97:
		_ = f.svc.Resume(ctx, billing.Actor{}, m.cust())
		return "resume"
	}
	_ = f.svc.CancelScheduledChange(ctx, billing.Actor{}, m.cust())
	return "undo"
}

// untilNextDue is the time to just past the next renewal, retry or end of
// grace of any customer, so that lifecycle steps happen while checkout
// pages are still open.
func (m *model) untilNextDue() time.Duration {
	now := m.f.clock.Now()
	next := now.Add(32 * day)
	for _, c := range m.custs {
		sub, err := m.f.svc.Subscription(m.f.ctx, c.ID)
		if err != nil {
			continue
		}
		for _, at := range []time.Time{sub.PeriodEnd, sub.NextRetryAt, sub.GraceEndsAt} {
			if at.After(now) && at.Before(next) {
				next = at
			}
		}
	}
	return next.Sub(now) + time.Second
}

// doubleSubmit posts a change twice at once: the same one (a double
// click), or two different ones (two tabs).
func (m *model) doubleSubmit(t *testing.T, twoTabs bool) {
	cust, plan := m.cust(), modelPlans[1+m.rng.IntN(len(modelPlans)-1)]
	other := plan
	if twoTabs {
		other = modelPlans[1+m.rng.IntN(len(modelPlans)-1)]
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 2 {
		wg.Add(1)
		go func() {
			plan := plan
			if i == 1 {
				plan = other
			}
			defer wg.Done()
			res, err := m.f.svc.RequestChange(m.f.ctx, billing.Actor{}, cust, plan, "")
			if err == nil && res.Checkout != nil {
				mu.Lock()
				m.pages = append(m.pages, *res.Checkout)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// payPage pays a page the customer was sent to; the event is delivered at
// once, twice, or queued to arrive later and in another order.
func (m *model) payPage(t *testing.T) {
	if len(m.pages) == 0 {
		return
	}
	// Mostly one of the last pages handed out, sometimes any old one.
	i := len(m.pages) - 1 - m.rng.IntN(min(len(m.pages), 4))
	if m.rng.IntN(5) == 0 {
		i = m.rng.IntN(len(m.pages))
	}
	ev, ok := m.f.provider.pay(m.pages[i].ProviderRef)
	if !ok {
		return
	}
	m.paid++
	switch m.rng.IntN(4) {
	case 0, 1:
		m.send(t, ev)
	case 2:
		m.send(t, ev)
		m.send(t, ev)
	default:
		m.queued = append(m.queued, ev)
		m.pending += ev.Amount.Amount
	}
}

func (m *model) send(t *testing.T, ev billing.Event) {
	m.f.deliver(t, ev)
	m.sent = append(m.sent, ev)
}

// deliverOne delivers a random queued event: out of order by design.
func (m *model) deliverOne(t *testing.T) {
	if len(m.queued) == 0 {
		return
	}
	i := m.rng.IntN(len(m.queued))
	ev := m.queued[i]
	m.queued = append(m.queued[:i], m.queued[i+1:]...)
	if ev.Kind == billing.EventCheckoutPaid {
		m.pending -= ev.Amount.Amount
	}
	m.send(t, ev)
}

func (m *model) deliverAll(t *testing.T) {
	for len(m.queued) > 0 {
		m.deliverOne(t)
	}
}

// check verifies the books after a step: the invariants hold, nothing is
// held, and the money the provider took is in the ledger but for the
// events still on their way, all applied or credited.
func (m *model) check(t *testing.T, step int, name string) {
	t.Helper()
	vs, err := m.f.svc.CheckBooks(m.f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("step %d (%s): %s %s: %s", step, name, v.Rule, v.Subject, v.Detail)
	}
	b := dbtest.Books(t, m.f.store)
	taken := m.f.provider.moneyTaken()
	if b.Recorded+m.pending != taken || b.Applied+b.Credited != b.Recorded || b.Held != 0 {
		t.Fatalf("step %d (%s): provider took %d, %d on its way; ledger %+v", step, name, taken, m.pending, b)
	}
}
