package poll_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billingportal/portal/poll"
)

func TestBackoffDoublesUpToItsLimit(t *testing.T) {
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 100 * time.Second, 100 * time.Second}
	for i, w := range want {
		if got := poll.Backoff(5*time.Second, 100*time.Second, i+1); got != w {
			t.Errorf("attempt %d: %s, want %s", i+1, got, w)
		}
	}
}

func TestLoopRunsAtOnceAndWhenWoken(t *testing.T) {
	l := poll.NewLoop()
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		l.Run(ctx, time.Hour, func(context.Context) { runs.Add(1) })
		close(done)
	}()
	waitFor(t, func() bool { return runs.Load() == 1 })
	l.Wake()
	waitFor(t, func() bool { return runs.Load() == 2 })
	cancel()
	<-done
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}
