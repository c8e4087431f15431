package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/dbtest"
)

// A claim is held by one owner until it is released or lapses; its owner
// may renew it.
func TestWorkClaims(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	claim := func(owner string, at time.Time) bool {
		t.Helper()
		ok, err := s.ClaimWork(ctx, "subscription:1", owner, at, at.Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim("a", now) {
		t.Fatal("a free item was not claimed")
	}
	if claim("b", now.Add(10*time.Second)) {
		t.Fatal("b took a live claim")
	}
	if !claim("a", now.Add(20*time.Second)) {
		t.Fatal("a could not renew its own claim")
	}
	if claim("b", now.Add(40*time.Second)) {
		t.Fatal("b took a's renewed claim before it lapsed")
	}
	if !claim("b", now.Add(51*time.Second)) {
		t.Fatal("b could not take a lapsed claim (its owner died)")
	}
	if err := s.ReleaseWork(ctx, "subscription:1", "a"); err != nil { // a no longer holds it: nothing happens
		t.Fatal(err)
	}
	if claim("c", now.Add(52*time.Second)) {
		t.Fatal("a released b's claim")
	}
	if err := s.ReleaseWork(ctx, "subscription:1", "b"); err != nil {
		t.Fatal(err)
	}
	if !claim("c", now.Add(53*time.Second)) {
		t.Fatal("a released item was not claimed")
	}
}

// Read-then-write transactions on one row from many goroutines at once
// (on PostgreSQL they fail each other and run again, in turn) lose no
// update: the credit counts every one.
func TestConcurrentReadThenWriteTransactionsLoseNothing(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t)
	uid := dbtest.Customer(t, s, "hot@example.com", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	const writers = 24
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx billing.Tx) error {
				sub, err := tx.Subscription(ctx, uid)
				if err != nil {
					return err
				}
				sub.Credit++
				return tx.UpdateSubscription(ctx, sub)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sub, err := s.Subscription(ctx, uid)
	if err != nil || sub.Credit != writers {
		t.Fatalf("credit %d after %d increments (%v)", sub.Credit, writers, err)
	}
}
