// Package dbtest gives each test a fresh, migrated SQLite database with the
// demo catalogue, closed when the test ends.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db"
)

// New opens a fresh database in the test's temporary folder, with the
// demo catalogue of portal.example.yaml.
func New(t testing.TB) *db.Store {
	t.Helper()
	return WithPlans(t, configtest.Example(t).Plans)
}

// WithPlans opens a fresh database with the given catalogue.
func WithPlans(t testing.TB, plans []billing.Plan) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.SyncCatalogue(context.Background(), plans); err != nil {
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
