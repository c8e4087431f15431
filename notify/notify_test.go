package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/notify"
	"github.com/billingportal/portal/webhooksig"
)

const secret = "app-webhook-secret-0123456789abcdef0123"

// receiver is the app: it refuses the first `failures` deliveries.
type receiver struct {
	mu       sync.Mutex
	failures int
	got      []http.Header
	bodies   [][]byte
	badSigs  int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if webhooksig.Verify(req.Header.Get(webhooksig.Header), body, [][]byte{[]byte(secret)}, time.Now()) != nil {
		r.badSigs++
	}
	r.got, r.bodies = append(r.got, req.Header.Clone()), append(r.bodies, body)
	if len(r.got) <= r.failures {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestDeliveryRetriesAcrossARestart(t *testing.T) {
	recv := &receiver{failures: 2}
	app1 := httptest.NewServer(recv)
	defer app1.Close()
	wall := clock.NewOffset(clock.System{})
	cfg := app.Config{BaseURL: "http://127.0.0.1:1", Demo: true, Wall: wall, Portal: configtest.Example(t),
		PasswordCost: bcrypt.MinCost, AppWebhookURL: app1.URL, AppWebhookSecret: secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	apptest.UseTestDatabase(t, &cfg)
	ctx := context.Background()

	first, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := first.Store.Accounts().UserByEmail(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Billing.RequestChange(ctx, billing.Actor{UserID: bob.ID, Email: bob.Email}, billing.Customer{ID: bob.ID, Email: bob.Email}, "starter-monthly", ""); err != nil {
		t.Fatal(err)
	}
	deliver := func(a *app.App, want int) {
		t.Helper()
		n, err := a.Notifier.DeliverDue(ctx)
		if err != nil || n != want {
			t.Fatalf("delivered %d (%v), want %d", n, err, want)
		}
	}
	deliver(first, 0) // refused
	deliver(first, 0) // not due again yet: backoff
	_ = wall.Advance(ctx, notify.Backoff(1))
	deliver(first, 0) // refused again
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := app.New(ctx, cfg) // the restart: the queue is in the database
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = wall.Advance(ctx, notify.Backoff(2))
	deliver(second, 1)
	deliver(second, 0)

	if len(recv.got) != 3 || recv.badSigs != 0 {
		t.Fatalf("%d deliveries, %d badly signed", len(recv.got), recv.badSigs)
	}
	id := recv.got[0].Get("Billing-Event-Id")
	for _, h := range recv.got {
		if h.Get("Billing-Event-Id") != id {
			t.Fatal("retries carried different event ids")
		}
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			UserID          string `json:"user_id"`
			PlanID          string `json:"plan_id"`
			ScheduledChange struct {
				PlanID string `json:"plan_id"`
			} `json:"scheduled_change"`
		} `json:"data"`
	}
	if err := json.Unmarshal(recv.bodies[2], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != id || ev.Type != "subscription.updated" || ev.Data.PlanID != "pro-monthly" || ev.Data.ScheduledChange.PlanID != "starter-monthly" {
		t.Fatalf("event %+v", ev)
	}
	recent, err := second.Store.RecentNotifications(ctx, 10)
	if err != nil || len(recent) != 1 || recent[0].Attempts != 3 || recent[0].DeliveredAt.IsZero() {
		t.Fatalf("stored notification: %+v %v", recent, err)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	for i, w := range want {
		if got := notify.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if notify.Backoff(50) != time.Hour {
		t.Error("backoff is not capped at an hour")
	}
}
