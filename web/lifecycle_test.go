package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
)

func wantBody(t *testing.T, r apptest.Response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Errorf("%s %s lacks %q", r.Request.Method, r.Request.URL.RequestURI(), w)
		}
	}
}

func TestScheduledDowngradeAndUndo(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	end := subscription(t, srv, "bob@example.com").PeriodEnd.Format("2 January 2006")
	preview := c.Get("/subscription/change?plan=starter-monthly")
	wantStatus(t, preview, http.StatusOK)
	wantBody(t, preview, "Nothing is charged today", "Schedule the change for "+end, "You keep your current plan until the period you paid for ends")
	if strings.Contains(preview.Body, `data-testid="timing-options"`) {
		t.Error("a downgrade offered a choice of timing")
	}
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}}), "/subscription")
	page := c.Get("/subscription?notice=scheduled")
	// Item 14 of issue 15: the date is in the message, on the current plan and on the target's card.
	wantBody(t, page, `data-testid="scheduled-change"`, "Changes to Starter Monthly on "+end, "Undo this change",
		"Your change to Starter Monthly is scheduled for "+end+". You keep Pro Monthly until then.",
		"Changes on", end+", to Starter Monthly ($9.00 / month)", `data-testid="plan-scheduled">Starts on `+end)
	if strings.Contains(page.Body, "Downgrade to Starter") {
		t.Error("the scheduled plan's card still offers to downgrade to it")
	}
	if subscription(t, srv, "bob@example.com").Plan.ID != "pro-monthly" {
		t.Fatal("the downgrade applied at once")
	}
	wantRedirect(t, c.Post("/subscription/scheduled-change/cancel", nil), "/subscription")
	if strings.Contains(c.Get("/subscription").Body, `data-testid="scheduled-change"`) {
		t.Fatal("undo left the scheduled change")
	}
	again := c.Post("/subscription/scheduled-change/cancel", nil)
	wantStatus(t, again, http.StatusConflict)
	wantBody(t, again, "There is no scheduled change to undo")
}

func TestTimingIsChosenWhereThePolicyAllows(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	now := c.Get("/subscription/change?plan=pro-annual")
	wantBody(t, now, `data-testid="timing-options"`, "Start today", "Start at renewal", "Credit for unused time on Pro Monthly", "Due today")
	later := c.Get("/subscription/change?plan=pro-annual&timing=period_end")
	wantBody(t, later, "Schedule the change for", "Nothing is charged today")
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"pro-annual"}, "timing": {"period_end"}}), "/subscription")
	if sc, ok, _ := srv.App.Billing.ScheduledChange(context.Background(), userID(t, srv, "bob@example.com")); !ok || sc.Plan.ID != "pro-annual" {
		t.Fatalf("scheduled: %+v %v", sc, ok)
	}
	r := c.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}, "timing": {"now"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantBody(t, r, "cannot take effect today")
}

func TestProratedUpgradeChargesTheDifference(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	startCheckout(t, c, "business-monthly")
	cs := openCheckouts(t, srv, "bob@example.com")[0]
	if cs.Amount.Amount >= 9900 || cs.Amount.Amount <= 9900-2900 {
		t.Fatalf("due %d: want the new price minus the unused part of Pro Monthly", cs.Amount.Amount)
	}
}

func TestCancelWithReasonThenResume(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("bob@example.com")
	form := c.Get("/subscription/cancel")
	wantStatus(t, form, http.StatusOK)
	wantBody(t, form, "Why are you cancelling?", `name="reason"`, `<label for="comment"`, "Keep my plan")
	bad := c.Post("/subscription/cancel", url.Values{"reason": {"aliens"}, "comment": {"hi"}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantBody(t, bad, "Choose a reason for cancelling", ">hi</textarea>")
	long := c.Post("/subscription/cancel", url.Values{"reason": {"other"}, "comment": {strings.Repeat("x", 1001)}})
	wantStatus(t, long, http.StatusBadRequest)
	wantRedirect(t, c.Post("/subscription/cancel", url.Values{"reason": {"switched_service"}, "comment": {"Moved to a competitor"}}), "/subscription")
	sub := subscription(t, srv, "bob@example.com")
	if !sub.CancelAtPeriodEnd || sub.CancelReason != "switched_service" || sub.CancelComment != "Moved to a competitor" {
		t.Fatalf("after cancelling: %+v", sub)
	}
	wantBody(t, c.Get("/subscription"), "Your subscription ends on", "Resume subscription")
	wantRedirect(t, c.Get("/subscription/cancel"), "/subscription") // nothing more to cancel
	wantRedirect(t, c.Post("/subscription/resume", nil), "/subscription")
	if subscription(t, srv, "bob@example.com").CancelAtPeriodEnd {
		t.Fatal("resume did not withdraw the cancellation")
	}
}

func TestOverdueCustomerPaysNow(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("carol@example.com")
	wantBody(t, c.Get("/subscription"), "Your last payment failed", `action="/subscription/overdue/pay"`, "Move to Free")
	blocked := c.Post("/subscription/change", url.Values{"plan": {"pro-monthly"}})
	wantStatus(t, blocked, http.StatusConflict)
	// Item 16 of issue 15: one message saying what to do, not an error stacked on the notice.
	wantBody(t, blocked, "Pay the overdue amount before choosing a paid plan", `action="/subscription/overdue/pay"`, "Unpaid since")
	if strings.Contains(blocked.Body, `data-testid="flash"`) || strings.Contains(blocked.Body, "Period ends") {
		t.Error("the refusal is shown twice, or the unpaid period is said to end")
	}

	r := c.Post("/subscription/overdue/pay", nil)
	wantStatus(t, r, http.StatusSeeOther)
	page := c.Get(apptest.Path(r))
	wantBody(t, page, "Pay $90.00")
	ret := pay(t, c, apptest.Path(r), "pay")
	wantBody(t, c.Get(ret), `data-outcome="paid"`, "overdue payment is settled")
	sub := subscription(t, srv, "carol@example.com")
	if sub.Status != billing.Active || sub.Plan.ID != "starter-annual" {
		t.Fatalf("after paying: %s %s", sub.Status, sub.Plan.ID)
	}
	if invs := invoices(t, srv, "carol@example.com"); invs[0].Status != billing.InvoicePaid {
		t.Fatalf("the overdue invoice is %s", invs[0].Status)
	}
	wantStatus(t, c.Post("/subscription/overdue/pay", nil), http.StatusConflict)
}

func TestOverdueCustomerMovesToFreeAtOnce(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("carol@example.com")
	wantBody(t, c.Get("/subscription/change?plan=free"), "Your last payment failed, so moving to the free plan takes effect today")
	wantRedirect(t, c.Post("/subscription/change", url.Values{"plan": {"free"}}), "/subscription")
	if sub := subscription(t, srv, "carol@example.com"); sub.Plan.ID != "free" || sub.Status != billing.Active {
		t.Fatalf("after moving to free: %s %s", sub.Plan.ID, sub.Status)
	}
}

const serverKey = "test-server-key-0123456789abcdef0123456789"

func TestTestClockAPI(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) { c.APIKey = serverKey })
	c := srv.NewClient(t)
	call := func(key, body string) apptest.Response {
		return c.Raw(http.MethodPost, "/api/v1/test-clock/advance", body, "Authorization", "Bearer "+key, "Content-Type", "application/json")
	}
	wantStatus(t, call("", `{"duration":"720h"}`), http.StatusUnauthorized)
	wantStatus(t, call("wrong", `{"duration":"720h"}`), http.StatusUnauthorized)
	for _, body := range []string{`{"duration":"-1h"}`, `{"duration":"soon"}`, `{"duration":"720h","extra":1}`, `not json`, `{"duration":720}`} {
		r := call(serverKey, body)
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, `"code":400`, `"message"`, `"details"`)
	}
	before := len(invoices(t, srv, "bob@example.com"))
	r := call(serverKey, `{"duration":"720h"}`)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `"steps_applied"`)
	if after := len(invoices(t, srv, "bob@example.com")); after != before+1 {
		t.Fatalf("bob has %d invoices after 30 days, want %d (one renewal)", after, before+1)
	}
	dave := subscription(t, srv, "dave@example.com")
	if dave.Plan.ID != "pro-annual" {
		t.Fatal("dave's annual plan ended early")
	}
	carol := subscription(t, srv, "carol@example.com")
	if carol.Status != billing.Canceled || carol.Plan.ID != "free" {
		t.Fatalf("carol after grace: %s %s", carol.Status, carol.Plan.ID)
	}
}

func TestTestClockFormIsForManagersOnly(t *testing.T) {
	srv := apptest.Start(t)
	customer := srv.NewClient(t)
	customer.Login("bob@example.com")
	wantStatus(t, customer.Get("/manage/test-clock"), http.StatusNotFound)
	wantStatus(t, customer.Post("/manage/test-clock", url.Values{"duration": {"24h"}}), http.StatusNotFound)

	m := srv.NewClient(t)
	m.Login("manager@example.com")
	wantBody(t, m.Get("/manage/test-clock"), `<label for="duration"`, "Billing time is")
	bad := m.Post("/manage/test-clock", url.Values{"duration": {"yesterday"}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantBody(t, bad, "is not a duration")
	ok := m.Post("/manage/test-clock", url.Values{"duration": {"8760h"}})
	wantStatus(t, ok, http.StatusOK)
	wantBody(t, ok, "lifecycle steps applied")
	if dave := subscription(t, srv, "dave@example.com"); dave.Plan.ID != "free" || dave.Status != billing.Canceled {
		t.Fatalf("dave a year on: %s %s", dave.Plan.ID, dave.Status)
	}
}
