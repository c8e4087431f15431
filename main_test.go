package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is run's stdout, read while run writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The real program stops on its signal: it stops listening, finishes what
// is in flight, waits for its background work and returns cleanly.
func TestRunStopsGracefully(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out := &lockedBuffer{}
	env := map[string]string{"BILLING_API_KEY": strings.Repeat("k", 32)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "p.db")},
			func(k string) string { return env[k] }, strings.NewReader(""), out)
	}()
	url := regexp.MustCompile(`msg="portal listening" url=(\S+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := url.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("the portal did not start:\n%s", out.String())
	}
	r, err := http.Get(base + "/healthz")
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", r, err)
	}
	r.Body.Close()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after the signal")
	}
	if !strings.Contains(out.String(), "portal stopped") {
		t.Errorf("no clean stop in the log:\n%s", out.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the portal still answers after stopping")
	}
}
