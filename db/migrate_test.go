package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/migrations"
)

// TestCatalogueMigrationKeepsSubscribers migrates a database that was
// seeded before the configuration file existed: products get keys and
// entitlements from max_apps and watermark, plans survive the rebuild of
// their table, and the subscriptions that point at them still do.
func TestCatalogueMigrationKeepsSubscribers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO products (id, name, max_apps, watermark, rank) VALUES (1, 'Free', 1, 1, 0), (2, 'Pro', 0, 0, 1)`,
		`INSERT INTO plans (id, product_id, interval, amount, currency, is_default) VALUES ('free', 1, 'month', 0, 'USD', 1), ('pro-annual', 2, 'year', 29000, 'USD', 0)`,
		`INSERT INTO users (id, email, role, password_hash, created_at, updated_at) VALUES (1, 'a@example.com', 'customer', x'00', 0, 0)`,
		`INSERT INTO subscriptions (user_id, plan_id, status, anchor, period_start, created_at, updated_at) VALUES (1, 'pro-annual', 'active', 0, 0, 0, 0)`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plans, err := s.Plans(ctx)
	if err != nil || len(plans) != 2 {
		t.Fatalf("plans %v %v", plans, err)
	}
	pro := plans[1]
	if pro.ID != "pro-annual" || pro.Interval != billing.Year || pro.Product.Key != "pro" {
		t.Errorf("pro plan after migration: %+v", pro)
	}
	if v, _ := pro.Product.Entitlements.Limit("apps"); v != billing.Unlimited || pro.Product.Entitlements.Flags["watermark"] {
		t.Errorf("pro entitlements: %+v, want apps unlimited and no watermark", pro.Product.Entitlements)
	}
	if v, _ := plans[0].Product.Entitlements.Limit("apps"); v != 1 || !plans[0].Product.Entitlements.Flags["watermark"] {
		t.Errorf("free entitlements: %+v", plans[0].Product.Entitlements)
	}
	var fkProblems int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fkProblems); err != nil || fkProblems != 0 {
		t.Errorf("foreign key problems after migration: %d %v", fkProblems, err)
	}
	counts, err := s.PlanSubscribers(ctx)
	if err != nil || counts["pro-annual"] != 1 {
		t.Errorf("subscribers %v %v", counts, err)
	}
}
