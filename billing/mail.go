package billing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MailKind names what a mail to a customer is about.
type MailKind string

// The mails the portal sends.
const (
	MailPasswordReset   MailKind = "password_reset"
	MailCancellation    MailKind = "cancellation"
	MailChangeScheduled MailKind = "change_scheduled"
	MailChangeApplied   MailKind = "change_applied"
	MailRenewalReminder MailKind = "renewal_reminder"
	MailReceipt         MailKind = "receipt"
	MailPaymentFailed   MailKind = "payment_failed"
)

// MailStatus is where a mail stands in the outbox.
type MailStatus string

// Outbox states. A mail is claimed ("sending") before the SMTP call and
// marked sent after it; a process that stops in between leaves it sending,
// and it is never sent again (see the mail worker).
const (
	MailQueued  MailStatus = "queued"
	MailSending MailStatus = "sending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
)

// Mail is one message in the outbox, composed when it was queued.
type Mail struct {
	ID            string
	UserID        int64
	To            string
	Kind          MailKind
	Subject       string
	Text          string
	HTML          string
	InvoiceID     int64 // when set, the invoice's PDF is attached at sending
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time // zero: at once
	ClaimedAt     time.Time
	SentAt        time.Time
	LastError     string
	CreatedAt     time.Time
}

// MailData is what a mail says; each kind uses some of the fields. Values
// are ready to read ("Pro Annual", "$290.00", "1 March 2027").
type MailData struct {
	Kind          MailKind
	To            string
	PlanName      string
	FromPlanName  string
	Price         string // the plan's price with its interval, e.g. "$290.00 a year"
	Amount        string // money paid or due
	Date          string // when the change applies, the subscription ends or renews
	InvoiceNumber string
	URL           string // the one thing to click: pay now, manage, reset
	PrefsURL      string // where optional mails are turned off; "" for mails that are always sent
}

// Composer turns what a mail says into its subject and bodies. It is pure:
// it runs inside write transactions and calls nothing outside the process.
type Composer interface {
	Compose(d MailData) (subject, text, html string, err error)
}

// MailPreferences are the optional mails a customer wants.
type MailPreferences struct {
	RenewalReminders    bool
	ChangeConfirmations bool
}

// optional reports whether the customer's preferences may silence a kind.
// Receipts, payment notices, cancellations and password resets always go.
func (p MailPreferences) allows(k MailKind) bool {
	switch k {
	case MailRenewalReminder:
		return p.RenewalReminders
	case MailChangeScheduled, MailChangeApplied:
		return p.ChangeConfirmations
	}
	return true
}

// mailTx is what queueing mail needs inside a transaction.
type mailTx interface {
	EnqueueMail(ctx context.Context, m Mail) error
	MailPreferences(ctx context.Context, userID int64) (MailPreferences, error)
	SaveMailPreferences(ctx context.Context, userID int64, p MailPreferences, at time.Time) error
	// MarkRenewalReminded records the reminder for one period; false when
	// it was recorded before.
	MarkRenewalReminded(ctx context.Context, subscriptionID int64, periodEnd, at time.Time) (bool, error)
}

// mailReader is what mail needs outside a transaction.
type mailReader interface {
	// RenewalsToRemind lists users whose annual subscription renews in
	// (from, until] and who have not been reminded for that period.
	RenewalsToRemind(ctx context.Context, from, until time.Time) ([]int64, error)
}

// mailer is the Service's mail settings; the zero value queues nothing.
type mailer struct {
	composer  Composer
	portalURL string // scheme://host of the portal, for links in mails
}

// UseMail makes the service queue mail to customers, composed by c, with
// links to the portal at portalURL.
func (s *Service) UseMail(c Composer, portalURL string) {
	s.mail = mailer{composer: c, portalURL: portalURL}
}

// PreferencesPath is the page where customers turn optional mails off.
const PreferencesPath = "/settings/emails"

// queueMail composes a mail to the customer and adds it to the outbox in
// tx, unless their preferences turn that kind off.
func (s *Service) queueMail(ctx context.Context, tx Tx, userID int64, d MailData, invoiceID int64) error {
	if s.mail.composer == nil {
		return nil
	}
	prefs, err := tx.MailPreferences(ctx, userID)
	if err != nil || !prefs.allows(d.Kind) {
		return err
	}
	cust, err := tx.Customer(ctx, userID)
	if err != nil {
		return err
	}
	d.To = cust.Email
	if d.Kind == MailRenewalReminder || d.Kind == MailChangeScheduled || d.Kind == MailChangeApplied {
		d.PrefsURL = s.mail.portalURL + PreferencesPath
	}
	subject, text, html, err := s.mail.composer.Compose(d)
	if err != nil {
		return fmt.Errorf("billing: compose %s mail: %w", d.Kind, err)
	}
	// CreatedAt is billing time, when the cause happened; the first attempt
	// is due at once in the worker's real time, which billing does not read.
	return tx.EnqueueMail(ctx, Mail{ID: newID("mail_"), UserID: userID, To: cust.Email, Kind: d.Kind, Subject: subject,
		Text: text, HTML: html, InvoiceID: invoiceID, Status: MailQueued, CreatedAt: s.clock.Now()})
}

// mailFor queues the confirmation an audited action deserves, in the
// action's own transaction. Changes paid through checkout are confirmed by
// their receipt instead (QueueReceipt).
func (s *Service) mailFor(ctx context.Context, tx Tx, e AuditEntry) error {
	if s.mail.composer == nil {
		return nil
	}
	var kind MailKind
	switch {
	case e.Action == "subscription.cancel_requested":
		kind = MailCancellation
	case e.Action == "change.scheduled":
		kind = MailChangeScheduled
	case e.Action == "change.applied", e.Action == "plan.changed" && e.Actor.Email != ProviderActor.Email:
		kind = MailChangeApplied
	default:
		return nil
	}
	sub, err := tx.Subscription(ctx, e.Subject.ID)
	if err != nil {
		return err
	}
	d := MailData{Kind: kind, PlanName: sub.Plan.Name(), Price: priceLabel(sub.Plan), URL: s.mail.portalURL + "/subscription"}
	switch kind {
	case MailCancellation:
		d.Date = longDate(sub.PeriodEnd)
	case MailChangeScheduled:
		sc, err := tx.ScheduledChange(ctx, sub.ID)
		if err != nil {
			return err
		}
		d.FromPlanName, d.PlanName, d.Price, d.Date = sub.Plan.Name(), sc.Plan.Name(), priceLabel(sc.Plan), longDate(sc.EffectiveAt)
	case MailChangeApplied:
		d.Date = longDate(e.At)
	}
	return s.queueMail(ctx, tx, e.Subject.ID, d, 0)
}

// QueueReceipt queues the receipt for a paid invoice, with the invoice's
// PDF attached when it is sent. Call it in the transaction that records the
// payment, so the receipt goes out exactly when the payment is kept.
func (s *Service) QueueReceipt(ctx context.Context, tx Tx, invoiceID int64) error {
	inv, err := tx.Invoice(ctx, invoiceID)
	if err != nil {
		return err
	}
	return s.queueMail(ctx, tx, inv.UserID, MailData{Kind: MailReceipt, PlanName: inv.Description, Amount: inv.Amount.String(),
		Date: longDate(inv.CreatedAt), InvoiceNumber: inv.Number, URL: s.mail.portalURL + "/billing/history"}, inv.ID)
}

// QueuePaymentFailed queues the notice for a failed charge, with a link to
// the page where the customer pays now (or uses another card). Call it in
// the transaction that records the failure.
func (s *Service) QueuePaymentFailed(ctx context.Context, tx Tx, invoiceID int64) error {
	inv, err := tx.Invoice(ctx, invoiceID)
	if err != nil {
		return err
	}
	return s.queueMail(ctx, tx, inv.UserID, MailData{Kind: MailPaymentFailed, PlanName: inv.Description, Amount: inv.Amount.String(),
		Date: longDate(inv.CreatedAt), InvoiceNumber: inv.Number, URL: s.mail.portalURL + "/subscription"}, 0)
}

// RenewalReminderLead is how long before an annual renewal the reminder goes.
const RenewalReminderLead = 7 * 24 * time.Hour

// remindRenewals queues one reminder per period for every annual
// subscription renewing within RenewalReminderLead of now. A reminder whose
// window the clock jumped over entirely is not sent: it would be late.
func (s *Service) remindRenewals(ctx context.Context, now time.Time) (int, error) {
	if s.mail.composer == nil {
		return 0, nil
	}
	users, err := s.store.RenewalsToRemind(ctx, now, now.Add(RenewalReminderLead))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, uid := range users {
		err := s.store.InTx(ctx, func(tx Tx) error {
			did, err := s.remindRenewal(ctx, tx, uid, now)
			if did {
				sent++
			}
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("renewal reminder for user %d: %w", uid, err)
		}
	}
	return sent, nil
}

func (s *Service) remindRenewal(ctx context.Context, tx Tx, userID int64, now time.Time) (bool, error) {
	sub, err := tx.Subscription(ctx, userID)
	if err != nil {
		return false, err
	}
	if sub.Status != Active || sub.CancelAtPeriodEnd || sub.Plan.Interval != Year || !sub.PeriodEnd.After(now) {
		return false, nil
	}
	fresh, err := tx.MarkRenewalReminded(ctx, sub.ID, sub.PeriodEnd, now)
	if err != nil || !fresh {
		return false, err
	}
	next := sub.Plan
	sc, err := tx.ScheduledChange(ctx, sub.ID)
	switch {
	case err == nil:
		next = sc.Plan
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	if next.Free() {
		return false, nil // nothing will be charged, so there is nothing to remind of
	}
	d := MailData{Kind: MailRenewalReminder, PlanName: next.Name(), Price: priceLabel(next), Amount: next.Price.String(),
		Date: longDate(sub.PeriodEnd), URL: s.mail.portalURL + "/subscription"}
	if sub.Credit > 0 {
		d.Amount = Money{max(next.Price.Amount-sub.Credit, 0), next.Price.Currency}.String()
	}
	return true, s.queueMail(ctx, tx, userID, d, 0)
}

// MailPreferences returns the customer's choices of optional mail.
func (s *Service) MailPreferences(ctx context.Context, userID int64) (MailPreferences, error) {
	var p MailPreferences
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		p, err = tx.MailPreferences(ctx, userID)
		return err
	})
	return p, err
}

// SetMailPreferences stores the customer's choices, audited.
func (s *Service) SetMailPreferences(ctx context.Context, actor Actor, cust Customer, p MailPreferences) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		before, err := tx.MailPreferences(ctx, cust.ID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := tx.SaveMailPreferences(ctx, cust.ID, p, now); err != nil {
			return err
		}
		return tx.AddAudit(ctx, AuditEntry{At: now, Actor: actor, Subject: cust, Action: "mail.preferences",
			Before: prefsLabel(before), After: prefsLabel(p)})
	})
}

func prefsLabel(p MailPreferences) string {
	return fmt.Sprintf("renewal reminders %s, change confirmations %s", onOff(p.RenewalReminders), onOff(p.ChangeConfirmations))
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// priceLabel is a plan's price as mails say it: "$290.00 a year", or "free".
func priceLabel(p Plan) string {
	if p.Free() {
		return "free"
	}
	if p.Interval == Year {
		return p.Price.String() + " a year"
	}
	return p.Price.String() + " a month"
}

func longDate(t time.Time) string { return t.UTC().Format("2 January 2006") }
