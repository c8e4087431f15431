// Package configtest gives tests the shipped portal.example.yaml (the demo
// catalogue) and lets them write configuration files of their own.
package configtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/billingportal/portal/config"
)

// ExamplePath is the repository's portal.example.yaml, found from this
// source file so it works from any package's tests.
func ExamplePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "portal.example.yaml")
}

// Example is the checked example configuration: the demo catalogue.
func Example(t testing.TB) *config.Config {
	t.Helper()
	c, err := config.Load(ExamplePath())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Write puts a configuration file in the test's temporary folder and
// returns its path.
func Write(t testing.TB, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Load writes and loads a file that must be valid.
func Load(t testing.TB, yaml string) *config.Config {
	t.Helper()
	c, err := config.Load(Write(t, yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
