package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billingportal/portal/app"
)

// Without -demo and without a configuration file the portal refuses to
// start, names -config, and creates no database.
func TestRunNeedsAConfigurationFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "billing.db")
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-db", db, "-addr", "127.0.0.1:0"},
		{"-db", db, "-addr", "127.0.0.1:0", "-config", filepath.Join(dir, "missing.yaml")},
	} {
		err := run(context.Background(), args, env, strings.NewReader(""), &bytes.Buffer{})
		var cfgErr *app.ConfigError
		if !errors.As(err, &cfgErr) {
			t.Fatalf("%v: %v, want a ConfigError (exit status 2)", args, err)
		}
		if !strings.Contains(err.Error(), "-config") && !strings.Contains(err.Error(), "missing.yaml") {
			t.Errorf("%v: %q names neither -config nor the file", args, err)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Error("a database was created without a configuration")
	}
}
