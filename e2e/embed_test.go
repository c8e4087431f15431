package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/demohost"
)

const embedKey = "e2e-server-key-0123456789abcdef0123456789"

// listen serves h on a free loopback port and returns its origin as
// http://localhost:<port>: another site than the portal's 127.0.0.1.
func listen(t *testing.T, h func(origin string) http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin := "http://localhost:" + port
	srv := &http.Server{Handler: h(origin), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return origin
}

// frameContext attaches to the portal's cross-site iframe, which Chrome
// runs as a target of its own.
func frameContext(t *testing.T, ctx context.Context, portal string) context.Context {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, portal+"/subscription") {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				return fctx
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the portal's frame never loaded its subscription page")
	return nil
}

func TestEmbeddedPortalInAnotherSite(t *testing.T) {
	var hostOrigin string
	var portal *apptest.Server
	hostOrigin = listen(t, func(origin string) http.Handler {
		// The app's handler is built lazily: it needs the portal's URL, and the
		// portal needs the app's origin in EMBED_ORIGINS.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			demohost.New(portal.URL, origin, embedKey).Handler().ServeHTTP(w, r)
		})
	})
	portal = apptest.Start(t, func(c *app.Config) { c.APIKey, c.EmbedOrigins = embedKey, []string{hostOrigin} })
	ctx := newBrowser(t)

	must(t, ctx, chromedp.Navigate(hostOrigin+"/?customer=alice@example.com"),
		chromedp.WaitVisible(chromedp.CSS(`#billing-portal`)))
	frame := frameContext(t, ctx, portal.URL)
	must(t, frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	wantContains(t, "plan inside the frame", text(t, frame, chromedp.CSS(`[data-testid="current-product"]`)), "Free")
	if n, _ := chromedp.Run(frame, chromedp.Evaluate[int](`document.querySelectorAll('header').length`)); n != 0 {
		t.Error("the embedded portal shows the site header")
	}

	// The frame's height follows its content.
	var frameHeight, contentHeight int
	for i := 0; i < 50; i++ {
		frameHeight, _ = chromedp.Run(ctx, chromedp.Evaluate[int](`parseInt(document.getElementById('billing-portal').style.height) || 0`))
		contentHeight, _ = chromedp.Run(frame, chromedp.Evaluate[int](`Math.ceil(document.getElementById('main').getBoundingClientRect().bottom + window.scrollY)`))
		if frameHeight > 0 && frameHeight == contentHeight {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if frameHeight <= 600 || frameHeight != contentHeight { // 600 px is the app's initial height: the frame grew
		t.Fatalf("frame height %d, content height %d", frameHeight, contentHeight)
	}
	shoot(t, ctx, "22-embedded-portal")

	// Changing plan: checkout opens at the top level, never in the frame.
	must(t, frame, chromedp.Click(chromedp.Search(`//li[@data-plan="pro-monthly"]//a[normalize-space()="Upgrade to Pro"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)))
	must(t, ctx, chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Pay $29.00"]`)))
	if loc := location(t, ctx); !strings.HasPrefix(loc, portal.URL+"/sandbox/checkout/") {
		t.Fatalf("checkout opened at %s; want the top level on the portal's sandbox", loc)
	}
	must(t, ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay $29.00"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="app-returned"]`)))
	if loc := location(t, ctx); !strings.HasPrefix(loc, hostOrigin+"/") {
		t.Fatalf("after paying, at %s; want back in the app", loc)
	}
	wantContains(t, "the app's plan", text(t, ctx, chromedp.CSS(`[data-testid="app-plan"]`)), "Pro Monthly")
	frame = frameContext(t, ctx, portal.URL)
	must(t, frame, chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	wantContains(t, "plan inside the frame after paying", text(t, frame, chromedp.CSS(`[data-testid="current-plan"]`)), "Pro", "Monthly", "Active")

	// A change made inside the frame keeps its confirmation in view: the app
	// refreshes its own plan line instead of reloading the frame.
	must(t, frame, chromedp.Click(chromedp.Search(`//li[@data-plan="starter-monthly"]//a[normalize-space()="Downgrade to Starter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	time.Sleep(1500 * time.Millisecond) // time for the app to have reloaded, had it done so
	wantContains(t, "confirmation in the frame", text(t, frame, chromedp.CSS(`[data-testid="flash"]`)), "Your change to Starter Monthly is scheduled for")
	shoot(t, ctx, "27-embedded-confirmation")
	// The frame has its own way to the billing history.
	must(t, frame, chromedp.Click(chromedp.Search(`//nav[@data-testid="embed-nav"]//a[normalize-space()="Billing history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="activity"]`)))
	wantContains(t, "history in the frame", text(t, frame, chromedp.CSS(`[data-testid="activity"]`)), "Plan change scheduled", "Starter Monthly")
	shoot(t, ctx, "28-embedded-history")
}

// TestPaleAccentStaysReadable: an app whose brand colour is a pale yellow
// gets buttons whose white text still reads at 4.5:1 or better.
func TestPaleAccentStaysReadable(t *testing.T) {
	var portal *apptest.Server
	hostOrigin := listen(t, func(string) http.Handler { return http.NotFoundHandler() })
	portal = apptest.Start(t, func(c *app.Config) { c.APIKey, c.EmbedOrigins = embedKey, []string{hostOrigin} })
	link := portalLinkFor(t, portal, `{"email":"bob@example.com","embed":true,"return_url":"`+hostOrigin+`/b","accent":"#facc15"}`)
	ctx := newBrowser(t)
	must(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	ratio, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const [r, g, b] = getComputedStyle(document.querySelector('.btn-primary')).backgroundColor.match(/\d+/g).map(Number);
		const lin = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 1.05 / (0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) + 0.05);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ratio < 4.5 {
		t.Fatalf("white on the pale accent's button: %.2f:1, want at least 4.5:1", ratio)
	}
	shoot(t, ctx, "29-embedded-pale-accent")
}

// portalLinkFor asks the portal for a one-time link with the server key.
func portalLinkFor(t *testing.T, portal *apptest.Server, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, portal.URL+"/api/v1/portal/sessions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+embedKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.URL == "" {
		t.Fatalf("portal link: %v %v", resp.Status, err)
	}
	return out.URL
}

// framingPage frames a fresh link and records whether the portal ever
// talked to it.
func framingPage(portal string, link func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/listen.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, `window.addEventListener('message', function (e) {
  if (e.origin === %q) document.body.setAttribute('data-heard', 'yes');
});`, portal)
		case "/":
			fmt.Fprintf(w, `<!DOCTYPE html><html><head><script src="/listen.js"></script></head><body data-heard="no">
<iframe id="f" src="%s" style="width:100%%;height:400px"></iframe></body></html>`, html.EscapeString(link()))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestFrameFromAnotherOriginIsRefused(t *testing.T) {
	var portal *apptest.Server
	var allowedOrigin string
	link := func() string { return embedLink(t, portal, allowedOrigin) }
	page := func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { framingPage(portal.URL, link).ServeHTTP(w, r) })
	}
	allowedOrigin = listen(t, page)
	otherOrigin := listen(t, page)
	portal = apptest.Start(t, func(c *app.Config) { c.APIKey, c.EmbedOrigins = embedKey, []string{allowedOrigin} })
	ctx := newBrowser(t)
	heard := func(origin string) string {
		must(t, ctx, chromedp.Navigate(origin+"/"))
		for i := 0; i < 30; i++ {
			v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.getAttribute('data-heard')`))
			if v == "yes" {
				return v
			}
			time.Sleep(100 * time.Millisecond)
		}
		return "no"
	}
	if heard(allowedOrigin) != "yes" {
		t.Fatal("the allowed origin's frame never heard from the portal")
	}
	if heard(otherOrigin) != "no" {
		t.Fatal("a frame on an origin outside EMBED_ORIGINS ran the portal")
	}
}

// embedLink asks the API for an embedded portal link for alice.
func embedLink(t *testing.T, portal *apptest.Server, origin string) string {
	t.Helper()
	c := portal.NewClient(t)
	r := c.Raw(http.MethodPost, "/api/v1/portal/sessions", `{"email":"alice@example.com","embed":true,"return_url":"`+origin+`/"}`,
		"Authorization", "Bearer "+embedKey, "Content-Type", "application/json")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("portal session: %d %s", r.StatusCode, r.Body)
	}
	i := strings.Index(r.Body, `"url":"`)
	u := r.Body[i+7:]
	u = u[:strings.Index(u, `"`)]
	if _, err := url.Parse(u); err != nil {
		t.Fatal(err)
	}
	return u
}
