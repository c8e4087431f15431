package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// transfer is what the browser fetched for the page on screen, from the
// Resource Timing API: bytes on the wire (headers included) and bodies
// before and after decompression.
type transfer struct {
	Transferred int64            `json:"transferred"`
	Encoded     int64            `json:"encoded"`
	Decoded     int64            `json:"decoded"`
	ByName      map[string]int64 `json:"byName"`
}

const measureJS = `(() => {
	const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
	const out = {transferred: 0, encoded: 0, decoded: 0, byName: {}};
	for (const e of entries) {
		out.transferred += e.transferSize; out.encoded += e.encodedBodySize; out.decoded += e.decodedBodySize;
		out.byName[new URL(e.name).pathname] = e.transferSize;
	}
	return out;
})()`

// TestPageWeight measures, in Chromium, the bytes a customer's browser
// transfers for a first page view (cold cache) and the next one: text is
// compressed and the stylesheet, content-named and immutable, is not
// fetched again. The figures are in README.
func TestPageWeight(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	measure := func() transfer {
		t.Helper()
		m, err := chromedp.Run(ctx, chromedp.Evaluate[transfer](measureJS))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	must(t, ctx, chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`#password`)))
	first := measure() // an empty cache: the page, the stylesheet and the icon
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("#email"), "bob@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	second := measure() // the next page: only the page itself
	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@aria-label="Main"]//a[normalize-space()="Billing history"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Billing history"]`)))
	third := measure()
	for _, v := range []struct {
		name string
		m    transfer
	}{{"first view (/login, empty cache)", first}, {"second view (/subscription)", second}, {"third view (/billing/history)", third}} {
		t.Logf("%s: %d bytes transferred; bodies %d bytes compressed, %d uncompressed; per file %v", v.name, v.m.Transferred, v.m.Encoded, v.m.Decoded, v.m.ByName)
	}
	if first.Encoded*2 > first.Decoded {
		t.Errorf("the first view's bodies are not compressed: %d bytes for %d", first.Encoded, first.Decoded)
	}
	for _, m := range []transfer{second, third} {
		for name, size := range m.ByName {
			if strings.HasPrefix(name, "/static/") && size != 0 {
				t.Errorf("a later view fetched %s again (%d bytes)", name, size)
			}
		}
	}
	if second.Transferred >= first.Transferred {
		t.Errorf("the second view transferred %d bytes, the first %d: the stylesheet should come from the cache", second.Transferred, first.Transferred)
	}
}
