// Command portal serves the self-hosted customer billing portal.
//
//	go run . -demo                          serve with demo data on http://127.0.0.1:8080
//	go run . create-user -email x@y -role manager   create an account (password on stdin)
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run is the whole program, so tests can start the real server.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "create-user" {
		return createUser(ctx, args[1:], getenv, stdin, stdout)
	}
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", envOr(getenv, "ADDR", "127.0.0.1:8080"), "listen address (ADDR)")
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	baseURL := fs.String("base-url", getenv("BASE_URL"), "URL browsers use to reach the portal (BASE_URL); default http://<addr>")
	demoData := fs.Bool("demo", false, "seed the demo catalogue and accounts if absent")
	if err := fs.Parse(args); err != nil {
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
	a, err := app.New(ctx, app.Config{
		DBPath: *dbPath, BaseURL: *baseURL, Demo: *demoData, Logger: logger,
		SessionSecret: getenv("SESSION_SECRET"), WebhookSecret: getenv("SANDBOX_WEBHOOK_SECRET"), APIKey: getenv("BILLING_API_KEY"),
		EmbedOrigins: splitList(getenv("EMBED_ORIGINS")), CheckoutProvider: getenv("CHECKOUT_PROVIDER"),
		AppWebhookURL: getenv("APP_WEBHOOK_URL"), AppWebhookSecret: getenv("APP_WEBHOOK_SECRET"),
	})
	if err != nil {
		return err
	}
	defer a.Close()
	return serve(ctx, ln, a, logger)
}

// serve runs the HTTP server until ctx ends, then drains it gracefully.
func serve(ctx context.Context, ln net.Listener, a *app.App, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("portal listening", "url", a.Config.BaseURL, "demo", a.Config.Demo, "db", a.Config.DBPath)
	a.Start(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("portal stopped")
	return nil
}

// createUser adds an account; the password is read from stdin so it never
// appears in shell history or the process list.
func createUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "manager", "customer or manager")
	dbPath := fs.String("db", envOr(getenv, "DATABASE_PATH", "billing.db"), "SQLite file (DATABASE_PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("create-user: -email is required; the password is read from standard input")
	}
	fmt.Fprintf(stdout, "Password for %s (at least %d characters): ", *email, account.MinPasswordLength)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("create-user: read password from stdin: %w", err)
	}
	a, err := app.New(ctx, app.Config{DBPath: *dbPath, BaseURL: "http://127.0.0.1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
