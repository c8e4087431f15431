package demo_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/sandbox"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
	"github.com/billingportal/portal/demo"
)

func TestSeedIsIdempotentAndMatchesTheContract(t *testing.T) {
	store := dbtest.New(t)
	now := time.Date(2027, 3, 10, 8, 0, 0, 0, time.UTC)
	accounts := account.NewService(store.Accounts(), store.Accounts(), clock.NewFixed(now), account.NewThrottle(account.NewMemoryThrottleStore(), clock.NewFixed(now), time.Minute, 5, 5, time.Second), account.Config{PasswordCost: bcrypt.MinCost})
	ctx := context.Background()
	cards, err := sandbox.OpenStore(ctx, store.Writer(), store.Engine() == db.Postgres, store.MigrateFS)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := demo.Seed(ctx, accounts, store, cards, now); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	plans, err := store.Plans(ctx)
	if err != nil || len(plans) != 7 {
		t.Fatalf("plans: %d %v", len(plans), err)
	}
	want := map[string]struct {
		plan   string
		status billing.Status
		cancel bool
	}{
		"alice@example.com": {"free", billing.Active, false},
		"bob@example.com":   {"pro-monthly", billing.Active, false},
		"carol@example.com": {"starter-annual", billing.Overdue, false},
		"dave@example.com":  {"pro-annual", billing.Active, true},
	}
	for email, w := range want {
		u, err := store.Accounts().UserByEmail(ctx, email)
		if err != nil {
			t.Fatalf("%s: %v", email, err)
		}
		sub, err := store.Subscription(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Plan.ID != w.plan || sub.Status != w.status || sub.CancelAtPeriodEnd != w.cancel {
			t.Errorf("%s: %s %s cancel=%v", email, sub.Plan.ID, sub.Status, sub.CancelAtPeriodEnd)
		}
		if sub.Renews() && !(sub.PeriodStart.Before(now) && sub.PeriodEnd.After(now)) {
			t.Errorf("%s: period %s to %s does not contain now", email, sub.PeriodStart, sub.PeriodEnd)
		}
	}
	// The demo's paid invoices are in the ledger: its books are clean.
	if vs, err := store.BookViolations(ctx); err != nil || len(vs) != 0 {
		t.Fatalf("demo books: %+v %v", vs, err)
	}
	m, err := store.Accounts().UserByEmail(ctx, "manager@example.com")
	if err != nil || m.Role != account.Manager {
		t.Fatalf("manager: %+v %v", m, err)
	}
}
