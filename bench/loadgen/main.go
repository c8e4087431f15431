// Command loadgen drives the real portal for `make bench`: it signs in a
// pool of customers for the page load run, and runs many plan changes at
// once through checkout, counting lost and doubled ones.
//
//	loadgen sessions -portal URL -key KEY -n 100 -out cookies.txt
//	loadgen changes  -portal URL -key KEY -n 300 -c 32 -db portal.db
//
// -portal may list several portals sharing one database (URL,URL): the
// requests of each customer then alternate between them, as behind a load
// balancer. -db is the SQLite file or the postgres:// URL.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen sessions|changes [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	portal := fs.String("portal", "http://127.0.0.1:18080", "portal base URL, or several separated by commas")
	key := fs.String("key", os.Getenv("BILLING_API_KEY"), "server key")
	n := fs.Int("n", 100, "customers")
	c := fs.Int("c", 32, "concurrent customers")
	out := fs.String("out", "cookies.txt", "sessions: where to write one Cookie header per line")
	dbPath := fs.String("db", "", "changes: the portal's SQLite file or postgres:// URL, to count invoices afterwards")
	prefix := fs.String("prefix", "load", "email prefix of the customers made")
	_ = fs.Parse(os.Args[2:])
	g := &gen{portals: strings.Split(*portal, ","), key: *key}
	var err error
	switch os.Args[1] {
	case "sessions":
		err = g.sessions(*n, *c, *out, *prefix)
	case "changes":
		err = g.changes(*n, *c, *dbPath, *prefix)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type gen struct {
	portals []string
	key     string
}

// portal is the portal that takes request i.
func (g *gen) portal(i int) string { return g.portals[i%len(g.portals)] }

// customer is a signed-in browser of one customer.
type customer struct {
	email, userID string
	client        *http.Client
}

// signIn creates (or finds) a customer through the API and follows the
// one-time portal link, as an app would send them.
func (g *gen) signIn(email string, i int) (*customer, error) {
	var s struct {
		URL    string `json:"url"`
		UserID string `json:"user_id"`
	}
	body, _ := json.Marshal(map[string]any{"email": email})
	req, _ := http.NewRequest(http.MethodPost, g.portal(i)+"/api/v1/portal/sessions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+g.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("portal session for %s: %s %s", email, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := cl.Get(s.URL)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("portal link for %s answered %s", email, r.Status)
	}
	return &customer{email: email, userID: s.UserID, client: cl}, nil
}

// userID is the customer's id as the database stores it.
func userID(cu *customer) int64 {
	id, _ := strconv.ParseInt(cu.userID, 10, 64)
	return id
}

// parallel runs f for 0..n-1 on c workers and joins the errors.
func parallel(n, c int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	next := int64(-1)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (g *gen) sessions(n, c int, out, prefix string) error {
	lines := make([]string, n)
	err := parallel(n, c, func(i int) error {
		cu, err := g.signIn(fmt.Sprintf("%s%d@example.com", prefix, i), i)
		if err != nil {
			return err
		}
		u, _ := url.Parse(g.portal(i))
		var parts []string
		for _, ck := range cu.client.Jar.Cookies(u) {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
		lines[i] = strings.Join(parts, "; ")
		return nil
	})
	if err != nil {
		return err
	}
	return os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// changes signs n customers in, then has them all change plan at once:
// confirm, pay at the sandbox checkout (whose webhook applies the change),
// and come back. It reports the rate and checks every change applied once.
func (g *gen) changes(n, c int, dbPath, prefix string) error {
	customers := make([]*customer, n)
	if err := parallel(n, c, func(i int) (err error) {
		customers[i], err = g.signIn(fmt.Sprintf("%s%d@example.com", prefix, i), i)
		return err
	}); err != nil {
		return err
	}
	var failed atomic.Int64
	start := time.Now()
	err := parallel(n, c, func(i int) error {
		if err := g.change(customers[i], i); err != nil {
			failed.Add(1)
			return err
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "some changes failed:", err)
	}
	lost, doubled, err := g.verify(customers, dbPath)
	if err != nil {
		return err
	}
	fmt.Printf("plan_changes=%d seconds=%.2f changes_per_second=%.0f failed=%d lost=%d doubled=%d\n",
		n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), failed.Load(), lost, doubled)
	return nil
}

// change asks for the change at one portal and pays at the next (the same
// one when there is only one).
func (g *gen) change(cu *customer, i int) error {
	form := url.Values{"plan": {"pro-monthly"}}.Encode()
	step := 0
	post := func(path, body string) (*http.Response, error) {
		portal := g.portal(i + step)
		step++
		req, _ := http.NewRequest(http.MethodPost, portal+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", portal)
		resp, err := cu.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := post("/subscription/change", form)
	if err != nil {
		return err
	}
	pay, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(pay.Path, "/sandbox/checkout/") {
		return fmt.Errorf("%s: change answered %s to %q", cu.email, resp.Status, resp.Header.Get("Location"))
	}
	resp, err = post(pay.Path+"/pay", "")
	if err != nil {
		return err
	}
	if !strings.Contains(resp.Header.Get("Location"), "/checkout/return") {
		return fmt.Errorf("%s: pay answered %s", cu.email, resp.Status)
	}
	return nil
}

// verify counts customers whose change did not apply (lost) and those with
// more than one invoice or paid checkout for it (doubled).
func (g *gen) verify(customers []*customer, dbPath string) (lost, doubled int, err error) {
	driver, dsn, placeholder := "sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)", "?"
	if strings.HasPrefix(dbPath, "postgres://") || strings.HasPrefix(dbPath, "postgresql://") {
		driver, dsn, placeholder = "pgx", dbPath, "$1"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	ctx := context.Background()
	for _, cu := range customers {
		var plan string
		var invoices, completed int
		err := db.QueryRowContext(ctx, `SELECT s.plan_id,
			(SELECT COUNT(*) FROM invoices i WHERE i.user_id = s.user_id),
			(SELECT COUNT(*) FROM checkout_sessions c WHERE c.user_id = s.user_id AND c.status = 'completed')
			FROM subscriptions s WHERE s.user_id = `+placeholder, userID(cu)).Scan(&plan, &invoices, &completed)
		if err != nil {
			return 0, 0, err
		}
		if plan != "pro-monthly" || invoices == 0 {
			lost++
		}
		if invoices > 1 || completed > 1 {
			doubled++
		}
	}
	return lost, doubled, nil
}
