package stripe_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/billingportal/portal/checkout/stripe"
	"github.com/billingportal/portal/clock"
)

func TestTestModeFollowsTheKey(t *testing.T) {
	for key, test := range map[string]bool{"sk_test_12345678": true, "rk_test_12345678": true, "sk_live_12345678": false, "rk_live_12345678": false} {
		p, err := stripe.New(stripe.Config{SecretKey: key, WebhookSecret: "whsec_12345678", Clock: clock.System{}, Wall: clock.System{}})
		if err != nil {
			t.Fatal(err)
		}
		if p.TestMode() != test {
			t.Errorf("%s: test mode %v", key, p.TestMode())
		}
	}
}

func TestCheckoutOrigin(t *testing.T) {
	for base, want := range map[string]string{"": "https://checkout.stripe.com", "http://127.0.0.1:4010": "http://127.0.0.1:4010",
		"https://api.stripe.com/": "https://api.stripe.com"} {
		if got := stripe.CheckoutOrigin(base); got != want {
			t.Errorf("CheckoutOrigin(%q) = %q, want %q", base, got, want)
		}
	}
}

// The README's `stripe listen` line names every event type the portal acts on.
func TestReadmeListsTheEventsToEnable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.Contains(l, "--events ") {
			line = l
		}
	}
	listed := strings.Split(strings.Fields(line[strings.Index(line, "--events ")+len("--events "):])[0], ",")
	if !slices.Equal(listed, stripe.EventTypes) {
		t.Fatalf("README enables %v; the portal acts on %v", listed, stripe.EventTypes)
	}
}
