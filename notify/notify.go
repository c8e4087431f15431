// Package notify delivers queued notifications to the app's webhook URL,
// signed like incoming provider webhooks, retrying with backoff. The queue
// is a database table, so deliveries survive restarts.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/poll"
	"github.com/billingportal/portal/webhooksig"
)

// Outbox is the queue of notifications.
type Outbox interface {
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]billing.Notification, error)
	MarkNotificationDelivered(ctx context.Context, id string, attempts int, at time.Time) error
	MarkNotificationFailed(ctx context.Context, id string, attempts int, next time.Time, reason string) error
	// DueNotification rereads one notification; ok is false once it is
	// delivered or no longer due.
	DueNotification(ctx context.Context, id string, now time.Time) (n billing.Notification, ok bool, err error)
	// ClaimWork and ReleaseWork let one process at a time deliver a
	// notification when several share the database (see billing.Store).
	ClaimWork(ctx context.Context, item, owner string, now, until time.Time) (bool, error)
	ReleaseWork(ctx context.Context, item, owner string) error
}

// Clock tells wall time; deliveries follow real time.
type Clock interface{ Now() time.Time }

// Sender delivers notifications to one URL.
type Sender struct {
	outbox Outbox
	url    string
	secret []byte
	clock  Clock
	client *http.Client
	log    *slog.Logger
	loop   *poll.Loop
	owner  string // names this process's claims
}

// New returns a sender for url, signing with secret.
func New(outbox Outbox, url string, secret []byte, clock Clock, log *slog.Logger) *Sender {
	return &Sender{outbox: outbox, url: url, secret: secret, clock: clock, log: log,
		client: &http.Client{Timeout: 10 * time.Second}, loop: poll.NewLoop(), owner: owner()}
}

// Backoff is the wait after the nth failed attempt: 5 s, 10 s, 20 s, …, at most an hour.
func Backoff(attempt int) time.Duration { return poll.Backoff(5*time.Second, time.Hour, attempt) }

// Wake asks the sender to look at the queue now rather than at its next tick.
func (s *Sender) Wake() { s.loop.Wake() }

// Run delivers due notifications until ctx ends, checking every interval
// and whenever woken.
func (s *Sender) Run(ctx context.Context, interval time.Duration) {
	s.loop.Run(ctx, interval, func(ctx context.Context) {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: deliver", "err", err)
		}
	})
}

// DeliverDue sends every notification whose attempt is due, in order, and
// returns how many the app acknowledged.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	due, err := s.outbox.DueNotifications(ctx, s.clock.Now(), 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range due {
		did, err := s.deliverClaimed(ctx, n.ID)
		if err != nil {
			return sent, err
		}
		if did {
			sent++
		}
	}
	return sent, nil
}

// claimFor bounds one delivery attempt (the client's timeout and the
// bookkeeping around it).
const claimFor = time.Minute

// deliverClaimed makes one attempt at a notification while holding the
// claim on it, rereading it first: another process may have delivered it
// since it was listed. did is true when the app acknowledged it.
func (s *Sender) deliverClaimed(ctx context.Context, id string) (did bool, err error) {
	item, now := "notification:"+id, s.clock.Now()
	held, err := s.outbox.ClaimWork(ctx, item, s.owner, now, now.Add(claimFor))
	if err != nil || !held {
		return false, err
	}
	defer func() { _ = s.outbox.ReleaseWork(context.WithoutCancel(ctx), item, s.owner) }()
	n, due, err := s.outbox.DueNotification(ctx, id, now)
	if err != nil || !due {
		return false, err
	}
	attempts := n.Attempts + 1
	if err := s.send(ctx, n); err != nil {
		next := s.clock.Now().Add(Backoff(attempts))
		s.log.Warn("notify: delivery failed", "id", n.ID, "attempt", attempts, "next", next, "err", err)
		return false, s.outbox.MarkNotificationFailed(ctx, n.ID, attempts, next, err.Error())
	}
	return true, s.outbox.MarkNotificationDelivered(ctx, n.ID, attempts, s.clock.Now())
}

// owner is a random name for this sender's claims.
func owner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "notify_" + hex.EncodeToString(b)
}

func (s *Sender) send(ctx context.Context, n billing.Notification) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(n.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooksig.Header, webhooksig.Sign(s.secret, time.Now(), n.Payload))
	req.Header.Set("Billing-Event-Id", n.ID)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the app answered %s", resp.Status)
	}
	return nil
}
