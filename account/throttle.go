package account

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per account and per address over a sliding
// window. It is kept in memory: a restart forgives, which is acceptable for
// a single-binary portal and costs no write per attempt.
type Throttle struct {
	mu         sync.Mutex
	clock      Clock
	window     time.Duration
	perAccount int
	perAddress int
	failures   map[string][]time.Time
}

// NewThrottle allows perAccount failures per email and perAddress per IP
// within window before pausing sign-in for that key.
func NewThrottle(clock Clock, window time.Duration, perAccount, perAddress int) *Throttle {
	return &Throttle{clock: clock, window: window, perAccount: perAccount, perAddress: perAddress, failures: map[string][]time.Time{}}
}

// Wait returns how long the caller must wait before trying again; 0 means go ahead.
func (t *Throttle) Wait(email, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	return max(t.waitFor("e:"+email, t.perAccount, now), t.waitFor("a:"+ip, t.perAddress, now))
}

// Fail records a failed attempt for both keys.
func (t *Throttle) Fail(email, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	for _, k := range []string{"e:" + email, "a:" + ip} {
		t.failures[k] = append(t.recent(k, now), now)
	}
}

// Succeed forgives the account's failures after a correct password.
func (t *Throttle) Succeed(email string) {
	t.mu.Lock()
	delete(t.failures, "e:"+email)
	t.mu.Unlock()
}

func (t *Throttle) waitFor(key string, limit int, now time.Time) time.Duration {
	r := t.recent(key, now)
	if len(r) == 0 {
		delete(t.failures, key)
		return 0
	}
	t.failures[key] = r
	if len(r) < limit {
		return 0
	}
	// Paused until the oldest failure that keeps the count at the limit leaves the window.
	return r[len(r)-limit].Add(t.window).Sub(now)
}

func (t *Throttle) recent(key string, now time.Time) []time.Time {
	var keep []time.Time
	for _, at := range t.failures[key] {
		if now.Sub(at) < t.window {
			keep = append(keep, at)
		}
	}
	return keep
}
