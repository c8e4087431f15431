package db

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// writeProbe remembers the last write check, so a busy /healthz costs at
// most one small write per probeEvery, whatever the request rate.
type writeProbe struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// probeEvery is how long a write check's answer is reused.
const probeEvery = time.Second

// probeTimeout bounds one check: a writer stuck behind a lock counts as
// not writable rather than making the health check hang.
const probeTimeout = 2 * time.Second

// CheckWritable reports whether the database takes writes, by rewriting
// one row through the writer connection (at most once a second).
func (s *Store) CheckWritable(ctx context.Context) error {
	s.probe.mu.Lock()
	defer s.probe.mu.Unlock()
	if time.Since(s.probe.at) < probeEvery {
		return s.probe.err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO health_probe (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, time.Now().Unix())
	if err != nil {
		err = fmt.Errorf("db: write check: %w", err)
	}
	s.probe.at, s.probe.err = time.Now(), err
	return err
}
