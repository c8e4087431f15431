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

// Kumo is a catalogue unlike the demo one, for tests that must not lean on
// it: yen (no minor digits), a weekly and a fortnightly plan, quarterly
// plans, limits named projects and seats, a flag named custom_domain, and a
// yellow accent that needs dark text.
const Kumo = `brand: {name: Kumo Studio, accent: "#facc15", support_email: help@kumo.test}
seller: {name: Kumo Studio KK, address: "1-2-3 Shibuya\nTokyo", tax_id: T1234567890123, email: billing@kumo.test}
products:
  - id: hobby
    name: Hobby
    description: Sketch on your own.
    rank: 0
    features: [Two projects]
    limits: {projects: 2}
    flags: {custom_domain: false}
    plans:
      - {id: hobby, interval: month, amount: 0, currency: JPY}
  - id: studio
    name: Studio
    description: For a small team.
    rank: 1
    features: [Twenty projects, Three seats]
    limits: {projects: 20, seats: 3}
    flags: {custom_domain: true}
    plans:
      - {id: studio-weekly, interval: week, amount: 700, currency: JPY}
      - {id: studio-quarterly, interval: month, interval_count: 3, amount: 7500, currency: JPY}
  - id: agency
    name: Agency
    description: For agencies with many clients.
    rank: 2
    features: [Unlimited projects, 25 seats]
    limits: {projects: -1, seats: 25}
    flags: {custom_domain: true}
    plans:
      - {id: agency-2weeks, interval: week, interval_count: 2, amount: 3000, currency: JPY}
      - {id: agency-quarterly, interval: month, interval_count: 3, amount: 19000, currency: JPY}
default_plan: hobby
`
