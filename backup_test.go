package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db"
)

// go run . backup copies a live SQLite database: taken while customers
// keep signing up, the copy opens, holds every table and has clean books;
// it never overwrites a file, and it sends PostgreSQL users to pg_dump.
func TestBackupCopiesTheLiveDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, copyPath := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db")
	a, err := app.New(ctx, app.Config{DBPath: path, BaseURL: "http://127.0.0.1", Demo: true, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Portal: configtest.Example(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	backup := func(to string, env map[string]string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"backup", "-db", path, to}, func(k string) string { return env[k] }, strings.NewReader(""), &out)
		return out.String(), err
	}
	// Writes go on while the copy is taken.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			_, _ = a.Accounts.CreateUser(ctx, "busy"+string(rune('a'+i))+"@example.com", "", "password1", "customer")
		}
	}()
	out, err := backup(copyPath, nil)
	wg.Wait()
	if err != nil || !strings.Contains(out, "Backed up") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored, err := db.Open(ctx, copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if vs, err := restored.BookViolations(ctx); err != nil || len(vs) > 0 {
		t.Fatalf("books of the copy: %v %v", vs, err)
	}
	sub, err := restored.Subscription(ctx, mustUser(t, restored, "bob@example.com"))
	if err != nil || sub.Plan.ID != "pro-monthly" || sub.Status != billing.Active {
		t.Fatalf("bob in the copy: %+v %v", sub, err)
	}

	if _, err := backup(copyPath, nil); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second backup to the same file: %v, want a refusal", err)
	}
	if _, err := backup(filepath.Join(dir, "pg.db"), map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x"}); err == nil ||
		!strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup with DATABASE_URL: %v, want pg_dump named", err)
	}
}

func mustUser(t *testing.T, s *db.Store, email string) int64 {
	t.Helper()
	u, err := s.Accounts().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
