// Package dbtest gives each test a fresh, migrated database with the demo
// catalogue, closed when the test ends: a SQLite file in the test's
// temporary folder, or, when PORTAL_TEST_POSTGRES names a PostgreSQL
// server, a new database copied from a migrated template.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/sandbox"
	"github.com/billingportal/portal/config/configtest"
	"github.com/billingportal/portal/db"
)

// PostgresEnv names the environment variable that holds a PostgreSQL
// server's URL (any database on it, usually postgres); when set, every
// test database is made there.
const PostgresEnv = "PORTAL_TEST_POSTGRES"

// Postgres reports whether tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(PostgresEnv) != "" }

// Target returns where a fresh, migrated, empty database for t lives: a
// SQLite path, or a postgres:// URL of a database dropped when t ends.
func Target(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		return filepath.Join(t.TempDir(), "test.db")
	}
	tmpl, err := template(server)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t_%s_%d", runID, testDBs.Add(1))
	admin, err := adminDB(server)
	if err != nil {
		t.Fatal(err)
	}
	// Copying a template is a file copy, far faster than migrating anew.
	if _, err := admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	return withDatabase(server, name)
}

var (
	runID        = randomID()
	testDBs      atomic.Int64
	templateOnce sync.Once
	templateName string
	templateErr  error
	adminOnce    sync.Once
	admin        *sql.DB
	adminErr     error
)

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b))
}

// adminDB is one pool on the server's own database, for creating and
// dropping test databases.
func adminDB(server string) (*sql.DB, error) {
	adminOnce.Do(func() { admin, adminErr = sql.Open("pgx", server) })
	return admin, adminErr
}

// template makes, once per test process, a database with every migration
// applied (the portal's and the sandbox provider's), for tests to copy.
func template(server string) (string, error) {
	templateOnce.Do(func() {
		templateName = "tmpl_" + runID
		templateErr = makeTemplate(server, templateName)
	})
	return templateName, templateErr
}

func makeTemplate(server, name string) error {
	ctx := context.Background()
	admin, err := adminDB(server)
	if err != nil {
		return err
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		return fmt.Errorf("dbtest: create template: %w", err)
	}
	s, err := db.Open(ctx, withDatabase(server, name))
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = sandbox.OpenStore(ctx, s.Writer(), true, s.MigrateFS)
	return err
}

// withDatabase is the server's URL naming another database.
func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		return server
	}
	u.Path = "/" + name
	return u.String()
}

// New opens a fresh database for t, with the demo catalogue of
// portal.example.yaml.
func New(t testing.TB) *db.Store {
	t.Helper()
	return WithPlans(t, configtest.Example(t).Plans)
}

// WithPlans opens a fresh database for t with the given catalogue.
func WithPlans(t testing.TB, plans []billing.Plan) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), Target(t))
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
