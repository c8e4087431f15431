package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/config/configtest"
)

// TestAnotherBrandAndCatalogue: a customer of Kumo Studio (yen, weekly and
// quarterly plans, a yellow accent) subscribes quarterly through checkout,
// and the manager reads the catalogue. Buttons on the yellow accent carry
// dark text that the browser really draws with at least 4.5:1.
func TestAnotherBrandAndCatalogue(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) { c.Demo, c.Portal = false, configtest.Load(t, configtest.Kumo) })
	for email, role := range map[string]account.Role{"kei@example.com": account.Customer, "mina@example.com": account.Manager} {
		if _, err := srv.App.Accounts.CreateUser(context.Background(), email, "", "demodemo", role); err != nil {
			t.Fatal(err)
		}
	}
	ctx := newBrowser(t)
	signIn(t, ctx, srv.URL, "kei@example.com")
	if title, _ := chromedp.Run(ctx, chromedp.Title()); title != "Your subscription · Kumo Studio" {
		t.Errorf("title %q", title)
	}
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Hobby", "Projects", "2", "Custom domain")
	shoot(t, ctx, "30-brand-subscription")

	must(t, ctx, chromedp.Click(chromedp.Search(`//nav[@data-testid="interval-picker"]//a[normalize-space()="Quarterly"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-plan="studio-quarterly"]`)))
	wantContains(t, "studio card", text(t, ctx, chromedp.CSS(`[data-plan="studio-quarterly"]`)), "¥7,500", "every 3 months")
	contrast, err := chromedp.Run(ctx, chromedp.Evaluate[float64](contrastJS(`[data-plan="studio-quarterly"] a`)))
	if err != nil || contrast < 4.5 {
		t.Errorf("the plan button's text contrast is %.2f (%v), want at least 4.5", contrast, err)
	}
	shoot(t, ctx, "31-brand-quarterly")

	must(t, ctx, chromedp.Click(chromedp.CSS(`[data-plan="studio-quarterly"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-change"]`)))
	wantContains(t, "confirmation", text(t, ctx, chromedp.CSS("main")), "Studio Quarterly", "¥7,500")
	shoot(t, ctx, "32-brand-confirm")
	must(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-change"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Pay ¥7,500"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-outcome="paid"]`)),
		chromedp.Navigate(srv.URL+"/subscription"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-plan"]`)))
	wantContains(t, "current plan", text(t, ctx, chromedp.CSS(`[data-testid="current-plan"]`)), "Studio", "Quarterly", "¥7,500", "every 3 months", "Seats")

	mgr := newBrowser(t)
	must(t, mgr, chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "mina@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demodemo"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign in"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="customer-list"]`)),
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Catalogue"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="catalogue-product"]`)))
	row := text(t, mgr, chromedp.CSS(`[data-plan="studio-quarterly"]`))
	if !strings.Contains(row, "¥7,500") || !strings.HasSuffix(row, "1") {
		t.Errorf("catalogue row %q, want the price and one subscriber", row)
	}
	shoot(t, mgr, "33-manage-catalogue")
}

// contrastJS computes, in the page, the WCAG contrast between an element's
// text colour and its background colour as the browser resolved them.
func contrastJS(selector string) string {
	return `(() => {
  const el = document.querySelector(` + "`" + selector + "`" + `);
  const s = getComputedStyle(el);
  const rgb = c => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const a = lum(rgb(s.color)), b = lum(rgb(s.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})()`
}
