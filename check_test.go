package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/billingportal/portal/app"
)

func TestCheckTheBooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "books.db")
	a, err := app.New(context.Background(), app.Config{DBPath: path, BaseURL: "http://127.0.0.1", Demo: true, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	check := func() (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"check", "-db", path}, func(string) string { return "" }, strings.NewReader(""), &out)
		return out.String(), err
	}
	if out, err := check(); err != nil || !strings.Contains(out, "clean") {
		t.Fatalf("a clean database: %v\n%s", err, out)
	}

	// Plant violations: an invoice paid with no payment behind it, and a
	// credit balance its journal does not explain.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO invoices (user_id, description, amount, currency, status, created_at)
			SELECT id, 'planted', 1234, 'USD', 'paid', 0 FROM users WHERE email = 'alice@example.com'`,
		`UPDATE subscriptions SET credit = 77 WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	out, err := check()
	if err == nil || !strings.Contains(err.Error(), "2 violations") {
		t.Fatalf("planted violations: %v\n%s", err, out)
	}
	for _, want := range []string{"invoice-paid-once", "paid 1234 USD with no payment in the ledger", "credit-balance", "credit 77"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if err := run(context.Background(), []string{"check", "-db", filepath.Join(t.TempDir(), "missing.db")}, func(string) string { return "" },
		strings.NewReader(""), io.Discard); err == nil {
		t.Fatal("check of a missing file must fail, not create it")
	}
}
