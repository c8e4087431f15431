package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/db"
)

// Two portals on one database (two processes behind a load balancer)
// share the sign-in throttle: failures counted by one refuse sign-in at
// the other.
func TestTwoPortalsShareTheSignInThrottle(t *testing.T) {
	one := apptest.Start(t)
	two := one.Another(t)
	for i := 0; i < 5; i++ {
		r := one.NewClient(t).Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"wrong-password"}})
		wantStatus(t, r, http.StatusUnauthorized)
	}
	r := two.NewClient(t).Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}})
	wantStatus(t, r, http.StatusTooManyRequests)
}

// The test clock's offset is kept in the database: a restart keeps it on
// either engine, and on PostgreSQL, where several processes may share the
// database, an advance through one portal holds at once in the other.
func TestTestClockOffsetIsKeptInTheDatabase(t *testing.T) {
	one := apptest.Start(t, func(c *app.Config) { c.APIKey = serverKey })
	two := one.Another(t)
	advance(t, one, "720h")
	if lag := one.App.Billing.Now().Sub(time.Now()); lag < 719*time.Hour {
		t.Fatalf("the advancing portal is %s ahead, want 720h", lag)
	}
	if one.App.Store.Engine() == db.Postgres {
		if lag := two.App.Billing.Now().Sub(time.Now()); lag < 719*time.Hour {
			t.Fatalf("the other portal is %s ahead after the advance, want 720h", lag)
		}
	}
	restarted := one.Another(t)
	if lag := restarted.App.Billing.Now().Sub(time.Now()); lag < 719*time.Hour {
		t.Fatalf("after a restart billing time is %s ahead, want 720h", lag)
	}
}

// Both portals' workers run at once over the same due renewals: each
// subscription's steps are applied by one of them (they claim it), so
// each renewal is charged once and the books stay clean.
func TestTwoWorkersApplyEachRenewalOnce(t *testing.T) {
	one := apptest.Start(t, func(c *app.Config) { c.APIKey = serverKey })
	two := one.Another(t)
	for i := 0; i < 8; i++ { // customers on Pro Monthly, who renew every month
		email := fmt.Sprintf("renews%d@example.com", i)
		c := one.NewClient(t)
		if _, err := one.App.Accounts.CreateUser(context.Background(), email, "", "demodemo", account.Customer); err != nil {
			t.Fatal(err)
		}
		c.Login(email)
		pay(t, c, startCheckout(t, c, "pro-monthly"), "pay")
	}
	before := len(invoices(t, one, "renews0@example.com"))
	// Billing time moves 3 months (on PostgreSQL both portals see it at
	// once; on SQLite the second one restarts to see it), then both
	// workers run together, twice each.
	advance(t, one, "2208h")
	if one.App.Store.Engine() != db.Postgres {
		two = one.Another(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, srv := range []*apptest.Server{one, two, one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := srv.App.Billing.RunDue(context.Background()); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		email := fmt.Sprintf("renews%d@example.com", i)
		if got := len(invoices(t, one, email)) - before; got != 3 {
			t.Errorf("%s: %d renewal invoices over 3 months, want 3", email, got)
		}
	}
	if vs, err := one.App.Store.BookViolations(context.Background()); err != nil || len(vs) > 0 {
		t.Fatalf("books: %v %v", vs, err)
	}
}

func advance(t *testing.T, srv *apptest.Server, d string) {
	t.Helper()
	r := srv.NewClient(t).Raw(http.MethodPost, "/api/v1/test-clock/advance", `{"duration":"`+d+`"}`,
		"Authorization", "Bearer "+serverKey, "Content-Type", "application/json")
	wantStatus(t, r, http.StatusOK)
}

// advanceBilling moves billing time without running the worker.
func advanceBilling(t *testing.T, srv *apptest.Server, d time.Duration) {
	t.Helper()
	if err := srv.App.Clock.Advance(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}
