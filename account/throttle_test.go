package account

import (
	"testing"
	"time"

	"github.com/billingportal/portal/clock"
)

func TestThrottle(t *testing.T) {
	clk := clock.NewFixed(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	th := NewThrottle(clk, 15*time.Minute, 3, 5)
	for i := 0; i < 3; i++ {
		if w := th.Wait("a@x", "1.1.1.1"); w != 0 {
			t.Fatalf("attempt %d throttled", i)
		}
		th.Fail("a@x", "1.1.1.1")
		clk.Advance(time.Minute)
	}
	if w := th.Wait("a@x", "2.2.2.2"); w != 12*time.Minute {
		t.Fatalf("account limit: wait %s, want 12m (until the first failure leaves the window)", w)
	}
	if w := th.Wait("b@x", "1.1.1.1"); w != 0 {
		t.Fatal("another account from the same address is throttled below the address limit")
	}
	th.Fail("b@x", "1.1.1.1")
	th.Fail("c@x", "1.1.1.1")
	if w := th.Wait("d@x", "1.1.1.1"); w == 0 {
		t.Fatal("address limit not enforced")
	}
	clk.Advance(15 * time.Minute)
	if w := th.Wait("a@x", "1.1.1.1"); w != 0 {
		t.Fatalf("still throttled after the window: %s", w)
	}
}
