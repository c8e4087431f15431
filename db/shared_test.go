package db_test

import (
	"context"
	"testing"
	"time"

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
