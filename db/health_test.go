package db

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A database that answers reads but refuses writes is reported as such.
func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	// SQLite's own read-only switch on the writer: every write now fails
	// while reads go on, as on a full disk or a file made read-only.
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA query_only = ON"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal("the answer should be reused within a second")
	}
	s.probe.at = time.Time{}
	if err := s.CheckWritable(ctx); err == nil {
		t.Fatal("a read-only database is reported writable")
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("reads should still work: %v", err)
	}
}
