// Package clock gives every time rule one place to read "now", so tests and the
// sandbox test clock can move time without touching the wall clock.
package clock

import (
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
type Offset struct {
	mu     sync.Mutex
	base   Clock
	offset time.Duration
}

// NewOffset returns a clock that reads base and adds the advances made so far.
func NewOffset(base Clock) *Offset { return &Offset{base: base} }

// Now returns base time plus the accumulated offset.
func (c *Offset) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.offset)
}

// Advance moves the clock forward by d; negative durations are ignored
// because billing time never runs backwards.
func (c *Offset) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
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
