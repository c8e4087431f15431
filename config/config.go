// Package config reads the operator's configuration file (-config,
// PORTAL_CONFIG): the catalogue, the change policy, the brand and the seller.
// It checks the whole file before anything is written anywhere, and every
// problem names the file and the line.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
)

// Config is a checked configuration file.
type Config struct {
	Path        string
	Brand       brand.Brand
	Theme       brand.Theme
	Seller      brand.Seller
	Plans       []billing.Plan // every plan in the file, products in file order
	DefaultPlan string
	Policy      billing.Policy
	Logo        *Logo // the logo file's bytes when brand.logo is a path; nil for a URL or none
}

// Logo is a logo read from the operator's disk, served by the portal.
type Logo struct {
	Data        []byte
	ContentType string
}

// Error is one problem in the file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors are every problem found, in line order.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads and checks the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read the configuration file: %v", errors.Unwrap(err))}}
	}
	return Parse(path, data)
}

// file is the YAML as written; pointers tell a missing key from a zero.
type file struct {
	Brand       brandFile   `yaml:"brand"`
	Seller      sellerFile  `yaml:"seller"`
	Products    []product   `yaml:"products"`
	DefaultPlan *string     `yaml:"default_plan"`
	Policy      *policyFile `yaml:"policy"`
}

type brandFile struct {
	Name         string `yaml:"name"`
	Accent       string `yaml:"accent"`
	Logo         string `yaml:"logo"`
	SupportEmail string `yaml:"support_email"`
}

type sellerFile struct {
	Name    string `yaml:"name"`
	Address string `yaml:"address"`
	TaxID   string `yaml:"tax_id"`
	Email   string `yaml:"email"`
}

type product struct {
	ID          string           `yaml:"id"`
	Name        string           `yaml:"name"`
	Description string           `yaml:"description"`
	Rank        *int             `yaml:"rank"`
	Features    []string         `yaml:"features"`
	Limits      map[string]int64 `yaml:"limits"`
	Flags       map[string]bool  `yaml:"flags"`
	Plans       []plan           `yaml:"plans"`
}

type plan struct {
	ID            string `yaml:"id"`
	Interval      string `yaml:"interval"`
	IntervalCount int    `yaml:"interval_count"`
	Amount        *int64 `yaml:"amount"`
	Currency      string `yaml:"currency"`
	Active        *bool  `yaml:"active"`
}

type policyFile struct {
	Allow struct {
		Cancel         *bool `yaml:"cancel"`
		SwitchInterval *bool `yaml:"switch_interval"`
		Downgrade      *bool `yaml:"downgrade"`
	} `yaml:"allow"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	From   match  `yaml:"from"`
	To     match  `yaml:"to"`
	Timing string `yaml:"timing"`
	Reason string `yaml:"reason"`
}

type match struct {
	Product       string `yaml:"product"`
	Interval      string `yaml:"interval"`
	IntervalCount int    `yaml:"interval_count"`
}

// Parse checks a file's contents; path names it in errors and anchors a
// relative logo path.
func Parse(path string, data []byte) (*Config, error) {
	name := path
	ast, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	if len(ast.Docs) != 1 || ast.Docs[0].Body == nil {
		return nil, Errors{{File: name, Line: 1, Msg: "the file is empty; it needs at least products and default_plan"}}
	}
	var f file
	if err := yaml.NodeToValue(ast.Docs[0].Body, &f, yaml.DisallowUnknownField()); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	c := &checker{name: name, dir: filepath.Dir(path), ast: ast}
	cfg := c.check(&f)
	if len(c.errs) > 0 {
		slices.SortStableFunc(c.errs, func(a, b Error) int { return a.Line - b.Line })
		return nil, c.errs
	}
	cfg.Path = path
	return cfg, nil
}

// yamlError turns the YAML library's error, which knows its token, into
// file:line: problem.
func yamlError(name string, err error) Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := Error{File: name, Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line = tk.Position.Line
		}
		var unknown *yaml.UnknownFieldError
		duplicate := strings.Contains(e.Msg, "already defined") // the parser's words for a key given twice
		switch {
		case errors.As(err, &unknown):
			e.Msg = strings.Replace(e.Msg, "unknown field", "unknown key", 1) + " (see portal.example.yaml for every key)"
		case duplicate && strings.Contains(e.Msg, `"default_plan"`):
			e.Msg = "more than one default plan: " + e.Msg + "; name exactly one"
		case duplicate:
			e.Msg = "duplicate key: " + e.Msg
		}
		return e
	}
	return Error{File: name, Msg: err.Error()}
}

// checker collects problems with their lines.
type checker struct {
	name string
	dir  string
	ast  *ast.File
	errs Errors
}

// fail records a problem at the node the path names, or the nearest
// enclosing node that exists (a missing key is reported on its parent).
func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, Error{File: c.name, Line: c.line(path), Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) line(path string) int {
	for p := path; p != "" && p != "$"; {
		if yp, err := yaml.PathString(p); err == nil {
			if n, err := yp.FilterFile(c.ast); err == nil && n != nil {
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					return tk.Position.Line
				}
			}
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return 1
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

func (c *checker) check(f *file) *Config {
	cfg := &Config{Policy: billing.DefaultPolicy()}
	c.brand(f.Brand, cfg)
	cfg.Seller = brand.Seller{Name: f.Seller.Name, Address: f.Seller.Address, TaxID: f.Seller.TaxID, Email: f.Seller.Email}
	if cfg.Seller.Name == "" {
		cfg.Seller.Name = cfg.Brand.Name
	}
	cfg.Plans = c.products(f.Products)
	c.defaultPlan(f.DefaultPlan, cfg)
	if f.Policy != nil {
		c.policy(f.Policy, f.Products, cfg)
	}
	return cfg
}

func (c *checker) brand(b brandFile, cfg *Config) {
	cfg.Brand = brand.Default
	if b.Name != "" {
		cfg.Brand.Name = b.Name
	}
	cfg.Brand.SupportEmail = b.SupportEmail
	if b.Accent != "" {
		cfg.Brand.Accent = b.Accent
	}
	accent, ok := brand.ParseHex(cfg.Brand.Accent)
	if !ok || !strings.HasPrefix(cfg.Brand.Accent, "#") {
		c.fail("$.brand.accent", "brand.accent %q must be a colour written #rrggbb", b.Accent)
	}
	cfg.Brand.Accent = accent.Hex()
	cfg.Theme = brand.NewTheme(accent)
	c.logo(b.Logo, cfg)
}

// logo accepts an http(s) URL, or a path (relative to the file) to an
// image the portal then serves itself.
func (c *checker) logo(logo string, cfg *Config) {
	switch {
	case logo == "":
		return
	case strings.HasPrefix(logo, "https://") || strings.HasPrefix(logo, "http://"):
		cfg.Brand.Logo = logo
		return
	}
	types := map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
	ct, ok := types[strings.ToLower(filepath.Ext(logo))]
	if !ok {
		c.fail("$.brand.logo", "brand.logo %q must be an .svg, .png, .jpg or .webp file, or an http(s) URL", logo)
		return
	}
	p := logo
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		c.fail("$.brand.logo", "brand.logo %q cannot be read: %v", logo, errors.Unwrap(err))
		return
	}
	cfg.Brand.Logo = logo
	cfg.Logo = &Logo{Data: data, ContentType: ct}
}

// products checks products and their plans and returns the plans.
func (c *checker) products(products []product) []billing.Plan {
	if len(products) == 0 {
		c.fail("$.products", "products: the catalogue needs at least one product with a plan")
		return nil
	}
	var plans []billing.Plan
	productIDs, productNames, planIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	currency := ""
	for i, p := range products {
		at := fmt.Sprintf("$.products[%d]", i)
		switch {
		case p.ID == "":
			c.fail(at, "products[%d]: id is missing", i)
		case !idPattern.MatchString(p.ID):
			c.fail(at+".id", "product id %q: use lower-case letters, digits and dashes", p.ID)
		case productIDs[p.ID]:
			c.fail(at+".id", "product id %q is used twice", p.ID)
		}
		productIDs[p.ID] = true
		switch {
		case strings.TrimSpace(p.Name) == "":
			c.fail(at, "product %q: name is missing", p.ID)
		case productNames[p.Name]:
			c.fail(at+".name", "product name %q is used twice", p.Name)
		}
		productNames[p.Name] = true
		ent := c.entitlements(at, p)
		prod := billing.Product{Key: p.ID, Name: p.Name, Description: p.Description, Features: p.Features, Entitlements: ent}
		if p.Rank != nil {
			prod.Rank = *p.Rank
		}
		if len(p.Plans) == 0 {
			c.fail(at, "product %q has no plans", p.ID)
		}
		for j, pl := range p.Plans {
			bp, ok := c.plan(fmt.Sprintf("%s.plans[%d]", at, j), pl, prod, planIDs)
			if !ok {
				continue
			}
			if currency == "" {
				currency = bp.Price.Currency
			} else if bp.Price.Currency != currency {
				c.fail(fmt.Sprintf("%s.plans[%d].currency", at, j), "plan %q is in %s but the catalogue is in %s: the portal sells in one currency", pl.ID, bp.Price.Currency, currency)
			}
			plans = append(plans, bp)
		}
	}
	return plans
}

func (c *checker) entitlements(at string, p product) billing.Entitlements {
	for name, v := range p.Limits {
		if !namePattern.MatchString(name) {
			c.fail(at+".limits."+name, "product %q: limit name %q: use lower-case letters, digits and _", p.ID, name)
		}
		if v < billing.Unlimited {
			c.fail(at+".limits."+name, "product %q: limit %s is %d; use a number from 0 up, or -1 for unlimited", p.ID, name, v)
		}
	}
	for name := range p.Flags {
		if !namePattern.MatchString(name) {
			c.fail(at+".flags."+name, "product %q: flag name %q: use lower-case letters, digits and _", p.ID, name)
		}
	}
	return billing.Entitlements{Limits: p.Limits, Flags: p.Flags}
}

func (c *checker) plan(at string, p plan, prod billing.Product, seen map[string]bool) (billing.Plan, bool) {
	ok := true
	bad := func(key, format string, args ...any) {
		c.fail(at+key, format, args...)
		ok = false
	}
	switch {
	case p.ID == "":
		bad("", "a plan of product %q has no id", prod.Key)
	case !idPattern.MatchString(p.ID):
		bad(".id", "plan id %q: use lower-case letters, digits and dashes", p.ID)
	case seen[p.ID]:
		bad(".id", "plan id %q is used twice", p.ID)
	}
	seen[p.ID] = true
	interval, err := billing.ParseInterval(p.Interval, p.IntervalCount)
	switch {
	case p.Interval == "":
		bad("", "plan %q: interval is missing (week, month or year)", p.ID)
	case err != nil && p.IntervalCount != 0 && (p.IntervalCount < 1 || p.IntervalCount > billing.MaxIntervalCount):
		bad(".interval_count", "plan %q: interval_count %d must be 1 to %d", p.ID, p.IntervalCount, billing.MaxIntervalCount)
	case err != nil:
		bad(".interval", "plan %q: interval %q must be week, month or year", p.ID, p.Interval)
	}
	switch {
	case p.Amount == nil:
		bad("", "plan %q: amount is missing (in minor units, e.g. 2900 for 29.00)", p.ID)
	case *p.Amount < 0:
		bad(".amount", "plan %q: amount %d is negative", p.ID, *p.Amount)
	}
	switch {
	case p.Currency == "":
		bad("", "plan %q: currency is missing (an ISO 4217 code such as USD)", p.ID)
	case !billing.ValidCurrency(p.Currency):
		bad(".currency", "plan %q: currency %q is not an ISO 4217 code such as USD, EUR or JPY", p.ID, p.Currency)
	}
	if !ok {
		return billing.Plan{}, false
	}
	active := p.Active == nil || *p.Active
	return billing.Plan{ID: p.ID, Product: prod, Interval: interval, Price: billing.Money{Amount: *p.Amount, Currency: p.Currency}, Active: active}, true
}

// defaultPlan marks the plan every customer starts on. It must be free,
// since it never renews, and offered.
func (c *checker) defaultPlan(id *string, cfg *Config) {
	if id == nil || *id == "" {
		c.fail("$", "default_plan is missing: name the free plan every customer starts on")
		return
	}
	found := slices.ContainsFunc(cfg.Plans, func(p billing.Plan) bool { return p.ID == *id })
	for i := range cfg.Plans {
		p := &cfg.Plans[i]
		if p.ID != *id {
			if p.Free() && found {
				c.fail(c.planPath(p.ID)+".amount", "plan %q costs nothing but is not the default plan; only default_plan may be free", p.ID)
			}
			continue
		}
		p.IsDefault = true
		switch {
		case !p.Free():
			c.fail("$.default_plan", "default_plan %q costs %s; the plan every customer starts on must be free (amount: 0)", *id, p.Price)
		case !p.Active:
			c.fail("$.default_plan", "default_plan %q is not active; new customers start on it", *id)
		}
	}
	if !found && len(cfg.Plans) > 0 {
		c.fail("$.default_plan", "default_plan %q is not a plan in this file", *id)
	}
	cfg.DefaultPlan = *id
}

// planPath finds where a plan id is written, for its line.
func (c *checker) planPath(id string) string {
	var f file
	_ = yaml.NodeToValue(c.ast.Docs[0].Body, &f)
	for i, p := range f.Products {
		for j, pl := range p.Plans {
			if pl.ID == id {
				return fmt.Sprintf("$.products[%d].plans[%d]", i, j)
			}
		}
	}
	return "$.products"
}

func (c *checker) policy(p *policyFile, products []product, cfg *Config) {
	on := func(b *bool) bool { return b == nil || *b }
	cfg.Policy.Switches = billing.Switches{Cancel: on(p.Allow.Cancel), SwitchInterval: on(p.Allow.SwitchInterval), Downgrade: on(p.Allow.Downgrade)}
	known := map[string]bool{}
	for _, pr := range products {
		known[pr.ID] = true
	}
	for i, r := range p.Rules {
		at := fmt.Sprintf("$.policy.rules[%d]", i)
		br := billing.Rule{Reason: r.Reason}
		switch r.Timing {
		case "now":
			br.Timings = []billing.Timing{billing.Now}
		case "period_end":
			br.Timings = []billing.Timing{billing.AtPeriodEnd}
		case "choice":
			br.Timings = []billing.Timing{billing.Now, billing.AtPeriodEnd}
		case "refused":
			br.Refused = true
		default:
			c.fail(at+".timing", "policy rule %d: timing %q must be now, period_end, choice or refused", i+1, r.Timing)
		}
		br.From = c.match(at+".from", i, r.From, known)
		br.To = c.match(at+".to", i, r.To, known)
		cfg.Policy.Rules = append(cfg.Policy.Rules, br)
	}
}

func (c *checker) match(at string, i int, m match, known map[string]bool) billing.Match {
	out := billing.Match{Product: m.Product}
	if m.Product != "" && !known[m.Product] {
		c.fail(at+".product", "policy rule %d: there is no product %q", i+1, m.Product)
	}
	if m.Interval != "" {
		iv, err := billing.ParseInterval(m.Interval, m.IntervalCount)
		if err != nil {
			c.fail(at+".interval", "policy rule %d: interval %q × %d must be week, month or year, 1 to %d", i+1, m.Interval, max(m.IntervalCount, 1), billing.MaxIntervalCount)
		}
		out.Interval = iv
	}
	return out
}
