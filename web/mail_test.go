package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/sandbox"
	"github.com/billingportal/portal/email/smtptest"
)

// mailServer starts the portal with its mail going to an in-process SMTP server.
func mailServer(t *testing.T) (*apptest.Server, *smtptest.Server) {
	t.Helper()
	smtp := smtptest.Start(t)
	srv := apptest.Start(t, func(c *app.Config) {
		c.SMTPURL, c.MailFrom = "smtp://"+smtp.Addr, "Acme Billing <billing@acme.test>"
	})
	return srv, smtp
}

// inbox delivers the outbox and returns, parsed, what arrived for one
// address since the last call; seen counts what each address received.
type inbox struct {
	t    *testing.T
	srv  *apptest.Server
	smtp *smtptest.Server
	seen int
}

func (b *inbox) receive(to string, want int) []smtptest.Parsed {
	b.t.Helper()
	if _, err := b.srv.App.Mailer.DeliverDue(context.Background()); err != nil {
		b.t.Fatal(err)
	}
	msgs := b.smtp.Messages()
	fresh := msgs[b.seen:]
	b.seen = len(msgs)
	var out []smtptest.Parsed
	for _, m := range fresh {
		if len(m.To) != 1 || m.To[0] != to {
			b.t.Fatalf("a mail went to %v, want only %s", m.To, to)
		}
		p, err := smtptest.Parse(m.Data)
		if err != nil {
			b.t.Fatal(err)
		}
		b.check(p)
		out = append(out, p)
	}
	if len(out) != want {
		subjects := []string{}
		for _, p := range out {
			subjects = append(subjects, p.Subject)
		}
		b.t.Fatalf("%s received %d mails %q, want %d", to, len(out), subjects, want)
	}
	return out
}

// check holds for every mail: from MAIL_FROM, plain text and HTML in the
// brand's colour, the same words in both. MAIL_HTML_DIR keeps the HTML to look at.
func (b *inbox) check(p smtptest.Parsed) {
	b.t.Helper()
	if from := p.Header.Get("From"); !strings.Contains(from, "billing@acme.test") || !strings.Contains(from, "Acme Billing") {
		b.t.Errorf("From: %q", from)
	}
	// The example configuration's brand: "Billing portal", accent #4f46e5.
	if p.Text == "" || !strings.Contains(p.HTML, "#4f46e5") || !strings.Contains(p.HTML, "Billing portal") {
		b.t.Errorf("%q: text %d bytes, HTML without the brand", p.Subject, len(p.Text))
	}
	if !strings.Contains(p.Text, p.Subject) || !strings.Contains(p.HTML, p.Subject) {
		b.t.Errorf("%q: the subject is not the heading of both bodies", p.Subject)
	}
	if dir := os.Getenv("MAIL_HTML_DIR"); dir != "" {
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, p.Subject)
		_ = os.WriteFile(filepath.Join(dir, name+".html"), []byte(p.HTML), 0o644)
	}
}

func wantText(t *testing.T, p smtptest.Parsed, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Text, w) {
			t.Errorf("mail %q lacks %q:\n%s", p.Subject, w, p.Text)
		}
	}
}

// One customer journey, every mail it causes arriving once over SMTP.
func TestMailJourney(t *testing.T) {
	srv, smtp := mailServer(t)
	ctx := context.Background()
	box := &inbox{t: t, srv: srv, smtp: smtp}
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	end := subscription(t, srv, "bob@example.com").PeriodEnd

	// Carol, overdue, moving to Free without payment is an applied change.
	carol := srv.NewClient(t)
	carol.Login("carol@example.com")
	wantRedirect(t, carol.Post("/subscription/change", url.Values{"plan": {"free"}}), "/subscription")
	wantText(t, box.receive("carol@example.com", 1)[0], "You are now on Free")

	// A scheduled downgrade is confirmed, and again when it takes effect.
	wantRedirect(t, bob.Post("/subscription/change", url.Values{"plan": {"starter-monthly"}}), "/subscription")
	m := box.receive("bob@example.com", 1)[0]
	wantText(t, m, "Your plan change is scheduled", "You stay on Pro Monthly until "+end.Format("2 January 2006"), "Starter Monthly", "$9.00 a month", srv.URL+"/subscription")
	wantText(t, m, srv.URL+billing.PreferencesPath)
	advanceBilling(t, srv, end.Sub(srv.App.Billing.Now())+time.Hour)
	if _, err := srv.App.Billing.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	// The change, and the receipt of the renewal that charged Starter.
	applied := box.receive("bob@example.com", 2)
	wantText(t, withSubject(t, applied, "You are now on Starter Monthly"), "changed to Starter Monthly on "+end.Format("2 January 2006"))
	wantText(t, withSubject(t, applied, "Receipt for $9.00"), "Starter Monthly renewal")

	// A cancellation is confirmed, always.
	wantRedirect(t, bob.Post("/subscription/cancel", url.Values{"reason": {"unused"}}), "/subscription")
	wantText(t, box.receive("bob@example.com", 1)[0], "Your subscription is cancelled", "Starter Monthly", "nothing more is charged")

	// A paid upgrade sends its receipt, with the invoice PDF attached, in
	// the transaction that records the payment; no separate confirmation.
	alice := srv.NewClient(t)
	alice.Login("alice@example.com")
	payFor(t, alice, "pro-annual")
	inv := invoices(t, srv, "alice@example.com")[0]
	receipt := box.receive("alice@example.com", 1)[0]
	wantText(t, receipt, "Receipt for $290.00", inv.Number, "Pro Annual subscription")
	pdf := receipt.Attachments[inv.Number+".pdf"]
	if receipt.Types[inv.Number+".pdf"] != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("receipt attachments: %v", receipt.Types)
	}
	if text := apptest.PDFText(t, pdf); !strings.Contains(text, inv.Number) || !strings.Contains(text, "$290.00") {
		t.Errorf("the attached PDF reads:\n%s", text)
	}

	// A week before the annual renewal comes a reminder, once.
	renews := subscription(t, srv, "alice@example.com").PeriodEnd
	advanceBilling(t, srv, renews.Sub(srv.App.Billing.Now())-8*24*time.Hour)
	srv.App.Billing.RunDue(ctx)
	box.receive("alice@example.com", 0)
	advanceBilling(t, srv, 2*24*time.Hour)
	srv.App.Billing.RunDue(ctx)
	wantText(t, box.receive("alice@example.com", 1)[0], "Pro Annual renews on "+renews.Format("2 January 2006"), "We will charge $290.00")
	advanceBilling(t, srv, 24*time.Hour)
	srv.App.Billing.RunDue(ctx)
	box.receive("alice@example.com", 0)

	// The renewal is declined: the payment-failed notice, with its pay-now link.
	if err := srv.App.Sandbox.Store().SetCard(ctx, "alice@example.com", sandbox.CardDeclines); err != nil {
		t.Fatal(err)
	}
	advanceBilling(t, srv, 7*24*time.Hour)
	if _, err := srv.App.Billing.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	failed := invoices(t, srv, "alice@example.com")[0]
	notice := box.receive("alice@example.com", 1)[0]
	wantText(t, notice, "Your payment of $290.00 failed", "Pay now: "+srv.URL+"/subscription", failed.Number)

	// The password-reset link arrives, and its body leaves the outbox once sent.
	c := srv.NewClient(t)
	c.Post("/password/forgot", url.Values{"email": {"dave@example.com"}})
	reset := box.receive("dave@example.com", 1)[0]
	link := resetLink.FindString(reset.Text)
	if link == "" || !strings.Contains(reset.HTML, link) {
		t.Fatalf("reset mail without its link:\n%s", reset.Text)
	}
	wantStatus(t, c.Get(link), http.StatusOK)
	for _, m := range queuedMails(t, srv, "dave@example.com") {
		if m.Status != billing.MailSent || strings.Contains(m.Text, "pr_") || m.HTML != "" {
			t.Errorf("the sent reset mail keeps its link in the outbox: %+v", m.Text)
		}
	}

	box.receive("alice@example.com", 0) // nothing arrives twice
}

func TestCustomersTurnOffOptionalMail(t *testing.T) {
	srv, smtp := mailServer(t)
	box := &inbox{t: t, srv: srv, smtp: smtp}
	dave := srv.NewClient(t)
	dave.Login("dave@example.com")
	page := dave.Get("/settings/emails")
	wantBody(t, page, `name="renewal_reminders" value="on" checked`, `name="change_confirmations" value="on" checked`, "always sent")
	wantRedirect(t, dave.Post("/settings/emails", url.Values{"renewal_reminders": {"on"}}), "/settings/emails")
	wantBody(t, dave.Get("/settings/emails?notice=saved"), "Email settings saved", `name="renewal_reminders" value="on" checked`)
	if strings.Contains(dave.Get("/settings/emails").Body, `name="change_confirmations" value="on" checked`) {
		t.Fatal("change confirmations still on")
	}
	// Dave is cancelling; resuming is not a mail, scheduling a downgrade would be one.
	wantRedirect(t, dave.Post("/subscription/change", url.Values{"plan": {"starter-annual"}}), "/subscription")
	box.receive("dave@example.com", 0)
	wantRedirect(t, dave.Post("/subscription/cancel", url.Values{"reason": {"too_expensive"}}), "/subscription")
	wantText(t, box.receive("dave@example.com", 1)[0], "Your subscription is cancelled")
	audit, _, _ := srv.App.Billing.AuditLog(context.Background(), billing.AuditFilter{Action: "mail.preferences", Limit: 5})
	if len(audit) != 1 || !strings.Contains(audit[0].After, "change confirmations off") {
		t.Fatalf("audit: %+v", audit)
	}
}

func TestWithoutSMTPMailStaysInTheOutbox(t *testing.T) {
	srv := apptest.Start(t)
	if srv.App.Mailer != nil {
		t.Fatal("a mail worker runs without SMTP_URL")
	}
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantRedirect(t, bob.Post("/subscription/cancel", url.Values{"reason": {"unused"}}), "/subscription")
	ms := queuedMails(t, srv, "bob@example.com")
	if len(ms) != 1 || ms[0].Status != billing.MailQueued || ms[0].Kind != billing.MailCancellation {
		t.Fatalf("outbox: %+v", ms)
	}
	wantStatus(t, bob.Get("/manage/mail"), http.StatusNotFound)
	page := managerClient(t, srv).Get("/manage/mail")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, `data-testid="mail-off"`, "Your subscription is cancelled", "bob@example.com", "Waiting for SMTP_URL")
	if strings.Contains(page.Body, "nothing more is charged") {
		t.Error("the outbox page shows mail bodies")
	}
}

// withSubject picks the mail with that subject.
func withSubject(t *testing.T, ms []smtptest.Parsed, subject string) smtptest.Parsed {
	t.Helper()
	for _, m := range ms {
		if m.Subject == subject {
			return m
		}
	}
	t.Fatalf("no mail %q among %d", subject, len(ms))
	return smtptest.Parsed{}
}
