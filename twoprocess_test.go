package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/billingportal/portal/db/dbtest"
)

// portalArgsEnv, when set, makes the test binary the portal itself: a
// child process started by TestTwoProcessesShareOnePostgresDatabase runs
// run() with these arguments (JSON) and exits, as `go run .` would.
const portalArgsEnv = "PORTAL_TEST_RUN_AS_PORTAL"

func TestMain(m *testing.M) {
	if raw := os.Getenv(portalArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, args, os.Getenv, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const twoProcessKey = "two-process-server-key-0123456789abcdef"

// portalProcess is one portal running as its own OS process.
type portalProcess struct {
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// startPortal starts a portal process on addr and waits until it answers.
func startPortal(t *testing.T, addr, databaseURL string) *portalProcess {
	t.Helper()
	args, _ := json.Marshal([]string{"-addr", addr, "-demo", "-demo-app-addr", "127.0.0.1:0", "-config", "portal.example.yaml"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), portalArgsEnv+"="+string(args), "DATABASE_URL="+databaseURL,
		"BILLING_API_KEY="+twoProcessKey, "SESSION_SECRET="+strings.Repeat("s", 40))
	p := &portalProcess{addr: addr, cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: p.log}, &lockedWriter{w: p.log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return p
			}
		}
	}
	p.kill()
	t.Fatalf("portal on %s did not start:\n%s", addr, p.log)
	return nil
}

// kill ends the process at once (SIGKILL), as a crash or an OOM kill would.
func (p *portalProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// balancer sends each request to one of the portals, as a load balancer
// would, and to the other one when a portal does not answer (it is down).
type balancer struct {
	addrs []string
	next  atomic.Int64
}

// customer is one browser: a cookie jar shared by both portals (cookies
// do not depend on the port), driven through the balancer.
type customer struct {
	b      *balancer
	client *http.Client
}

func (b *balancer) newCustomer() *customer {
	jar, _ := cookiejar.New(nil)
	return &customer{b: b, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends the request to the next portal, trying the others while one
// is down; it returns the status, the Location and the body.
func (c *customer) do(method, path string, body string, header ...string) (int, string, string, error) {
	var lastErr error
	for try := 0; try < 40; try++ {
		addr := c.b.addrs[int(c.b.next.Add(1))%len(c.b.addrs)]
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			return 0, "", "", err
		}
		req.Header.Set("Origin", "http://"+addr)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.client.Do(req)
		if err != nil { // that portal is down: the balancer tries another
			lastErr = err
			time.Sleep(50 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil && u.Host != "" {
			loc = u.RequestURI()
		}
		return resp.StatusCode, loc, string(b), nil
	}
	return 0, "", "", fmt.Errorf("%s %s: no portal answered: %w", method, path, lastErr)
}

func (c *customer) form(path string, values url.Values) (int, string, error) {
	status, loc, _, err := c.do(http.MethodPost, path, values.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	return status, loc, err
}

// signIn opens a one-time portal link made with the server key, which
// creates the customer on the free plan.
func (c *customer) signIn(email string) error {
	status, _, body, err := c.do(http.MethodPost, "/api/v1/portal/sessions", fmt.Sprintf(`{"email":%q}`, email),
		"Authorization", "Bearer "+twoProcessKey, "Content-Type", "application/json")
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("portal link for %s: %d %v %s", email, status, err, body)
	}
	var link struct{ URL string }
	if err := json.Unmarshal([]byte(body), &link); err != nil {
		return err
	}
	u, err := url.Parse(link.URL)
	if err != nil {
		return err
	}
	status, _, _, err = c.do(http.MethodGet, u.RequestURI(), "")
	if err != nil || status != http.StatusSeeOther {
		return fmt.Errorf("open portal link for %s: %d %v", email, status, err)
	}
	return nil
}

// changePlan asks for a plan and pays when a payment page comes back.
func (c *customer) changePlan(plan string) error {
	status, loc, err := c.form("/subscription/change", url.Values{"plan": {plan}})
	switch {
	case err != nil:
		return err
	case status == http.StatusSeeOther && strings.HasPrefix(loc, "/sandbox/checkout/"):
		page := loc
		status, loc, err = c.form(page+"/pay", nil)
		switch {
		case err != nil:
			return err
		case status == http.StatusSeeOther && (strings.HasPrefix(loc, "/checkout/return") || loc == page):
			return nil // paid, or the page had expired: billing time moved on past it meanwhile
		}
		return fmt.Errorf("pay for %s: %d %s", plan, status, loc)
	case status == http.StatusSeeOther, status == http.StatusConflict, status == http.StatusBadRequest,
		status == http.StatusUnprocessableEntity:
		return nil // applied or scheduled without payment, or refused by the rules: all fine
	}
	return fmt.Errorf("change to %s: %d %s", plan, status, loc)
}

// Two portal processes on one PostgreSQL database behind a balancer:
// customers sign in, change plans and pay through both at once while the
// test clock moves through both, and one process is killed mid-run and
// started again. Afterwards the books are clean (go run . check), the
// provider took exactly what the portal recorded, and no renewal was
// charged twice.
func TestTwoProcessesShareOnePostgresDatabase(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skipf("several processes share a PostgreSQL database; set %s to run this test", dbtest.PostgresEnv)
	}
	if testing.Short() {
		t.Skip("starts two portal processes")
	}
	databaseURL := dbtest.Target(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := startPortal(t, addrA, databaseURL)
	b := startPortal(t, addrB, databaseURL)
	lb := &balancer{addrs: []string{addrA, addrB}}
	store, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The demo data's payments have no provider record: only what the run
	// adds is compared.
	demoRecorded := moneyRecorded(t, store) - moneyTaken(t, store)

	const customers, changes = 10, 5
	plans := []string{"starter-monthly", "pro-monthly", "business-monthly", "pro-annual", "free"}
	var wg sync.WaitGroup
	errs := make(chan error, customers+2)
	for i := 0; i < customers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := lb.newCustomer()
			if err := c.signIn(fmt.Sprintf("two%d@example.com", i)); err != nil {
				errs <- err
				return
			}
			rng := rand.New(rand.NewPCG(uint64(i), 14))
			for j := 0; j < changes; j++ {
				if err := c.changePlan(plans[rng.IntN(len(plans))]); err != nil {
					errs <- fmt.Errorf("customer %d: %w", i, err)
					return
				}
				time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
			}
		}()
	}
	// Billing time moves on through both portals meanwhile: renewals,
	// scheduled changes and dunning fall due and their workers apply them.
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := lb.newCustomer()
		for k := 0; k < 8; k++ {
			status, _, body, err := c.do(http.MethodPost, "/api/v1/test-clock/advance", `{"duration":"240h"}`,
				"Authorization", "Bearer "+twoProcessKey, "Content-Type", "application/json")
			if err != nil || status != http.StatusOK {
				errs <- fmt.Errorf("advance %d: %d %v %s", k, status, err, body)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	// One process dies mid-run and comes back.
	time.Sleep(700 * time.Millisecond)
	b.kill()
	time.Sleep(300 * time.Millisecond)
	b = startPortal(t, addrB, databaseURL)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.Fatalf("portal A:\n%s\nportal B:\n%s", tail(a.log.String()), tail(b.log.String()))
	}

	// Every payment page paid reaches the portal: the sandbox's queue is
	// delivered (by either process) until nothing is left.
	// A charge the killed process left between its two transactions is
	// finished by the next worker run once its claim lapses: nudge the
	// workers with tiny advances of the clock until none is left.
	nudge := lb.newCustomer()
	waitFor(t, store, `SELECT COUNT(*) FROM sandbox_sessions WHERE event_id <> '' AND delivered_at IS NULL`, 0, nil)
	waitFor(t, store, `SELECT COUNT(*) FROM charges WHERE status = 'pending'`, 0, func() {
		_, _, _, _ = nudge.do(http.MethodPost, "/api/v1/test-clock/advance", `{"duration":"1s"}`,
			"Authorization", "Bearer "+twoProcessKey, "Content-Type", "application/json")
	})

	var out bytes.Buffer
	env := map[string]string{"DATABASE_URL": databaseURL}
	if err := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, strings.NewReader(""), &out); err != nil {
		t.Fatalf("go run . check: %v\n%s", err, out.String())
	}
	var renewals, doubled int64
	taken, recorded := moneyTaken(t, store), moneyRecorded(t, store)-demoRecorded
	query(t, store, `SELECT COUNT(*) FROM charges WHERE purpose = 'renewal' AND status = 'succeeded'`, &renewals)
	query(t, store, `SELECT COUNT(*) FROM (SELECT subscription_id, due_at FROM charges WHERE purpose = 'renewal'
		GROUP BY subscription_id, due_at HAVING COUNT(*) > 1) twice`, &doubled)
	if taken != recorded {
		t.Errorf("the provider took %d but the portal recorded %d", taken, recorded)
	}
	if renewals == 0 {
		t.Error("no renewal was charged: the run did not exercise the workers")
	}
	if doubled > 0 {
		t.Errorf("%d renewals were charged more than once", doubled)
	}
	t.Logf("%s; provider took %d, portal recorded %d; %d renewals charged", strings.TrimSpace(out.String()), taken, recorded, renewals)
}

// moneyTaken is what the sandbox provider says it took: paid payment
// pages and successful charges.
func moneyTaken(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	query(t, db, `SELECT
		(SELECT COALESCE(SUM(amount), 0) FROM sandbox_sessions WHERE status = 'paid')
		+ (SELECT COALESCE(SUM(amount), 0) FROM sandbox_charges WHERE outcome = 'succeeded')`, &n)
	return n
}

// moneyRecorded is what the portal's ledger says the sandbox paid it.
func moneyRecorded(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	query(t, db, `SELECT COALESCE(SUM(amount), 0) FROM payments WHERE provider = 'sandbox'`, &n)
	return n
}

func query(t *testing.T, db *sql.DB, q string, dest any) {
	t.Helper()
	if err := db.QueryRow(q).Scan(dest); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls a count until it reaches want, calling nudge (when given)
// every other second meanwhile.
func waitFor(t *testing.T, db *sql.DB, q string, want int64, nudge func()) {
	t.Helper()
	var n int64
	for start := time.Now(); time.Since(start) < 60*time.Second; time.Sleep(250 * time.Millisecond) {
		query(t, db, q, &n)
		if n == want {
			return
		}
		if nudge != nil && time.Since(start)%(2*time.Second) < 250*time.Millisecond {
			nudge()
		}
	}
	t.Fatalf("%s = %d after 60 s, want %d", q, n, want)
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
