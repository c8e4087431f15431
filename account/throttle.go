package account

import (
	"sync"
	"time"
)

// Verdict is the throttle's answer to a sign-in attempt.
type Verdict struct {
	Wait  time.Duration // refuse the attempt; try again after this long
	Delay time.Duration // check the password, but only after this pause
}

// Limiter is what signing in needs from a throttle. It is small on purpose:
// the in-memory Throttle below can be replaced by one kept in the database
// (for several processes) without touching its callers.
type Limiter interface {
	// Check says whether an attempt for email from ip may go ahead.
	Check(email, ip string) Verdict
	// Fail records a wrong password (or unknown account) for email from ip.
	Fail(email, ip string)
	// Succeed records a correct password for email from ip.
	Succeed(email, ip string)
}

// Throttle counts failed sign-ins per account and per address over a
// sliding window. Past a limit it refuses attempts, except from an address
// where that account has signed in before: those are only slowed down. So
// an attacker who fails on purpose cannot lock a customer (or a manager)
// out of the places they usually sign in from, nor lock out everyone behind
// a shared address who has used the portal there, while password guessing
// stays slow and, from anywhere new, stops.
//
// It is kept in memory: a restart forgives, which is acceptable for a
// single-binary portal and costs no write per attempt.
type Throttle struct {
	mu         sync.Mutex
	clock      Clock
	window     time.Duration
	perAccount int
	perAddress int
	slowdown   time.Duration
	failures   map[string][]time.Time
	known      map[string]time.Time // "email\x00ip" → last successful sign-in
	ops        int
}

// knownFor is how long a successful sign-in vouches for its address.
const knownFor = 30 * 24 * time.Hour

// NewThrottle allows perAccount failures per email and perAddress per IP
// within window before pausing sign-in for that key; addresses the account
// has signed in from before wait slowdown per attempt instead.
func NewThrottle(clock Clock, window time.Duration, perAccount, perAddress int, slowdown time.Duration) *Throttle {
	return &Throttle{clock: clock, window: window, perAccount: perAccount, perAddress: perAddress, slowdown: slowdown,
		failures: map[string][]time.Time{}, known: map[string]time.Time{}}
}

// Check implements Limiter.
func (t *Throttle) Check(email, ip string) Verdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	wait := max(t.waitFor("e:"+email, t.perAccount, now), t.waitFor("a:"+ip, t.perAddress, now))
	switch {
	case wait == 0:
		return Verdict{}
	case t.isKnown(email, ip, now):
		return Verdict{Delay: t.slowdown}
	}
	return Verdict{Wait: wait}
}

// Fail implements Limiter.
func (t *Throttle) Fail(email, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	for _, k := range []string{"e:" + email, "a:" + ip} {
		t.failures[k] = append(t.recent(k, now), now)
	}
	t.sweep(now)
}

// Succeed implements Limiter: it forgives the account's failures and
// remembers the address as one the account uses.
func (t *Throttle) Succeed(email, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	delete(t.failures, "e:"+email)
	t.known[email+"\x00"+ip] = now
	t.sweep(now)
}

func (t *Throttle) isKnown(email, ip string, now time.Time) bool {
	at, ok := t.known[email+"\x00"+ip]
	return ok && now.Sub(at) < knownFor
}

// sweep drops stale entries now and then, so attempts with ever new
// emails or addresses cannot grow the maps without bound.
func (t *Throttle) sweep(now time.Time) {
	if t.ops++; t.ops%1024 != 0 {
		return
	}
	for k := range t.failures {
		if len(t.recent(k, now)) == 0 {
			delete(t.failures, k)
		}
	}
	for k, at := range t.known {
		if now.Sub(at) >= knownFor {
			delete(t.known, k)
		}
	}
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
