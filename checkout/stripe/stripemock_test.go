package stripe_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/stripe"
	"github.com/billingportal/portal/clock"
)

// stripeMockVersion is the stripe-mock scripts/ensure-stripe-mock.sh installs.
const stripeMockVersion = "v0.203.0"

// startStripeMock runs stripe-mock, which validates every request against
// Stripe's OpenAPI description, on free ports until the test ends. `make
// test` installs it (scripts/ensure-stripe-mock.sh) and sets
// STRIPE_MOCK_REQUIRED, so there a missing binary fails the test.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK")
	if bin == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		bin = filepath.Join(cache, "billingportal", "stripe-mock-"+stripeMockVersion, "stripe-mock")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("STRIPE_MOCK_REQUIRED") != "" {
			t.Fatalf("stripe-mock is not installed at %s: run scripts/ensure-stripe-mock.sh", bin)
		}
		t.Skipf("stripe-mock is not installed (%s); `make test` installs it with scripts/ensure-stripe-mock.sh", bin)
	}
	httpPort, httpsPort := freePort(t), freePort(t)
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:"+httpPort, "-https-addr", "127.0.0.1:"+httpsPort)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://127.0.0.1:" + httpPort
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/customers")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// TestEveryStripeRequestIsValidForStripesAPI sends each request the
// provider makes to stripe-mock, which answers 400 to any parameter
// Stripe's API does not take.
func TestEveryStripeRequestIsValidForStripesAPI(t *testing.T) {
	base := startStripeMock(t)
	clk := clock.NewFixed(time.Now())
	p, err := stripe.New(stripe.Config{SecretKey: "sk_test_123456789abc", WebhookSecret: "whsec_123456789abc", APIBase: base,
		Clock: clk, Wall: clock.System{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cust := billing.Customer{ID: 7, Email: "ann@example.com"}

	ref, err := p.EnsureCustomer(ctx, cust, "")
	if err != nil || ref == "" {
		t.Fatalf("create customer: %q %v", ref, err)
	}
	if got, err := p.EnsureCustomer(ctx, cust, ref); err != nil || got != ref {
		t.Fatalf("update customer: %q %v", got, err)
	}
	pc, err := p.CreateCheckout(ctx, billing.CheckoutRequest{SessionID: "cs_portal_1", Amount: billing.Money{Amount: 2900, Currency: "USD"},
		Description: "Pro Monthly, from 1 March 2027", Customer: cust, CustomerRef: ref,
		ReturnURL: "https://portal.example/checkout/return?session_id=cs_portal_1", ExpiresAt: clk.Now().Add(stripe.CheckoutTTL)})
	if err != nil || pc.Ref == "" || pc.PaymentURL == "" {
		t.Fatalf("create checkout session: %+v %v", pc, err)
	}
	url, err := p.CreateCardSetup(ctx, billing.CardSetupRequest{Key: "setup_1", Customer: cust, CustomerRef: ref, Currency: "USD",
		ReturnURL: "https://portal.example/subscription?notice=card_saved", CancelURL: "https://portal.example/subscription",
		ExpiresAt: clk.Now().Add(24 * time.Hour)})
	if err != nil || url == "" {
		t.Fatalf("create setup session: %q %v", url, err)
	}
	if err := p.ExpireCheckout(ctx, pc.Ref); err != nil {
		t.Fatalf("expire checkout session: %v", err)
	}
	res, err := p.Charge(ctx, billing.ChargeRequest{Key: "renewal:1:1798761600", Amount: billing.Money{Amount: 2900, Currency: "USD"},
		Customer: cust, CustomerRef: ref, PaymentMethodRef: "pm_card_visa", Description: "Pro Monthly renewal"})
	if err != nil || res.PaymentRef == "" || res.Outcome == "" {
		t.Fatalf("off-session payment intent: %+v %v", res, err)
	}

	// The mock does refuse what Stripe would, so the calls above were checked.
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/checkout/sessions", strings.NewReader("mode=payment&not_a_parameter=1"))
	req.Header.Set("Authorization", "Bearer sk_test_123456789abc")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("stripe-mock answered %d to an unknown parameter", resp.StatusCode)
	}
}
