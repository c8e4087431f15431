// Package clock gives every time rule one place to read "now", so tests and the
// sandbox test clock can move time without touching the wall clock.
package clock

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Clock tells the current time. Implementations return UTC.
type Clock interface {
	Now() time.Time
}

// System reads the machine's wall clock.
type System struct{}

// Now returns the wall-clock time in UTC, truncated to whole seconds because
// storage and proration work in seconds.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Offset is a clock that runs with the wall clock plus an offset that only
// moves forward. It backs the sandbox test clock and time-travel tests.
// With a store, the offset is kept in the database: it survives a restart,
// and with shared set (several processes on one database) every reading
// takes the offset from the store, so an advance made by one process holds
// at once in all of them.
type Offset struct {
	mu      sync.Mutex
	base    Clock
	offset  time.Duration
	store   OffsetStore
	shared  bool
	next    *read // the read that callers now waiting will share; not started yet
	reading bool  // a goroutine is running reads
}

// read is one reading of the shared offset, shared by every caller that
// asked for one before it started.
type read struct {
	done   chan struct{}
	offset time.Duration
	err    error
}

// OffsetStore keeps a test clock's offset.
type OffsetStore interface {
	// TestClockOffset returns the stored offset (0 when none is).
	TestClockOffset(ctx context.Context) (time.Duration, error)
	// AdvanceTestClock adds d to the stored offset, atomically, and
	// returns the new offset.
	AdvanceTestClock(ctx context.Context, d time.Duration) (time.Duration, error)
}

// NewOffset returns a clock that reads base and adds the advances made so
// far, kept in memory.
func NewOffset(base Clock) *Offset { return &Offset{base: base} }

// NewStoredOffset returns a clock whose offset is kept in store, starting
// from the stored one.
func NewStoredOffset(ctx context.Context, base Clock, store OffsetStore) (*Offset, error) {
	offset, err := store.TestClockOffset(ctx)
	if err != nil {
		return nil, fmt.Errorf("clock: test clock offset: %w", err)
	}
	return &Offset{base: base, offset: offset, store: store}, nil
}

// Share makes a stored clock reread its offset on every reading, for
// several processes whose test clock may move through any of them.
func (c *Offset) Share() {
	c.mu.Lock()
	c.shared = c.store != nil
	c.mu.Unlock()
}

// readTimeout bounds reading a shared offset; past it the last offset read
// is used.
const readTimeout = 2 * time.Second

// Now returns base time plus the accumulated offset. A shared clock reads
// the offset from the store first: callers join the next read to start
// (one at a time), so each sees every advance committed before it asked,
// however many ask at once.
func (c *Offset) Now() time.Time {
	c.mu.Lock()
	shared := c.shared
	c.mu.Unlock()
	if shared {
		if r := c.join(); r.err == nil {
			c.mu.Lock()
			c.offset = max(c.offset, r.offset) // never backwards, even past a failed read
			c.mu.Unlock()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.offset)
}

// join waits for a read of the shared offset that starts after the call.
func (c *Offset) join() *read {
	c.mu.Lock()
	r := c.next
	if r == nil {
		r = &read{done: make(chan struct{})}
		c.next = r
	}
	if !c.reading {
		c.reading = true
		go c.readAll()
	}
	c.mu.Unlock()
	<-r.done
	return r
}

// readAll runs the waiting reads one after another until none waits.
func (c *Offset) readAll() {
	for {
		c.mu.Lock()
		r := c.next
		c.next = nil
		if r == nil {
			c.reading = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		r.offset, r.err = c.store.TestClockOffset(ctx)
		cancel()
		close(r.done)
	}
}

// Advance moves the clock forward by d; negative durations are ignored
// because billing time never runs backwards.
func (c *Offset) Advance(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if c.store == nil {
		c.mu.Lock()
		c.offset += d
		c.mu.Unlock()
		return nil
	}
	offset, err := c.store.AdvanceTestClock(ctx, d)
	if err != nil {
		return fmt.Errorf("clock: advance: %w", err)
	}
	c.mu.Lock()
	c.offset = max(c.offset, offset)
	c.mu.Unlock()
	return nil
}

// Fixed is a clock that stands still until Set or Advance; for tests.
type Fixed struct {
	mu sync.Mutex
	t  time.Time
}

// NewFixed returns a clock stopped at t.
func NewFixed(t time.Time) *Fixed { return &Fixed{t: t.UTC()} }

// Now returns the stopped time.
func (c *Fixed) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Fixed) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC()
	c.mu.Unlock()
}

// Advance moves the clock by d.
func (c *Fixed) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
