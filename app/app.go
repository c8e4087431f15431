// Package app assembles the portal from its parts: database, services,
// payment provider and HTTP server. main.go and the end-to-end tests both
// build the portal through it, so tests run what users run.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/checkout/sandbox"
	"github.com/billingportal/portal/checkout/stripe"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/config"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/demo"
	"github.com/billingportal/portal/email"
	"github.com/billingportal/portal/handlers"
	"github.com/billingportal/portal/invoicepdf"
	"github.com/billingportal/portal/notify"
	"github.com/billingportal/portal/web"
)

// Config is the portal's configuration, from flags and environment.
type Config struct {
	DBPath           string // the SQLite file, unless DatabaseURL is set
	DatabaseURL      string // postgres://… selects PostgreSQL
	BaseURL          string // how browsers reach the portal, e.g. http://127.0.0.1:8080
	SessionSecret    string // "" generates one and keeps it in the database
	WebhookSecret    string // sandbox webhook secret; "" generates one and keeps it
	APIKey           string
	EmbedOrigins     []string
	CheckoutProvider string
	Demo             bool
	Logger           *slog.Logger
	Wall             clock.Clock // real time; the system clock unless a test sets it
	PasswordCost     int         // bcrypt cost; 0 is bcrypt's default
	AppWebhookURL    string      // where subscription.updated notifications go; "" sends none
	AppWebhookSecret string      // signs them; required with AppWebhookURL
	SMTPURL          string      // where mail is sent; "" keeps it in the outbox
	MailFrom         string      // the From of every mail; required with SMTPURL
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For / X-Real-IP name the client; none by default, so
	// the client is the peer and no header can claim another address.
	TrustedProxies []string
	// LoginSlowdown is the pause before checking a password from an address
	// the account has signed in from, once the throttle's limits are reached;
	// 0 means 2 seconds.
	LoginSlowdown time.Duration
	// Portal is the operator's checked configuration file: catalogue, policy,
	// brand and seller. nil leaves the stored catalogue as it is (create-user).
	Portal *config.Config

	// Stripe, with CheckoutProvider "stripe": STRIPE_SECRET_KEY,
	// STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE ("" is Stripe's own).
	StripeSecretKey     string
	StripeWebhookSecret string
	StripeAPIBase       string
}

// App is an assembled portal. Sandbox is nil unless the provider is the sandbox.
type App struct {
	Store    *db.Store
	Billing  *billing.Service
	Accounts *account.Service
	Sandbox  *sandbox.Provider
	Clock    *clock.Offset // billing time; moved forward only by the test clock (test mode)
	Handler  http.Handler
	Config   Config
	Notifier *notify.Sender // nil without APP_WEBHOOK_URL
	Mailer   *email.Sender  // nil without SMTP_URL: mail then stays in the outbox
	Invoices *invoicepdf.Renderer
	running  sync.WaitGroup // background work started by Start
}

// minSecretLen is the shortest secret accepted from the environment.
const minSecretLen = 32

// New opens the database, migrates and seeds it, and builds the server.
func New(ctx context.Context, cfg Config) (*App, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, cfg.Database())
	if err != nil {
		return nil, err
	}
	a, err := assemble(ctx, cfg, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

// Database is what db.Open opens: the PostgreSQL URL when one is set,
// otherwise the SQLite file.
func (cfg Config) Database() string {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL
	}
	return cfg.DBPath
}

func (cfg *Config) defaults() error {
	if cfg.DatabaseURL != "" && !db.IsPostgresURL(cfg.DatabaseURL) {
		return fmt.Errorf("DATABASE_URL must be a postgres:// URL; for SQLite set DATABASE_PATH (or -db) instead")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Wall == nil {
		cfg.Wall = clock.System{}
	}
	if cfg.CheckoutProvider == "" {
		cfg.CheckoutProvider = "sandbox"
	}
	switch cfg.CheckoutProvider {
	case sandbox.Name:
	case stripe.Name:
		if err := stripe.CheckConfig(cfg.StripeSecretKey, cfg.StripeWebhookSecret, cfg.StripeAPIBase); err != nil {
			return err
		}
	default:
		return fmt.Errorf("CHECKOUT_PROVIDER %q is not supported; choose \"sandbox\" or \"stripe\"", cfg.CheckoutProvider)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return fmt.Errorf("BASE_URL %q must start with http:// or https://", cfg.BaseURL)
	}
	if cfg.AppWebhookURL != "" && len(cfg.AppWebhookSecret) < minSecretLen {
		return fmt.Errorf("APP_WEBHOOK_SECRET of at least %d characters is required with APP_WEBHOOK_URL", minSecretLen)
	}
	if cfg.AppWebhookURL != "" && !strings.HasPrefix(cfg.AppWebhookURL, "http://") && !strings.HasPrefix(cfg.AppWebhookURL, "https://") {
		return fmt.Errorf("APP_WEBHOOK_URL %q must be an http(s) URL", cfg.AppWebhookURL)
	}
	for _, o := range cfg.EmbedOrigins {
		if !validOrigin(o) {
			return fmt.Errorf("EMBED_ORIGINS: %q is not an origin such as https://app.example.com", o)
		}
	}
	if cfg.SMTPURL != "" {
		if _, err := email.ParseSMTPURL(cfg.SMTPURL); err != nil {
			return err
		}
		if cfg.MailFrom == "" {
			return errors.New("MAIL_FROM is required with SMTP_URL, e.g. \"Acme Billing <billing@acme.test>\"")
		}
	}
	if cfg.MailFrom != "" {
		if _, err := email.ParseFrom(cfg.MailFrom); err != nil {
			return err
		}
	}
	for _, p := range cfg.TrustedProxies {
		if !validProxy(p) {
			return fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or CIDR range such as 10.0.0.0/8", p)
		}
	}
	if cfg.LoginSlowdown == 0 {
		cfg.LoginSlowdown = 2 * time.Second
	}
	for name, v := range map[string]string{"SESSION_SECRET": cfg.SessionSecret, "BILLING_API_KEY": cfg.APIKey} {
		if v != "" && len(v) < minSecretLen {
			return fmt.Errorf("%s must be at least %d characters", name, minSecretLen)
		}
	}
	return nil
}

func assemble(ctx context.Context, cfg Config, store *db.Store) (*App, error) {
	sessionSecret, err := secret(ctx, store, cfg.SessionSecret, "session_secret")
	if err != nil {
		return nil, err
	}
	webhookSecret, err := secret(ctx, store, cfg.WebhookSecret, "sandbox_webhook_secret")
	if err != nil {
		return nil, err
	}
	portal := cfg.Portal
	if portal != nil {
		if err := store.SyncCatalogue(ctx, portal.Plans); err != nil {
			var inUse *db.PlanInUseError
			if errors.As(err, &inUse) {
				return nil, &ConfigError{Err: fmt.Errorf("%s: %w", portal.Path, err)}
			}
			return nil, err
		}
		for _, note := range portal.Theme.Notes {
			cfg.Logger.Warn("brand.accent adjusted for contrast", "accent", portal.Brand.Accent, "note", note)
		}
	} else {
		portal = &config.Config{Brand: brand.Default, Policy: billing.DefaultPolicy()}
		accent, _ := brand.ParseHex(brand.Default.Accent)
		portal.Theme = brand.NewTheme(accent)
	}
	// The test clock's offset and the sign-in throttle live in the
	// database, so they survive restarts and every process sharing a
	// PostgreSQL database reads the same ones.
	billingClock, err := clock.NewStoredOffset(ctx, cfg.Wall, store)
	if err != nil {
		return nil, err
	}
	composer := email.Composer{Brand: portal.Brand.Name, Theme: portal.Theme}
	throttle := account.NewThrottle(account.PrefixedThrottleStore(store.Throttle(), "login/"), cfg.Wall, 15*time.Minute, 5, 20, cfg.LoginSlowdown)
	accounts := account.NewService(store.Accounts(), store.Accounts(), cfg.Wall, throttle,
		account.Config{PasswordCost: cfg.PasswordCost, Passwords: store.Accounts(), ResetMail: composer.PasswordReset, Throttles: store.Throttle(),
			ResetURL: func(token string) string { return cfg.BaseURL + "/password/reset/" + token }})
	sandboxStore, err := sandbox.OpenStore(ctx, store.Writer(), store.Engine() == db.Postgres, store.MigrateFS)
	if err != nil {
		return nil, err
	}
	opts := billing.Options{
		Logger: cfg.Logger, Notify: cfg.AppWebhookURL != "", Policy: &portal.Policy, Wall: cfg.Wall,
		ReturnURL:     func(id string) string { return cfg.BaseURL + "/checkout/return?session_id=" + id },
		CardReturnURL: cfg.BaseURL + "/subscription?notice=card_saved", CardCancelURL: cfg.BaseURL + "/subscription",
	}
	var provider billing.Provider
	var sandboxProvider *sandbox.Provider
	var pages *web.ProviderPages
	var checkoutOrigin string // "" when the provider's pages are the portal's own
	switch cfg.CheckoutProvider {
	case stripe.Name:
		if provider, err = stripe.New(stripe.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret,
			APIBase: cfg.StripeAPIBase, Clock: billingClock, Wall: cfg.Wall, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
		opts.CheckoutTTL = stripe.CheckoutTTL
		checkoutOrigin = stripe.CheckoutOrigin(cfg.StripeAPIBase)
	default:
		sandboxProvider = sandbox.New(sandboxStore, sandbox.Config{BaseURL: cfg.BaseURL, WebhookURL: cfg.BaseURL + "/webhooks/" + sandbox.Name,
			Secrets: [][]byte{[]byte(webhookSecret)}, Clock: billingClock, Wall: cfg.Wall, Logger: cfg.Logger})
		provider = sandboxProvider
		pages = &web.ProviderPages{Prefix: sandbox.PathPrefix, Handler: sandboxProvider.Pages()}
	}
	svc := billing.NewService(store, provider, billingClock, opts)
	svc.UseMail(composer, cfg.BaseURL)
	invoices := invoicepdf.New(portal.Seller, portal.Theme.Link)
	mailer, err := newMailer(cfg, store, invoices)
	if err != nil {
		return nil, err
	}
	// The test clock moves billing time only where no real money moves.
	// On PostgreSQL, where several processes may share the database, its
	// offset is then read on every reading, so an advance through one
	// process holds at once in all; otherwise it cannot move, and is read
	// once.
	var testClock handlers.TestClock
	if provider.TestMode() {
		testClock = billingClock
		if store.Engine() == db.Postgres {
			billingClock.Share()
		}
	}
	if cfg.Demo {
		if err := demo.Seed(ctx, accounts, store, sandboxStore, billingClock.Now()); err != nil {
			return nil, err
		}
	}
	handler := web.NewServer(web.Deps{
		Accounts: accounts, SessionSecret: sessionSecret, SessionMaxAge: 12 * time.Hour, Log: cfg.Logger, EmbedOrigins: cfg.EmbedOrigins,
		ProviderPages: pages, CheckoutOrigin: checkoutOrigin, TrustedProxies: cfg.TrustedProxies,
		Handlers: handlers.Deps{Billing: svc, Accounts: accounts, Ping: store.Ping, Writable: store.CheckWritable, Wall: cfg.Wall,
			TestClock: testClock, APIKey: cfg.APIKey,
			BaseURL: origin(cfg.BaseURL), EmbedOrigins: cfg.EmbedOrigins, Idempotency: store, Outbox: outbox(cfg, store),
			Lifetime: ctx, InvoicePDFs: invoices, Mail: store, MailSending: mailer != nil, MailWake: wakeOf(mailer),
			Brand: portal.Brand, Seller: portal.Seller, Theme: portal.Theme, Catalogue: store, Logo: logoData(portal), LogoType: logoType(portal)},
		LogoOrigin: logoOrigin(portal.Brand.Logo),
	})
	a := &App{Store: store, Billing: svc, Accounts: accounts, Sandbox: sandboxProvider, Clock: billingClock, Handler: handler, Config: cfg,
		Mailer: mailer, Invoices: invoices}
	if cfg.AppWebhookURL != "" {
		a.Notifier = notify.New(store, cfg.AppWebhookURL, []byte(cfg.AppWebhookSecret), cfg.Wall, cfg.Logger)
	}
	return a, nil
}

// ConfigError is a problem with the operator's configuration file; the
// command exits 2 on it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func logoData(c *config.Config) []byte {
	if c.Logo == nil {
		return nil
	}
	return c.Logo.Data
}

func logoType(c *config.Config) string {
	if c.Logo == nil {
		return ""
	}
	return c.Logo.ContentType
}

// logoOrigin is the origin of a logo given as a URL, which the page's CSP
// must allow images from; "" for a logo file or none.
func logoOrigin(logo string) string {
	if !strings.HasPrefix(logo, "https://") && !strings.HasPrefix(logo, "http://") {
		return ""
	}
	return origin(logo)
}

// secret returns the configured value, or one generated once and kept in
// the database so sessions survive restarts.
func secret(ctx context.Context, store *db.Store, configured, key string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	return store.SettingOrInit(ctx, key, func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	})
}

// WebhookSecret returns the sandbox webhook secret in force.
func (a *App) WebhookSecret(ctx context.Context) (string, error) {
	return secret(ctx, a.Store, a.Config.WebhookSecret, "sandbox_webhook_secret")
}

// WorkerInterval is how often the lifecycle worker looks for due work.
const WorkerInterval = time.Minute

// NotifyInterval is how often queued notifications are looked at.
const NotifyInterval = time.Second

// MailInterval is how often the mail outbox is looked at; a reset link
// wakes the worker at once.
const MailInterval = 5 * time.Second

// wakeOf is the mail worker's wake-up call, nil when no worker runs.
func wakeOf(m *email.Sender) func() {
	if m == nil {
		return nil
	}
	return m.Wake
}

// newMailer builds the mail worker when SMTP_URL is set; receipts get the
// invoice's PDF attached.
func newMailer(cfg Config, store *db.Store, invoices *invoicepdf.Renderer) (*email.Sender, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	server, err := email.ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	from, err := email.ParseFrom(cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	attach := func(ctx context.Context, id int64) (string, []byte, error) {
		inv, err := store.Invoice(ctx, id)
		if err != nil {
			return "", nil, err
		}
		pdf, err := invoices.Render(inv)
		return invoicepdf.Filename(inv), pdf, err
	}
	return email.NewSender(store, server, from, attach, cfg.Wall, cfg.Logger), nil
}

// origin is scheme://host[:port] of a URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// outbox is the notification queue managers may list, when notifications are on.
func outbox(cfg Config, store *db.Store) handlers.Outbox {
	if cfg.AppWebhookURL == "" {
		return nil
	}
	return store
}

// validProxy accepts an IP address or a CIDR range.
func validProxy(p string) bool {
	if _, _, err := net.ParseCIDR(p); err == nil {
		return true
	}
	return net.ParseIP(p) != nil
}

// validOrigin accepts scheme://host[:port] with nothing after it.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil
}

// SandboxDeliveryInterval is how often the sandbox looks at its queue of
// events the portal has not acknowledged yet.
const SandboxDeliveryInterval = time.Second

// Start runs background work until ctx ends: the sandbox delivers queued
// events (with backoff, for days, across restarts), and the lifecycle
// worker applies renewals, scheduled changes and dunning. When ctx ends,
// each takes no new work; Wait returns once the item in progress is done.
func (a *App) Start(ctx context.Context) {
	if a.Sandbox != nil {
		a.background(func() { a.Sandbox.Run(ctx, SandboxDeliveryInterval) })
	}
	if a.Notifier != nil {
		a.background(func() { a.Notifier.Run(ctx, NotifyInterval) })
	}
	if a.Mailer != nil {
		a.background(func() { a.Mailer.Run(ctx, MailInterval) })
	}
	a.background(func() {
		t := time.NewTicker(WorkerInterval)
		defer t.Stop()
		for {
			if _, err := a.Billing.RunDue(ctx); err != nil && ctx.Err() == nil {
				a.Config.Logger.Error("lifecycle worker", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

func (a *App) background(fn func()) {
	a.running.Add(1)
	go func() {
		defer a.running.Done()
		fn()
	}()
}

// Wait blocks until the background work started by Start has stopped.
func (a *App) Wait() { a.running.Wait() }

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }
