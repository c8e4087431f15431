package db_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
)

// onPlan moves a new customer onto plan, as a paid change would.
func onPlan(t *testing.T, s *db.Store, email, plan string) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	id := dbtest.Customer(t, s, email, now)
	err := s.InTx(ctx, func(tx billing.Tx) error {
		sub, err := tx.Subscription(ctx, id)
		if err != nil {
			return err
		}
		if sub.Plan, err = tx.Plan(ctx, plan); err != nil {
			return err
		}
		sub.PeriodEnd = billing.PeriodEnd(now, sub.Plan.Interval, 1)
		return tx.UpdateSubscription(ctx, sub)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPriceOfAPlanWithSubscribersCannotChange(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t)
	onPlan(t, s, "bob@example.com", "pro-monthly")
	edits := map[string]string{
		"price":    "{id: pro-monthly, interval: month, amount: 3500, currency: USD}",
		"interval": "{id: pro-monthly, interval: month, interval_count: 3, amount: 2900, currency: USD}",
	}
	for name, line := range edits {
		edited := strings.Replace(example(t), "{id: pro-monthly, interval: month, amount: 2900, currency: USD}", line, 1)
		err := s.SyncCatalogue(ctx, configtest.Load(t, edited).Plans)
		var inUse *db.PlanInUseError
		if !errors.As(err, &inUse) {
			t.Fatalf("%s edit: %v, want PlanInUseError", name, err)
		}
		msg := err.Error()
		for _, want := range []string{`plan "pro-monthly" has subscribers`, "add a plan with a new id", `set "pro-monthly" to active: false`} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s edit: %q does not say %q", name, msg, want)
			}
		}
	}
	p, err := s.Plan(ctx, "pro-monthly")
	if err != nil || p.Price.Amount != 2900 || p.Interval != billing.Month {
		t.Fatalf("the refused edit wrote something: %+v %v", p, err)
	}
	// A plan without subscribers may change its price.
	cheaper := strings.Replace(example(t), "amount: 9900", "amount: 7900", 1)
	if err := s.SyncCatalogue(ctx, configtest.Load(t, cheaper).Plans); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Plan(ctx, "business-monthly"); p.Price.Amount != 7900 {
		t.Errorf("business-monthly = %d, want the new 7900", p.Price.Amount)
	}
}

func TestPlansLeftOutKeepSubscribersButTakeNone(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t)
	onPlan(t, s, "bob@example.com", "pro-monthly")
	// The new file drops pro-monthly, adds pro-monthly-2028 at a new price, renames the product and marks
	// starter-annual inactive.
	edited := strings.Replace(example(t), "{id: pro-monthly, interval: month, amount: 2900, currency: USD}",
		"{id: pro-monthly-2028, interval: month, amount: 3500, currency: USD}", 1)
	edited = strings.Replace(edited, "name: Pro\n", "name: Pro Plus\n", 1)
	edited = strings.Replace(edited, "{id: starter-annual, interval: year, amount: 9000, currency: USD}", "{id: starter-annual, interval: year, amount: 9000, currency: USD, active: false}", 1)
	if err := s.SyncCatalogue(ctx, configtest.Load(t, edited).Plans); err != nil {
		t.Fatal(err)
	}
	old, err := s.Plan(ctx, "pro-monthly")
	if err != nil || old.Active || old.Product.Name != "Pro Plus" {
		t.Fatalf("left-out plan: %+v %v", old, err)
	}
	if p, _ := s.Plan(ctx, "starter-annual"); p.Active {
		t.Error("active: false should stop selling starter-annual")
	}
	if p, _ := s.Plan(ctx, "pro-monthly-2028"); !p.Active || p.Product.Key != "pro" {
		t.Errorf("new plan %+v", p)
	}
	counts, err := s.PlanSubscribers(ctx)
	if err != nil || counts["pro-monthly"] != 1 {
		t.Errorf("bob should keep pro-monthly: %v %v", counts, err)
	}
}

// example is the text of portal.example.yaml, for edits.
func example(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(configtest.ExamplePath())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
