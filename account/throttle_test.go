package account_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/db/dbtest"
)

// stores runs a throttle test on each place the counts can live: this
// process's memory, and the database every process shares (on SQLite, or
// on PostgreSQL when dbtest says so).
func stores(t *testing.T, test func(t *testing.T, store account.ThrottleStore)) {
	t.Run("memory", func(t *testing.T) { test(t, account.NewMemoryThrottleStore()) })
	t.Run("database", func(t *testing.T) { test(t, dbtest.New(t).Throttle()) })
}

func TestThrottle(t *testing.T) { stores(t, testThrottle) }

func testThrottle(t *testing.T, store account.ThrottleStore) {
	clk := clock.NewFixed(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	th := account.NewThrottle(store, clk, 15*time.Minute, 3, 5, time.Second)
	for i := 0; i < 3; i++ {
		if w := th.Check("a@x", "1.1.1.1"); w != (account.Verdict{}) {
			t.Fatalf("attempt %d throttled", i)
		}
		th.Fail("a@x", "1.1.1.1")
		clk.Advance(time.Minute)
	}
	if w := th.Check("a@x", "2.2.2.2"); w.Wait != 12*time.Minute {
		t.Fatalf("account limit: wait %s, want 12m (until the first failure leaves the window)", w.Wait)
	}
	if w := th.Check("b@x", "1.1.1.1"); w != (account.Verdict{}) {
		t.Fatal("another account from the same address is throttled below the address limit")
	}
	th.Fail("b@x", "1.1.1.1")
	th.Fail("c@x", "1.1.1.1")
	if w := th.Check("d@x", "1.1.1.1"); w.Wait == 0 {
		t.Fatal("address limit not enforced")
	}
	clk.Advance(15 * time.Minute)
	if w := th.Check("a@x", "1.1.1.1"); w != (account.Verdict{}) {
		t.Fatalf("still throttled after the window: %+v", w)
	}
}

// A known address is slowed, never refused: failing on purpose cannot lock
// an account out of where it signs in, nor lock out a shared address.
func TestThrottleSlowsKnownAddressesInsteadOfRefusing(t *testing.T) {
	stores(t, testThrottleSlowsKnownAddresses)
}

func testThrottleSlowsKnownAddresses(t *testing.T, store account.ThrottleStore) {
	clk := clock.NewFixed(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	th := account.NewThrottle(store, clk, 15*time.Minute, 5, 20, 2*time.Second)
	th.Succeed("manager@x", "10.0.0.1") // the manager's office
	th.Succeed("alice@x", "10.0.0.9")   // alice behind the shared proxy
	for i := 0; i < 25; i++ {
		th.Fail("manager@x", "6.6.6.6") // an attacker names the manager
		th.Fail(fmt.Sprintf("guess%d@x", i), "10.0.0.9")
	}
	if v := th.Check("manager@x", "10.0.0.1"); v.Wait != 0 || v.Delay != 2*time.Second {
		t.Fatalf("manager at their usual address: %+v, want slowed by 2s", v)
	}
	if v := th.Check("manager@x", "6.6.6.6"); v.Wait == 0 {
		t.Fatal("the attacker's address is not refused")
	}
	if v := th.Check("manager@x", "7.7.7.7"); v.Wait == 0 {
		t.Fatal("a new address for a locked account is not refused")
	}
	if v := th.Check("alice@x", "10.0.0.9"); v.Wait != 0 || v.Delay == 0 {
		t.Fatalf("alice behind the shared address: %+v, want slowed", v)
	}
	if v := th.Check("newcomer@x", "10.0.0.9"); v.Wait == 0 {
		t.Fatal("a stranger at the failing address is not refused")
	}
	clk.Advance(31 * 24 * time.Hour)
	for i := 0; i < 25; i++ {
		th.Fail("manager@x", "6.6.6.6")
	}
	if v := th.Check("manager@x", "10.0.0.1"); v.Wait == 0 {
		t.Fatal("a sign-in over 30 days old still vouches for its address")
	}
}
