package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/config"
	"github.com/billingportal/portal/config/configtest"
)

// good is a small valid file; the bad cases below each break one thing.
const good = `brand: {name: Acme Notes, accent: "#0f766e"}
products:
  - id: free
    name: Free
    plans:
      - {id: free, interval: month, amount: 0, currency: EUR}
  - id: team
    name: Team
    limits: {seats: 5}
    plans:
      - {id: team-quarterly, interval: month, interval_count: 3, amount: 4500, currency: EUR}
default_plan: free
`

func TestBadFilesNameTheLineAndTheProblem(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown top-level key", good + "colour: red\n", 13, `unknown key "colour"`},
		{"unknown key in a plan", strings.Replace(good, "amount: 4500,", "amount: 4500, price: 45,", 1), 11, `unknown key "price"`},
		{"missing product id", strings.Replace(good, "  - id: team\n", "  - \n", 1), 8, `products[1]: id is missing`},
		{"missing plan id", strings.Replace(good, "{id: team-quarterly, ", "{", 1), 11, `a plan of product "team" has no id`},
		{"duplicate plan id", strings.Replace(good, "id: team-quarterly", "id: free", 1), 11, `plan id "free" is used twice`},
		{"duplicate product id", strings.Replace(good, "id: team\n", "id: free\n", 1), 7, `product id "free" is used twice`},
		{"bad interval", strings.Replace(good, "interval: month, interval_count: 3", "interval: fortnight", 1), 11, `interval "fortnight" must be week, month or year`},
		{"bad interval count", strings.Replace(good, "interval_count: 3", "interval_count: 0", 1) + "", 0, ""},
		{"interval count too large", strings.Replace(good, "interval_count: 3", "interval_count: 99", 1), 11, `interval_count 99 must be 1 to 36`},
		{"negative amount", strings.Replace(good, "amount: 4500", "amount: -4500", 1), 11, `amount -4500 is negative`},
		{"missing amount", strings.Replace(good, "amount: 4500, ", "", 1), 11, `amount is missing`},
		{"unknown currency", strings.Replace(good, "amount: 4500, currency: EUR", "amount: 4500, currency: EUX", 1), 11, `currency "EUX" is not an ISO 4217 code`},
		{"lower-case currency", strings.Replace(good, "amount: 4500, currency: EUR", "amount: 4500, currency: eur", 1), 11, `currency "eur"`},
		{"two currencies", strings.Replace(good, "amount: 4500, currency: EUR", "amount: 4500, currency: USD", 1), 11, `the portal sells in one currency`},
		{"no default plan", strings.Replace(good, "default_plan: free\n", "", 1), 1, `default_plan is missing`},
		{"two default plans", good + "default_plan: team-quarterly\n", 13, `more than one default plan`},
		{"default plan unknown", strings.Replace(good, "default_plan: free", "default_plan: gratis", 1), 12, `default_plan "gratis" is not a plan in this file`},
		{"default plan not free", strings.Replace(good, "default_plan: free", "default_plan: team-quarterly", 1), 6, `only default_plan may be free`},
		{"amount as text", strings.Replace(good, "amount: 4500", "amount: lots", 1), 11, `amount`},
		{"negative limit", strings.Replace(good, "seats: 5", "seats: -2", 1), 9, `limit seats is -2`},
		{"bad accent", strings.Replace(good, `"#0f766e"`, `teal`, 1), 1, `brand.accent "teal" must be a colour written #rrggbb`},
		{"logo file missing", strings.Replace(good, `accent: "#0f766e"`, `accent: "#0f766e", logo: missing.svg`, 1), 1, `brand.logo "missing.svg" cannot be read`},
		{"bad policy timing", good + "policy:\n  rules:\n    - {to: {product: team}, timing: later}\n", 15, `timing "later" must be now, period_end, choice or refused`},
		{"policy names no product", good + "policy:\n  rules:\n    - {to: {product: gold}, timing: now}\n", 15, `there is no product "gold"`},
		{"not YAML", "products: [\n", 1, ``},
		{"empty file", "", 1, `the file is empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := configtest.Write(t, c.yaml)
			_, err := config.Load(path)
			if c.name == "bad interval count" { // 0 is "not given", so 1: the file is fine
				if err != nil {
					t.Fatalf("interval_count 0 means 1: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted a bad file")
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T %v, want config.Errors", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+":") {
				t.Errorf("%q does not start with the file name", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("%q does not say %q", msg, c.want)
			}
			if c.line > 0 && errs[0].Line != c.line {
				t.Errorf("line %d, want %d (%s)", errs[0].Line, c.line, msg)
			}
		})
	}
}

func TestGoodFileReadsEveryKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(good, `accent: "#0f766e"}`, `accent: "#0f766e", logo: logo.svg, support_email: help@acme.test}
seller: {name: Acme Notes Ltd, address: "1 Main St\nSpringfield", tax_id: GB123456789, email: billing@acme.test}`, 1) + `policy:
  allow: {cancel: false, downgrade: true}
  rules:
    - {from: {product: team}, to: {interval: month, interval_count: 3}, timing: choice, reason: Your call.}
`
	path := filepath.Join(dir, "portal.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Brand.Name != "Acme Notes" || c.Logo == nil || c.Logo.ContentType != "image/svg+xml" || c.Brand.SupportEmail != "help@acme.test" {
		t.Errorf("brand %+v logo %+v", c.Brand, c.Logo)
	}
	if lines := c.Seller.AddressLines(); c.Seller.TaxID != "GB123456789" || len(lines) != 2 || lines[1] != "Springfield" {
		t.Errorf("seller %+v", c.Seller)
	}
	if len(c.Plans) != 2 || !c.Plans[0].IsDefault || c.Plans[1].Interval != (billing.Interval{Unit: billing.UnitMonth, Count: 3}) {
		t.Fatalf("plans %+v", c.Plans)
	}
	if seats, _ := c.Plans[1].Product.Entitlements.Limit("seats"); seats != 5 {
		t.Errorf("seats = %d", seats)
	}
	p := c.Policy
	if p.Switches.Cancel || !p.Switches.Downgrade || !p.Switches.SwitchInterval || len(p.Rules) != 1 || len(p.Rules[0].Timings) != 2 || p.Rules[0].Reason != "Your call." {
		t.Errorf("policy %+v", p)
	}
}

// The shipped example is the demo catalogue of the contract, exactly.
func TestExampleIsTheDemoCatalogue(t *testing.T) {
	c := configtest.Example(t)
	want := map[string]int64{"free": 0, "starter-monthly": 900, "starter-annual": 9000, "pro-monthly": 2900, "pro-annual": 29000,
		"business-monthly": 9900, "business-annual": 99000}
	if len(c.Plans) != len(want) {
		t.Fatalf("%d plans, want %d", len(c.Plans), len(want))
	}
	for _, p := range c.Plans {
		if a, ok := want[p.ID]; !ok || a != p.Price.Amount || p.Price.Currency != "USD" || !p.Active {
			t.Errorf("plan %s: %v active=%v", p.ID, p.Price, p.Active)
		}
		if p.IsDefault != (p.ID == "free") {
			t.Errorf("plan %s default=%v", p.ID, p.IsDefault)
		}
	}
}
