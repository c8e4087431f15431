package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/config/configtest"
)

// TestStartRefusesAPriceEditOnAPlanWithSubscribers: bob is on pro-monthly
// (demo data); a restart with a new price for it is refused as a
// configuration error naming the file and the plan, and the old price stays.
func TestStartRefusesAPriceEditOnAPlanWithSubscribers(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "portal.db")
	cfg := app.Config{DBPath: dbPath, BaseURL: "http://127.0.0.1:1", Demo: true, PasswordCost: bcrypt.MinCost,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Portal: configtest.Example(t)}
	first, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()

	example, err := os.ReadFile(configtest.ExamplePath())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(example), "{id: pro-monthly, interval: month, amount: 2900, currency: USD}",
		"{id: pro-monthly, interval: month, amount: 3900, currency: USD}", 1)
	cfg.Portal = configtest.Load(t, edited)
	_, err = app.New(ctx, cfg)
	var cfgErr *app.ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("restart with a new price: %v, want a ConfigError", err)
	}
	for _, want := range []string{cfg.Portal.Path, `plan "pro-monthly" has subscribers`, "$29.00 → $39.00", "active: false"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	cfg.Portal = configtest.Example(t)
	again, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if p, err := again.Store.Plan(ctx, "pro-monthly"); err != nil || p.Price.Amount != 2900 {
		t.Fatalf("pro-monthly after the refused start: %+v %v", p, err)
	}
}
