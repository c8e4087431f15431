// Package poll is what the portal's background senders share: a loop that
// does its work every interval and whenever woken, and the spacing of
// retries after failed attempts.
package poll

import (
	"context"
	"time"
)

// Backoff is the wait after the nth failed attempt (n from 1): first,
// doubling each time, never more than limit.
func Backoff(first, limit time.Duration, attempt int) time.Duration {
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Loop runs work on a ticker and when woken. The zero value is not
// usable: make one with NewLoop.
type Loop struct{ wake chan struct{} }

// NewLoop returns a loop that can be woken.
func NewLoop() *Loop { return &Loop{wake: make(chan struct{}, 1)} }

// Wake asks the loop to run its work now rather than at its next tick; a
// wake while one is pending is folded into it.
func (l *Loop) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run calls work at once, then every interval and whenever woken, until
// ctx ends.
func (l *Loop) Run(ctx context.Context, interval time.Duration, work func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		work(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.wake:
		}
	}
}
