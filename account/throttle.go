package account

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Verdict is the throttle's answer to a sign-in attempt.
type Verdict struct {
	Wait  time.Duration // refuse the attempt; try again after this long
	Delay time.Duration // check the password, but only after this pause
}

// Limiter is what signing in needs from a throttle. It is small on purpose:
// the rules below run over a ThrottleStore, in memory or in the database.
type Limiter interface {
	// Check says whether an attempt for email from ip may go ahead.
	Check(email, ip string) Verdict
	// Fail records a wrong password (or unknown account) for email from ip.
	Fail(email, ip string)
	// Succeed records a correct password for email from ip.
	Succeed(email, ip string)
}

// ThrottleStore keeps the throttle's counts: failed attempts by key (an
// account or an address) and the addresses each account signed in from.
// The portal keeps them in its database, so every process behind a load
// balancer counts the same attempts and a restart forgives nothing.
type ThrottleStore interface {
	// AddFailure records one failed attempt under each key at at.
	AddFailure(ctx context.Context, keys []string, at time.Time) error
	// NthFailure returns the time of key's n-th newest failure after
	// since; ok is false when it has fewer than n there.
	NthFailure(ctx context.Context, key string, since time.Time, n int) (at time.Time, ok bool, err error)
	// ClearFailures forgets key's failures.
	ClearFailures(ctx context.Context, key string) error
	// RememberAddress records a successful sign-in of email from ip.
	RememberAddress(ctx context.Context, email, ip string, at time.Time) error
	// AddressSeen returns when email last signed in from ip.
	AddressSeen(ctx context.Context, email, ip string) (at time.Time, ok bool, err error)
	// Sweep drops, among keys and accounts that start with prefix,
	// failures older than failuresBefore and addresses last seen before
	// knownBefore.
	Sweep(ctx context.Context, prefix string, failuresBefore, knownBefore time.Time) error
}

// Throttle counts failed sign-ins per account and per address over a
// sliding window. Past a limit it refuses attempts, except from an address
// where that account has signed in before: those are only slowed down. So
// an attacker who fails on purpose cannot lock a customer (or a manager)
// out of the places they usually sign in from, nor lock out everyone behind
// a shared address who has used the portal there, while password guessing
// stays slow and, from anywhere new, stops.
type Throttle struct {
	store      ThrottleStore
	clock      Clock
	window     time.Duration
	perAccount int
	perAddress int
	slowdown   time.Duration
	mu         sync.Mutex
	ops        int
}

// knownFor is how long a successful sign-in vouches for its address.
const knownFor = 30 * 24 * time.Hour

// storeTimeout bounds one throttle lookup, so a stuck database slows a
// sign-in by at most this much.
const storeTimeout = 5 * time.Second

// storeTrouble is the wait imposed when the counts cannot be read: the
// throttle fails closed rather than let guesses through uncounted.
const storeTrouble = time.Minute

// NewThrottle allows perAccount failures per email and perAddress per IP
// within window before pausing sign-in for that key; addresses the account
// has signed in from before wait slowdown per attempt instead.
func NewThrottle(store ThrottleStore, clock Clock, window time.Duration, perAccount, perAddress int, slowdown time.Duration) *Throttle {
	return &Throttle{store: store, clock: clock, window: window, perAccount: perAccount, perAddress: perAddress, slowdown: slowdown}
}

// Check implements Limiter.
func (t *Throttle) Check(email, ip string) Verdict {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	now := t.clock.Now()
	byAccount, err1 := t.waitFor(ctx, "e:"+email, t.perAccount, now)
	byAddress, err2 := t.waitFor(ctx, "a:"+ip, t.perAddress, now)
	if err1 != nil || err2 != nil {
		return Verdict{Wait: storeTrouble}
	}
	wait := max(byAccount, byAddress)
	if wait == 0 {
		return Verdict{}
	}
	if at, ok, err := t.store.AddressSeen(ctx, email, ip); err == nil && ok && now.Sub(at) < knownFor {
		return Verdict{Delay: t.slowdown}
	}
	return Verdict{Wait: wait}
}

// Fail implements Limiter.
func (t *Throttle) Fail(email, ip string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	now := t.clock.Now()
	_ = t.store.AddFailure(ctx, []string{"e:" + email, "a:" + ip}, now)
	t.sweep(ctx, now)
}

// Succeed implements Limiter: it forgives the account's failures and
// remembers the address as one the account uses.
func (t *Throttle) Succeed(email, ip string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	now := t.clock.Now()
	_ = t.store.ClearFailures(ctx, "e:"+email)
	_ = t.store.RememberAddress(ctx, email, ip, now)
	t.sweep(ctx, now)
}

// sweep drops stale entries now and then, so attempts with ever new
// emails or addresses cannot grow the counts without bound.
func (t *Throttle) sweep(ctx context.Context, now time.Time) {
	t.mu.Lock()
	t.ops++
	due := t.ops%1024 == 0
	t.mu.Unlock()
	if due {
		_ = t.store.Sweep(ctx, "", now.Add(-t.window), now.Add(-knownFor))
	}
}

// waitFor is how long key stays paused: until the oldest failure that
// keeps its count at the limit leaves the window.
func (t *Throttle) waitFor(ctx context.Context, key string, limit int, now time.Time) (time.Duration, error) {
	at, ok, err := t.store.NthFailure(ctx, key, now.Add(-t.window), limit)
	if err != nil || !ok {
		return 0, err
	}
	return at.Add(t.window).Sub(now), nil
}

// MemoryThrottleStore keeps the throttle's counts in this process only:
// for tests and tools; a restart forgives.
type MemoryThrottleStore struct {
	mu       sync.Mutex
	failures map[string][]time.Time // oldest first
	known    map[string]time.Time   // "email\x00ip" → last successful sign-in
}

// NewMemoryThrottleStore returns an empty in-memory store.
func NewMemoryThrottleStore() *MemoryThrottleStore {
	return &MemoryThrottleStore{failures: map[string][]time.Time{}, known: map[string]time.Time{}}
}

// AddFailure implements ThrottleStore.
func (m *MemoryThrottleStore) AddFailure(_ context.Context, keys []string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		m.failures[k] = append(m.failures[k], at)
	}
	return nil
}

// NthFailure implements ThrottleStore.
func (m *MemoryThrottleStore) NthFailure(_ context.Context, key string, since time.Time, n int) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var recent []time.Time
	for _, at := range m.failures[key] {
		if at.After(since) {
			recent = append(recent, at)
		}
	}
	if len(recent) < n || n <= 0 {
		return time.Time{}, false, nil
	}
	return recent[len(recent)-n], true, nil
}

// ClearFailures implements ThrottleStore.
func (m *MemoryThrottleStore) ClearFailures(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.failures, key)
	return nil
}

// RememberAddress implements ThrottleStore.
func (m *MemoryThrottleStore) RememberAddress(_ context.Context, email, ip string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.known[email+"\x00"+ip] = at
	return nil
}

// AddressSeen implements ThrottleStore.
func (m *MemoryThrottleStore) AddressSeen(_ context.Context, email, ip string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at, ok := m.known[email+"\x00"+ip]
	return at, ok, nil
}

// Sweep implements ThrottleStore.
func (m *MemoryThrottleStore) Sweep(_ context.Context, prefix string, failuresBefore, knownBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, times := range m.failures {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		var keep []time.Time
		for _, at := range times {
			if at.After(failuresBefore) {
				keep = append(keep, at)
			}
		}
		if len(keep) == 0 {
			delete(m.failures, k)
		} else {
			m.failures[k] = keep
		}
	}
	for k, at := range m.known {
		if strings.HasPrefix(k, prefix) && at.Before(knownBefore) {
			delete(m.known, k)
		}
	}
	return nil
}

// PrefixedThrottleStore keeps one throttle's counts in a store shared with
// others: every key and account it names gets prefix, and its sweeps
// touch only its own.
func PrefixedThrottleStore(store ThrottleStore, prefix string) ThrottleStore {
	return prefixed{store: store, prefix: prefix}
}

type prefixed struct {
	store  ThrottleStore
	prefix string
}

func (p prefixed) AddFailure(ctx context.Context, keys []string, at time.Time) error {
	named := make([]string, len(keys))
	for i, k := range keys {
		named[i] = p.prefix + k
	}
	return p.store.AddFailure(ctx, named, at)
}

func (p prefixed) NthFailure(ctx context.Context, key string, since time.Time, n int) (time.Time, bool, error) {
	return p.store.NthFailure(ctx, p.prefix+key, since, n)
}

func (p prefixed) ClearFailures(ctx context.Context, key string) error {
	return p.store.ClearFailures(ctx, p.prefix+key)
}

func (p prefixed) RememberAddress(ctx context.Context, email, ip string, at time.Time) error {
	return p.store.RememberAddress(ctx, p.prefix+email, ip, at)
}

func (p prefixed) AddressSeen(ctx context.Context, email, ip string) (time.Time, bool, error) {
	return p.store.AddressSeen(ctx, p.prefix+email, ip)
}

func (p prefixed) Sweep(ctx context.Context, prefix string, failuresBefore, knownBefore time.Time) error {
	return p.store.Sweep(ctx, p.prefix+prefix, failuresBefore, knownBefore)
}
