// Command portal serves the self-hosted customer billing portal.
//
//	go run . -demo                          serve with demo data on http://127.0.0.1:8080
//	go run . create-user -email x@y -role manager   create an account (password on stdin)
//	go run . check [-db billing.db]                 verify the books; exit 1 listing each violation
//	                                                (DATABASE_URL or -database-url: on PostgreSQL)
//	go run . backup [-db billing.db] FILE           an online, consistent copy of the SQLite database
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/config"
	"github.com/billingportal/portal/db"
	"github.com/billingportal/portal/demohost"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		var cfgErr *app.ConfigError
		if errors.As(err, &cfgErr) {
			os.Exit(2) // the operator's configuration is wrong: fix the file and start again
		}
		os.Exit(1)
	}
}

// run is the whole program, so tests can start the real server.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "create-user":
			return createUser(ctx, args[1:], getenv, stdin, stdout)
		case "check":
			return checkBooks(ctx, args[1:], getenv, stdout)
		case "backup":
			return backup(ctx, args[1:], getenv, stdout)
		}
	}
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", envOr(getenv, "ADDR", "127.0.0.1:8080"), "listen address (ADDR)")
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "postgres://… URL of a PostgreSQL database (DATABASE_URL); used instead of -db when set")
	baseURL := fs.String("base-url", getenv("BASE_URL"), "URL browsers use to reach the portal (BASE_URL); default http://<addr>")
	demoData := fs.Bool("demo", false, "seed the demo accounts if absent, and serve the example app that embeds the portal")
	pprofAddr := fs.String("pprof-addr", getenv("PPROF_ADDR"), "serve Go's profiler on this address (PPROF_ADDR), e.g. 127.0.0.1:6060; off when empty")
	trustedProxies := fs.String("trusted-proxies", getenv("TRUSTED_PROXIES"), "comma-separated IPs or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES); none by default")
	demoAppAddr := fs.String("demo-app-addr", "127.0.0.1:8081", "with -demo: where the example embedding app listens (reached as http://localhost:<port>)")
	configPath := fs.String("config", getenv("PORTAL_CONFIG"), "the configuration file: catalogue, brand, seller (PORTAL_CONFIG); -demo uses portal.example.yaml without it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The file is checked before anything listens or touches the database.
	portal, err := loadConfig(*configPath, *demoData)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer ln.Close()
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	cfg := app.Config{
		DBPath: *dbPath, DatabaseURL: *dbURL, BaseURL: *baseURL, Demo: *demoData, Logger: logger,
		SessionSecret: getenv("SESSION_SECRET"), WebhookSecret: getenv("SANDBOX_WEBHOOK_SECRET"), APIKey: getenv("BILLING_API_KEY"),
		EmbedOrigins: splitList(getenv("EMBED_ORIGINS")), CheckoutProvider: getenv("CHECKOUT_PROVIDER"),
		StripeSecretKey: getenv("STRIPE_SECRET_KEY"), StripeWebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"), StripeAPIBase: getenv("STRIPE_API_BASE"),
		AppWebhookURL: getenv("APP_WEBHOOK_URL"), AppWebhookSecret: getenv("APP_WEBHOOK_SECRET"), Portal: portal,
		SMTPURL: getenv("SMTP_URL"), MailFrom: getenv("MAIL_FROM"),
		TrustedProxies: splitList(*trustedProxies),
	}
	var demoApp *demoServer
	if *demoData {
		if demoApp, err = newDemoServer(*demoAppAddr, &cfg, logger); err != nil {
			return err
		}
		defer demoApp.ln.Close()
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if demoApp != nil {
		go demoApp.serve(ctx)
	}
	if *pprofAddr != "" {
		go servePprof(ctx, *pprofAddr, logger)
	}
	return serve(ctx, ln, a, logger)
}

// exampleConfig is portal.example.yaml, the demo catalogue, built in so
// that -demo works from any directory.
//
//go:embed portal.example.yaml
var exampleConfig []byte

// loadConfig reads and checks the configuration file, or the built-in
// example with -demo.
func loadConfig(path string, demoData bool) (*config.Config, error) {
	var c *config.Config
	var err error
	switch {
	case path != "":
		c, err = config.Load(path)
	case demoData:
		c, err = config.Parse("portal.example.yaml", exampleConfig)
	default:
		return nil, &app.ConfigError{Err: errors.New("no configuration file: give -config portal.yaml (or PORTAL_CONFIG) with your catalogue; portal.example.yaml documents every key, and -demo runs with it")}
	}
	if err != nil {
		return nil, &app.ConfigError{Err: err}
	}
	return c, nil
}

// demoServer is the example app that embeds the portal from another site.
type demoServer struct {
	ln   net.Listener
	host *demohost.Host
	log  *slog.Logger
}

// newDemoServer listens for the example app and lets its origin frame the
// portal. Without BILLING_API_KEY it makes one for the example app alone.
func newDemoServer(addr string, cfg *app.Config, logger *slog.Logger) (*demoServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo app: listen on %s: %w", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin := "http://localhost:" + port
	if cfg.APIKey == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		cfg.APIKey = "demo_" + hex.EncodeToString(b)
	}
	cfg.EmbedOrigins = append(cfg.EmbedOrigins, origin)
	return &demoServer{ln: ln, host: demohost.New(cfg.BaseURL, origin, cfg.APIKey), log: logger}, nil
}

func (d *demoServer) serve(ctx context.Context) {
	srv := &http.Server{Handler: d.host.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	_, port, _ := net.SplitHostPort(d.ln.Addr().String())
	d.log.Info("example app embedding the portal", "url", "http://localhost:"+port)
	if err := srv.Serve(d.ln); err != nil && err != http.ErrServerClosed {
		d.log.Error("demo app", "err", err)
	}
}

// serve runs the HTTP server until ctx ends, then drains it gracefully.
func serve(ctx context.Context, ln net.Listener, a *app.App, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	where := a.Config.DBPath
	if a.Store.Engine() == db.Postgres {
		where = "postgres" // not the URL, which may hold a password
	}
	logger.Info("portal listening", "url", a.Config.BaseURL, "demo", a.Config.Demo, "db", where)
	a.Start(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop taking new work: the listener closes, the worker takes no new
	// item (ctx has ended), and a running test-clock advance stops after its
	// current step. Requests in flight and the worker's current item finish.
	logger.Info("portal stopping: finishing requests and the current worker item")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	a.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("portal stopped")
	return nil
}

// shutdownTimeout bounds how long requests in flight may take to finish
// once the portal is asked to stop. A worker item is never cut: Wait has
// no limit, and one item is one or two short transactions and at most one
// provider call.
const shutdownTimeout = 30 * time.Second

// createUser adds an account; the password is read from stdin so it never
// appears in shell history or the process list.
func createUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "manager", "customer or manager")
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "postgres://… URL (DATABASE_URL); used instead of -db when set")
	configPath := fs.String("config", getenv("PORTAL_CONFIG"), "the configuration file (PORTAL_CONFIG); without it the stored catalogue is used")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var portal *config.Config
	if *configPath != "" {
		var err error
		if portal, err = loadConfig(*configPath, false); err != nil {
			return err
		}
	}
	if *email == "" {
		return errors.New("create-user: -email is required; the password is read from standard input")
	}
	fmt.Fprintf(stdout, "Password for %s (at least %d characters): ", *email, account.MinPasswordLength)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("create-user: read password from stdin: %w", err)
	}
	a, err := app.New(ctx, app.Config{DBPath: *dbPath, DatabaseURL: *dbURL, BaseURL: "http://127.0.0.1", Portal: portal, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.CreateUser(ctx, *email, *name, strings.TrimRight(line, "\r\n"), account.Role(*role))
	if err != nil {
		return fmt.Errorf("create-user: %w", err)
	}
	fmt.Fprintf(stdout, "\nCreated %s %s (id %d).\n", u.Role, u.Email, u.ID)
	return nil
}

// checkBooks verifies the ledger's invariants on the database and lists
// every violation; it fails when there is any.
func checkBooks(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "postgres://… URL (DATABASE_URL); used instead of -db when set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, name := *dbPath, *dbPath
	if *dbURL != "" {
		target, name = *dbURL, "the PostgreSQL database"
	} else if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	store, err := db.Open(ctx, target)
	if err != nil {
		return err
	}
	defer store.Close()
	vs, err := store.BookViolations(ctx)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		fmt.Fprintf(stdout, "The books of %s are clean: no violations.\n", name)
		return nil
	}
	for _, v := range vs {
		fmt.Fprintf(stdout, "%s\t%s: %s\n", v.Rule, v.Subject, v.Detail)
	}
	return fmt.Errorf("check: %d violations in the books of %s", len(vs), name)
}

// backup copies the SQLite database to a new file while the portal may be
// running; PostgreSQL is backed up with its own tools.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if getenv("DATABASE_URL") != "" {
		return errors.New("backup: DATABASE_URL is set: back up PostgreSQL with pg_dump (see README, Backups)")
	}
	if fs.NArg() != 1 {
		return errors.New("backup: name the file to write: go run . backup [-db billing.db] FILE")
	}
	to := fs.Arg(0)
	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file name, a backup never overwrites", to)
	}
	store, err := db.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s.\n", *dbPath, to)
	return nil
}

// servePprof exposes Go's profiler on its own listener, never on the
// portal's, so it is reachable only where the operator chose.
func servePprof(ctx context.Context, addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("profiler listening", "url", "http://"+addr+"/debug/pprof/")
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		logger.Error("profiler", "err", err)
	}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
