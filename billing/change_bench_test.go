package billing_test

import (
	"fmt"
	"testing"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/dbtest"
)

// BenchmarkPlanChangeThroughCheckout requests a paid change and completes it
// with the provider's event: two transactions for the request, one for the
// payment.
func BenchmarkPlanChangeThroughCheckout(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		id := dbtest.Customer(b, f.store, fmt.Sprintf("bench%d@example.com", n), start)
		cust := billing.Customer{ID: id, Email: "bench@example.com"}
		res, err := f.svc.RequestChange(f.ctx, billing.Actor{UserID: id}, cust, "pro-monthly", "")
		if err != nil {
			b.Fatal(err)
		}
		cs := res.Checkout
		ev, ok := f.provider.pay(cs.ProviderRef)
		if !ok {
			b.Fatal("payment refused")
		}
		if err := f.svc.ApplyEvent(f.ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
