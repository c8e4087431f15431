package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
)

var resetLink = regexp.MustCompile(`/password/reset/pr_[A-Za-z0-9_-]+`)

// queuedMails lists the outbox rows to one address.
func queuedMails(t *testing.T, srv *apptest.Server, to string) []billing.Mail {
	t.Helper()
	ms, err := srv.App.Store.Mails(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// lastResetLink is the path of the newest reset link mailed to an address.
func lastResetLink(t *testing.T, srv *apptest.Server, to string) string {
	t.Helper()
	ms := queuedMails(t, srv, to)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Kind == billing.MailPasswordReset {
			if link := resetLink.FindString(ms[i].Text); link != "" {
				return link
			}
		}
	}
	t.Fatalf("no reset link mailed to %s", to)
	return ""
}

func TestForgotPasswordSaysTheSameWhetherOrNotTheAccountExists(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	wantBody(t, c.Get("/login"), `href="/password/forgot"`, "Forgot password?")
	wantBody(t, c.Get("/password/forgot"), `<label for="email"`, "Send reset link")

	known := c.Post("/password/forgot", url.Values{"email": {"alice@example.com"}})
	unknown := c.Post("/password/forgot", url.Values{"email": {"nobody@example.com"}})
	wantStatus(t, known, http.StatusOK)
	wantStatus(t, unknown, http.StatusOK)
	wantBody(t, known, "If an account exists for", "Check your email")
	if strings.ReplaceAll(known.Body, "alice@example.com", "X") != strings.ReplaceAll(unknown.Body, "nobody@example.com", "X") {
		t.Error("the answer differs for an existing and a missing account")
	}
	if n := len(queuedMails(t, srv, "alice@example.com")); n != 1 {
		t.Fatalf("%d mails queued for alice, want 1", n)
	}
	if n := len(queuedMails(t, srv, "nobody@example.com")); n != 0 {
		t.Fatalf("%d mails queued for a missing account", n)
	}
	bad := c.Post("/password/forgot", url.Values{"email": {"not an address"}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantBody(t, bad, "Enter the email address you sign in with", `value="not an address"`)
}

func TestForgotPasswordIsThrottled(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	for i := 0; i < 3; i++ {
		wantStatus(t, c.Post("/password/forgot", url.Values{"email": {"bob@example.com"}}), http.StatusOK)
	}
	r := c.Post("/password/forgot", url.Values{"email": {"bob@example.com"}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	wantBody(t, r, "Too many reset requests")
	// A missing account is throttled alike, so the throttle tells nothing either.
	for i := 0; i < 3; i++ {
		c.Post("/password/forgot", url.Values{"email": {"ghost@example.com"}})
	}
	wantStatus(t, c.Post("/password/forgot", url.Values{"email": {"ghost@example.com"}}), http.StatusTooManyRequests)
	if n := len(queuedMails(t, srv, "bob@example.com")); n != 3 {
		t.Fatalf("%d reset mails for bob, want 3", n)
	}
}

func TestResetLinkWorksOnceAndEndsEverySession(t *testing.T) {
	srv := apptest.Start(t)
	signedIn := srv.NewClient(t)
	signedIn.Login("alice@example.com")
	c := srv.NewClient(t)
	c.Post("/password/forgot", url.Values{"email": {"alice@example.com"}})
	link := lastResetLink(t, srv, "alice@example.com")

	form := c.Get(link)
	wantStatus(t, form, http.StatusOK)
	wantBody(t, form, `<label for="password"`, `<label for="confirm"`, `action="`+link+`"`)
	if form.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the reset page may leak its token in Referer")
	}
	short := c.Post(link, url.Values{"password": {"short"}, "confirm": {"short"}})
	wantStatus(t, short, http.StatusBadRequest)
	wantBody(t, short, "at least 8 characters", `data-testid="error-password"`)
	mismatch := c.Post(link, url.Values{"password": {"new-password-1"}, "confirm": {"new-password-2"}})
	wantStatus(t, mismatch, http.StatusBadRequest)
	wantBody(t, mismatch, "not the same", `data-testid="error-confirm"`)

	c.Login("bob@example.com") // whoever this browser was signed in as, it starts signed out
	done := c.Post(link, url.Values{"password": {"new-password-1"}, "confirm": {"new-password-1"}})
	wantRedirect(t, done, "/login")
	wantRedirect(t, c.Get("/subscription"), "/login")
	wantBody(t, c.Get(done.Header.Get("Location")), "Your password is changed")
	wantRedirect(t, signedIn.Get("/subscription"), "/login")

	wantStatus(t, c.Post("/login", url.Values{"email": {"alice@example.com"}, "password": {"demodemo"}}), http.StatusUnauthorized)
	wantRedirect(t, c.Post("/login", url.Values{"email": {"alice@example.com"}, "password": {"new-password-1"}}), "/subscription")

	again := srv.NewClient(t)
	reused := again.Get(link)
	wantStatus(t, reused, http.StatusNotFound)
	wantBody(t, reused, "This link no longer works", `href="/password/forgot"`)
	wantStatus(t, again.Post(link, url.Values{"password": {"another-pass"}, "confirm": {"another-pass"}}), http.StatusNotFound)
	wantStatus(t, again.Post("/login", url.Values{"email": {"alice@example.com"}, "password": {"another-pass"}}), http.StatusUnauthorized)
	wantStatus(t, again.Get("/password/reset/pr_made-up"), http.StatusNotFound)

	audit, _, _ := srv.App.Billing.AuditLog(context.Background(), billing.AuditFilter{Action: "password.reset", Limit: 5})
	if len(audit) != 1 || audit[0].Subject.Email != "alice@example.com" {
		t.Fatalf("audit of the reset: %+v", audit)
	}
}

func TestResetLinkExpiresAfterAnHour(t *testing.T) {
	wall := newWall()
	srv := apptest.Start(t, wall.configure)
	c := srv.NewClient(t)
	c.Post("/password/forgot", url.Values{"email": {"bob@example.com"}})
	link := lastResetLink(t, srv, "bob@example.com")
	wall.Advance(59 * time.Minute)
	wantStatus(t, c.Get(link), http.StatusOK)
	wall.Advance(2 * time.Minute)
	wantStatus(t, c.Get(link), http.StatusNotFound)
	wantStatus(t, c.Post(link, url.Values{"password": {"new-password-1"}, "confirm": {"new-password-1"}}), http.StatusNotFound)
	wantRedirect(t, c.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}}), "/subscription")
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	srv := apptest.Start(t)
	here, there := srv.NewClient(t), srv.NewClient(t)
	here.Login("bob@example.com")
	there.Login("bob@example.com")
	page := here.Get("/settings/password")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, `<label for="current_password"`, `<label for="password"`, `<label for="confirm"`)

	wrong := here.Post("/settings/password", url.Values{"current_password": {"nope-nope"}, "password": {"new-password-1"}, "confirm": {"new-password-1"}})
	wantStatus(t, wrong, http.StatusBadRequest)
	wantBody(t, wrong, "Your current password is not correct")
	mismatch := here.Post("/settings/password", url.Values{"current_password": {"demodemo"}, "password": {"new-password-1"}, "confirm": {"other"}})
	wantStatus(t, mismatch, http.StatusBadRequest)
	ok := here.Post("/settings/password", url.Values{"current_password": {"demodemo"}, "password": {"new-password-1"}, "confirm": {"new-password-1"}})
	wantStatus(t, ok, http.StatusOK)
	wantBody(t, ok, "Your password is changed")

	wantStatus(t, here.Get("/subscription"), http.StatusOK)
	wantRedirect(t, there.Get("/subscription"), "/login")
	wantStatus(t, there.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"demodemo"}}), http.StatusUnauthorized)
	wantRedirect(t, there.Post("/login", url.Values{"email": {"bob@example.com"}, "password": {"new-password-1"}}), "/subscription")
}

func TestPasswordPagesAreOffLimitsWhileImpersonating(t *testing.T) {
	srv := apptest.Start(t)
	m := managerClient(t, srv)
	wantStatus(t, impersonate(t, m, userID(t, srv, "bob@example.com"), "billing question"), http.StatusSeeOther)
	for _, path := range []string{"/settings/password", "/password/forgot"} {
		wantStatus(t, m.Get(path), http.StatusForbidden)
	}
	wantStatus(t, m.Post("/settings/password", url.Values{"current_password": {"demodemo"}, "password": {"x-new-pass"}, "confirm": {"x-new-pass"}}), http.StatusForbidden)
	wantStatus(t, m.Post("/password/forgot", url.Values{"email": {"bob@example.com"}}), http.StatusForbidden)
	if n := len(queuedMails(t, srv, "bob@example.com")); n != 0 {
		t.Fatalf("%d mails queued while impersonating", n)
	}
	settings := m.Get("/settings/emails")
	wantStatus(t, settings, http.StatusOK)
	if strings.Contains(settings.Body, `href="/settings/password"`) {
		t.Error("the settings tabs offer the password page while impersonating")
	}
}
