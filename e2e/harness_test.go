package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/apptest"
)

// chromePath finds Debian's Chromium; make test installs it when missing.
func chromePath() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install it with `apt-get install -y chromium` (make test does this) or set CHROME_PATH")
}

func startServer(t *testing.T) *apptest.Server { return apptest.Start(t) }

// newBrowser starts headless Chromium with the flags this machine needs
// (no network beyond loopback) and a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := chromePath()
	if err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(desktopW, desktopH),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

const (
	desktopW, desktopH = 1280, 900
	phoneW, phoneH     = 390, 844
)

// shoot saves full-page screenshots at desktop and phone width into
// screenshots/ so people can look at what the tests saw.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		suffix string
		w, h   int64
	}{{"desktop", desktopW, desktopH}, {"phone", phoneW, phoneH}} {
		must(t, ctx, chromedp.EmulateViewport(v.w, v.h))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, v.suffix)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, ctx, chromedp.EmulateViewport(desktopW, desktopH))
}

func must(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("text of %v: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn signs a customer in and waits for their subscription page.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	signInUntil(t, ctx, base, email, `[data-testid="current-plan"]`)
}

// signInUntil signs anyone in and waits for the element `landed`.
func signInUntil(t *testing.T, ctx context.Context, base, email, landed string) {
	t.Helper()
	must(t, ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(landed)),
	)
}

// confirmChange opens the confirmation of a change to plan and confirms it.
func confirmChange(base, plan string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + "/subscription/change?plan=" + plan),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`))}
}

func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
