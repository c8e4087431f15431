package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/poll"
)

// SMTP is where mail is sent, from SMTP_URL: smtp://user:pass@host:port
// (STARTTLS when the server offers it; the password is never sent over a
// connection without TLS) or smtps://… (TLS from the start).
type SMTP struct {
	Host     string
	Port     int
	TLS      bool // smtps: TLS from the first byte
	Username string
	Password string
}

// ParseSMTPURL reads SMTP_URL.
func ParseSMTPURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return SMTP{}, errors.New("SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	s := SMTP{Host: u.Hostname(), TLS: u.Scheme == "smtps", Port: 587}
	if s.TLS {
		s.Port = 465
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return SMTP{}, fmt.Errorf("SMTP_URL: %q is not a port", p)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// ParseFrom reads MAIL_FROM, e.g. "Acme Billing <billing@acme.test>".
func ParseFrom(raw string) (*mail.Address, error) {
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q is not an address such as \"Acme Billing <billing@acme.test>\"", raw)
	}
	return a, nil
}

// Outbox is the queue of mails in the database.
type Outbox interface {
	DueMails(ctx context.Context, now time.Time, limit int) ([]billing.Mail, error)
	ClaimMail(ctx context.Context, id string, at time.Time) (bool, error)
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	RetryMail(ctx context.Context, id string, next time.Time, reason string) error
	FailMail(ctx context.Context, id string, reason string) error
}

// Attachment gives the PDF of an invoice, to attach to its receipt.
type Attachment func(ctx context.Context, invoiceID int64) (filename string, pdf []byte, err error)

// Clock tells wall time: deliveries follow real time, not billing time.
type Clock interface{ Now() time.Time }

// Sender delivers the outbox.
type Sender struct {
	outbox  Outbox
	server  SMTP
	from    *mail.Address
	attach  Attachment
	clock   Clock
	log     *slog.Logger
	timeout time.Duration
	loop    *poll.Loop
}

// NewSender returns a sender through server, from the given address.
func NewSender(outbox Outbox, server SMTP, from *mail.Address, attach Attachment, clock Clock, log *slog.Logger) *Sender {
	return &Sender{outbox: outbox, server: server, from: from, attach: attach, clock: clock, log: log,
		timeout: 30 * time.Second, loop: poll.NewLoop()}
}

// MaxAttempts is how often a mail is tried before it is marked failed;
// with Backoff that spans about a day.
const MaxAttempts = 12

// Backoff is the wait after the nth failed attempt: 30 s, 1 min, 2 min, …,
// at most 4 hours.
func Backoff(attempt int) time.Duration { return poll.Backoff(30*time.Second, 4*time.Hour, attempt) }

// Wake asks the sender to look at the outbox now.
func (s *Sender) Wake() { s.loop.Wake() }

// Run delivers due mail until ctx ends, every interval and when woken.
func (s *Sender) Run(ctx context.Context, interval time.Duration) {
	s.loop.Run(ctx, interval, func(ctx context.Context) {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("mail: deliver", "err", err)
		}
	})
}

// DeliverDue sends every mail whose attempt is due and returns how many the
// SMTP server accepted.
//
// Each mail is claimed (status "sending", in its own write) before the SMTP
// call and marked sent after it, so two senders never send the same mail
// and a mail is never sent twice. The one window left: if the process stops
// after the server accepted the mail and before "sent" is written, the mail
// stays "sending" and is not tried again; managers see it at /manage/mail.
// We chose at most once: a duplicate receipt or reset link is worse than a
// missing one the customer can ask for again.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	due, err := s.outbox.DueMails(ctx, s.clock.Now(), 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range due {
		claimed, err := s.outbox.ClaimMail(ctx, m.ID, s.clock.Now())
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue // another sender has it
		}
		m.Attempts++
		if err := s.send(ctx, m); err != nil {
			if err := s.recordFailure(ctx, m, err); err != nil {
				return sent, err
			}
			continue
		}
		if err := s.outbox.MarkMailSent(ctx, m.ID, s.clock.Now()); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

func (s *Sender) recordFailure(ctx context.Context, m billing.Mail, sendErr error) error {
	reason := sendErr.Error()
	if len(reason) > 500 {
		reason = reason[:500]
	}
	if m.Attempts >= MaxAttempts {
		s.log.Error("mail: giving up", "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", sendErr)
		return s.outbox.FailMail(ctx, m.ID, reason)
	}
	next := s.clock.Now().Add(Backoff(m.Attempts))
	s.log.Warn("mail: delivery failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "next", next, "err", sendErr)
	return s.outbox.RetryMail(ctx, m.ID, next, reason)
}

// send delivers one mail over one SMTP connection.
func (s *Sender) send(ctx context.Context, m billing.Mail) error {
	msg, err := s.message(ctx, m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.server.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, msg)
}

func (s *Sender) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.server.Port), gomail.WithTimeout(s.timeout)}
	if s.server.TLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.server.Username != "" {
		// Auto-discovery offers PLAIN and LOGIN only over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.server.Username), gomail.WithPassword(s.server.Password))
	}
	return opts
}

// message builds the MIME message: plain text with an HTML alternative,
// the invoice PDF attached when the mail names an invoice, and a
// Message-ID made from the outbox id.
func (s *Sender) message(ctx context.Context, m billing.Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + domainOf(s.from.Address))
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if m.InvoiceID != 0 {
		if s.attach == nil {
			return nil, errors.New("no invoice renderer for the attachment")
		}
		name, pdf, err := s.attach(ctx, m.InvoiceID)
		if err != nil {
			return nil, fmt.Errorf("invoice %d PDF: %w", m.InvoiceID, err)
		}
		if err := msg.AttachReader(name, bytes.NewReader(pdf), gomail.WithFileContentType(gomail.ContentType("application/pdf"))); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}
