package email_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/db/dbtest"
	"github.com/billingportal/portal/email"
	"github.com/billingportal/portal/email/smtptest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func queue(t *testing.T, store *db.Store, userID int64, to string, at time.Time) string {
	t.Helper()
	m := billing.Mail{ID: "mail_test_" + to, UserID: userID, To: to, Kind: billing.MailCancellation, Subject: "Your subscription is cancelled",
		Text: "plain words", HTML: "<p>html words</p>", Status: billing.MailQueued, NextAttemptAt: at, CreatedAt: at}
	if err := store.InTx(context.Background(), func(tx billing.Tx) error { return tx.EnqueueMail(context.Background(), m) }); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func sender(t *testing.T, store *db.Store, addr string, clk email.Clock) *email.Sender {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	server, err := email.ParseSMTPURL("smtp://" + host + ":" + port)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := email.ParseFrom("Acme Billing <billing@acme.test>")
	return email.NewSender(store, server, from, nil, clk, quiet)
}

func TestMailIsRetriedAfterTheServerWasDownAndDeliveredOnce(t *testing.T) {
	ctx := context.Background()
	store := dbtest.New(t)
	clk := clock.NewFixed(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	uid := dbtest.Customer(t, store, "erin@example.com", clk.Now())
	id := queue(t, store, uid, "erin@example.com", clk.Now())
	addr := freeAddr(t)
	s := sender(t, store, addr, clk)

	if n, err := s.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("with the server down: sent %d, err %v", n, err)
	}
	mails, _ := store.Mails(ctx, "erin@example.com")
	if m := mails[0]; m.Status != billing.MailQueued || m.Attempts != 1 || !m.NextAttemptAt.Equal(clk.Now().Add(30*time.Second)) || m.LastError == "" {
		t.Fatalf("after a failed attempt: %+v", m)
	}
	if n, _ := s.DeliverDue(ctx); n != 0 {
		t.Fatal("retried before the backoff ran out")
	}
	if mails, _ := store.Mails(ctx, "erin@example.com"); mails[0].Attempts != 1 {
		t.Fatal("an attempt was made before the backoff ran out")
	}

	srv := smtptest.StartAt(t, addr)
	clk.Advance(31 * time.Second)
	if n, err := s.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("with the server up: sent %d, err %v", n, err)
	}
	clk.Advance(time.Hour)
	if n, _ := s.DeliverDue(ctx); n != 0 {
		t.Fatal("a sent mail was sent again")
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].From != "billing@acme.test" || len(got[0].To) != 1 || got[0].To[0] != "erin@example.com" {
		t.Errorf("envelope %s → %v", got[0].From, got[0].To)
	}
	p, err := smtptest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Your subscription is cancelled" || !strings.Contains(p.Text, "plain words") || !strings.Contains(p.HTML, "html words") {
		t.Errorf("message: subject %q text %q html %q", p.Subject, p.Text, p.HTML)
	}
	if mid := p.Header.Get("Message-Id"); !strings.Contains(mid, id+"@acme.test") {
		t.Errorf("Message-ID %q does not carry the outbox id", mid)
	}
	mails, _ = store.Mails(ctx, "erin@example.com")
	if m := mails[0]; m.Status != billing.MailSent || m.Attempts != 2 || m.LastError != "" {
		t.Fatalf("after delivery: %+v", m)
	}
}

func TestTwoSendersNeverSendOneMailTwice(t *testing.T) {
	ctx := context.Background()
	store := dbtest.New(t)
	clk := clock.NewFixed(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	srv := smtptest.Start(t)
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		queue(t, store, dbtest.Customer(t, store, to, clk.Now()), to, clk.Now())
	}
	var wg sync.WaitGroup
	total := make(chan int, 3)
	for range 3 {
		wg.Go(func() {
			n, err := sender(t, store, srv.Addr, clk).DeliverDue(ctx)
			if err != nil {
				t.Error(err)
			}
			total <- n
		})
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	if got := len(srv.Messages()); got != 4 || sum != 4 {
		t.Fatalf("server received %d, senders reported %d; want 4 and 4", got, sum)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	store := dbtest.New(t)
	clk := clock.NewFixed(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	queue(t, store, dbtest.Customer(t, store, "f@example.com", clk.Now()), "f@example.com", clk.Now())
	s := sender(t, store, freeAddr(t), clk)
	for i := 1; i <= email.MaxAttempts; i++ {
		if _, err := s.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(email.Backoff(i))
	}
	mails, _ := store.Mails(ctx, "f@example.com")
	if m := mails[0]; m.Status != billing.MailFailed || m.Attempts != email.MaxAttempts {
		t.Fatalf("after %d failures: %+v", email.MaxAttempts, m)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]email.SMTP{
		"smtp://mail.example.com":               {Host: "mail.example.com", Port: 587},
		"smtps://u%40x:p%3Ass@mail.example.com": {Host: "mail.example.com", Port: 465, TLS: true, Username: "u@x", Password: "p:ss"},
		"smtp://user:pass@127.0.0.1:2525":       {Host: "127.0.0.1", Port: 2525, Username: "user", Password: "pass"},
	} {
		got, err := email.ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://mail.example.com", "smtp://", "smtp://host:99999", "mail.example.com:25"} {
		if _, err := email.ParseSMTPURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A process that stops between the SMTP call and recording its result
// leaves the mail "sending": it is never tried again (at most once).
func TestAnInterruptedSendIsNotRepeated(t *testing.T) {
	ctx := context.Background()
	store := dbtest.New(t)
	clk := clock.NewFixed(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	srv := smtptest.Start(t)
	id := queue(t, store, dbtest.Customer(t, store, "g@example.com", clk.Now()), "g@example.com", clk.Now())
	if ok, err := store.ClaimMail(ctx, id, clk.Now()); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	clk.Advance(24 * time.Hour)
	if n, _ := sender(t, store, srv.Addr, clk).DeliverDue(ctx); n != 0 || len(srv.Messages()) != 0 {
		t.Fatal("a mail claimed by a stopped sender was sent again")
	}
	if ok, _ := store.ClaimMail(ctx, id, clk.Now()); ok {
		t.Fatal("a mail was claimed twice")
	}
}
