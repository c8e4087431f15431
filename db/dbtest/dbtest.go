// Package dbtest gives each test a fresh, migrated SQLite database with the
// demo catalogue, closed when the test ends.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/demo"
)

// New opens a fresh database in the test's temporary folder.
func New(t testing.TB) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.SeedCatalogue(context.Background(), demo.Catalogue()); err != nil {
		t.Fatal(err)
	}
	return s
}

// Customer creates a customer on the free plan and returns their id. The
// password hash is a placeholder: these customers never sign in.
func Customer(t testing.TB, s *db.Store, email string, at time.Time) int64 {
	t.Helper()
	id, err := s.Accounts().CreateUser(context.Background(), account.User{Email: email, Role: account.Customer, PasswordHash: []byte("x"), CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Money is what the portal's books say became of the money providers took.
type Money struct {
	Recorded int64 // every payment in the ledger
	Applied  int64 // paid invoices, as the invoices say
	Credited int64 // account credit made from payments, as the credit journal says
	Held     int64 // waiting for a person
}

// Books sums the portal's side of the money, from the invoices and the
// credit journal rather than the ledger's own split, so a test can compare
// it with what the provider says it took.
func Books(t testing.TB, s *db.Store) Money {
	t.Helper()
	var m Money
	err := s.Writer().QueryRow(`SELECT
		(SELECT COALESCE(SUM(amount), 0) FROM payments),
		(SELECT COALESCE(SUM(amount), 0) FROM invoices WHERE status = 'paid'),
		(SELECT COALESCE(SUM(amount), 0) FROM credit_entries WHERE reason = 'payment'),
		(SELECT COALESCE(SUM(held), 0) FROM payments)`).Scan(&m.Recorded, &m.Applied, &m.Credited, &m.Held)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
