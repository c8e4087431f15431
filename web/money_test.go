package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/config/configtest"
)

func TestIdempotencyKeyHoldsUnderConcurrency(t *testing.T) {
	wall := newWall()
	srv := startAPI(t, wall.configure)
	token := personalToken(t, srv, "alice@example.com")
	path := "/api/v1/profile/subscriptions/change"
	const n = 8
	answers := make([]apptest.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = newAPI(t, srv, token).call(http.MethodPost, path, `{"subscriptionPlan":"pro-monthly"}`, "Idempotency-Key", "same-key")
		}()
	}
	wg.Wait()
	var firstBody string
	for _, r := range answers {
		switch r.StatusCode {
		case http.StatusOK:
			if firstBody == "" {
				firstBody = r.Body
			}
			if r.Body != firstBody {
				t.Fatalf("one key gave two answers:\n%s\n%s", firstBody, r.Body)
			}
		case http.StatusConflict:
			wantBody(t, r, "in progress")
		default:
			t.Fatalf("concurrent duplicate answered %d: %s", r.StatusCode, r.Body)
		}
	}
	if firstBody == "" {
		t.Fatal("no request ran")
	}
	if open := openCheckouts(t, srv, "alice@example.com"); len(open) != 1 {
		t.Fatalf("%d checkouts from one key", len(open))
	}
	alice := newAPI(t, srv, token)
	wantAPI(t, alice.call(http.MethodPost, path, `{"subscriptionPlan":"pro-monthly"}`, "Idempotency-Key", "same-key"), http.StatusOK, "payment_url")
	// Keys expire after a day: the same key then runs a new request.
	wall.Advance(25 * time.Hour)
	r := alice.call(http.MethodPost, path, `{"subscriptionPlan":"business-monthly"}`, "Idempotency-Key", "same-key")
	wantAPI(t, r, http.StatusOK, "payment_url")
	if r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("an expired key replayed")
	}
}

// The portal is down when the customer pays: the sandbox keeps the event in
// its queue, with backoff, across the portal's restart, and delivers it
// when the portal is back.
func TestSandboxRedeliversFromItsQueueAfterAnOutage(t *testing.T) {
	wall := newWall()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := app.Config{BaseURL: "http://" + addr, Demo: true, Wall: wall, PasswordCost: 4,
		Logger: quietLogger(), Portal: configtest.Example(t)}
	apptest.UseTestDatabase(t, &cfg)
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: a.Handler}
	go func() { _ = hs.Serve(ln) }()
	srv := &apptest.Server{URL: cfg.BaseURL, App: a}
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	paymentPath := startCheckout(t, c, "pro-monthly")
	id := paymentPath[strings.LastIndex(paymentPath, "/")+1:]

	_ = hs.Close() // the portal goes down
	if _, err := a.Sandbox.Complete(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	for range 3 { // attempts while it is down back off
		wall.Advance(time.Hour)
		a.Sandbox.DeliverDue(context.Background())
	}
	s, _ := a.Sandbox.Session(context.Background(), id)
	if !s.DeliveredAt.IsZero() || s.Attempts < 3 || !s.NextAttemptAt.After(wall.Now()) {
		t.Fatalf("queue while down: %+v", s)
	}
	_ = a.Close()

	// A new process on the same database, a day later.
	wall.Advance(24 * time.Hour)
	a, err = app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	hs = &http.Server{Handler: a.Handler}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	if sub, _ := a.Billing.Subscription(context.Background(), aliceID(t, a)); sub.Plan.ID != "free" {
		t.Fatal("the change applied without the event")
	}
	a.Sandbox.DeliverDue(context.Background())
	if sub, _ := a.Billing.Subscription(context.Background(), aliceID(t, a)); sub.Plan.ID != "pro-monthly" {
		t.Fatalf("after the portal came back: %s", sub.Plan.ID)
	}
	if vs, err := a.Billing.CheckBooks(context.Background()); err != nil || len(vs) != 0 {
		t.Fatalf("books: %+v %v", vs, err)
	}
}

func aliceID(t *testing.T, a *app.App) int64 {
	t.Helper()
	u, err := a.Store.Accounts().UserByEmail(context.Background(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestManagersSeeTheHealthOfTheBooks(t *testing.T) {
	srv := apptest.Start(t)
	m := srv.NewClient(t)
	m.Login("manager@example.com")
	wantBody(t, m.Get("/manage/health"), `data-testid="books-clean"`)
	if _, err := srv.App.Store.Writer().Exec(`UPDATE subscriptions SET credit = credit + 500
		WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')`); err != nil {
		t.Fatal(err)
	}
	wantBody(t, m.Get("/manage/health"), `data-testid="books-violations"`, "credit-balance", "credit 500 but its entries add up to 0")
	js := m.Do(http.MethodGet, "/manage/health", nil, "Accept", "application/json")
	wantBody(t, js, `"clean":false`, `"rule":"credit-balance"`)
	customer := srv.NewClient(t)
	customer.Login("bob@example.com")
	wantStatus(t, customer.Get("/manage/health"), http.StatusNotFound)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
