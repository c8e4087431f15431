package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/billingportal/portal/db/dbtest"
)

// BenchmarkSubscriptionPageQueries runs the reads behind one signed-in
// subscription page: the customer's subscription, the catalogue and the
// scheduled change.
func BenchmarkSubscriptionPageQueries(b *testing.B) {
	s := dbtest.New(b)
	id := dbtest.Customer(b, s, "bench@example.com", time.Now())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sub, err := s.Subscription(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Plans(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ScheduledChange(ctx, sub.ID); err == nil {
			b.Fatal("no change was scheduled")
		}
	}
}
