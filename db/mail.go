package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

// EnqueueMail adds a mail to the outbox, in the caller's transaction.
func (q queries) EnqueueMail(ctx context.Context, m billing.Mail) error {
	var next int64 // zero time: due at once
	if !m.NextAttemptAt.IsZero() {
		next = m.NextAttemptAt.Unix()
	}
	_, err := q.exec(ctx, `INSERT INTO mails (id, user_id, kind, recipient, subject, body_text, body_html, invoice_id,
		status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`, m.ID, nullID(m.UserID), m.Kind,
		m.To, m.Subject, m.Text, m.HTML, nullID(m.InvoiceID), next, m.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	return nil
}

// MailPreferences returns the customer's choices; all mails when none were made.
func (q queries) MailPreferences(ctx context.Context, userID int64) (billing.MailPreferences, error) {
	p := billing.MailPreferences{RenewalReminders: true, ChangeConfirmations: true}
	err := q.queryRow(ctx, `SELECT renewal_reminders, change_confirmations FROM mail_preferences WHERE user_id = ?`, userID).
		Scan(&p.RenewalReminders, &p.ChangeConfirmations)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("db: mail preferences of user %d: %w", userID, err)
	}
	return p, nil
}

// SaveMailPreferences stores the customer's choices.
func (q queries) SaveMailPreferences(ctx context.Context, userID int64, p billing.MailPreferences, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO mail_preferences (user_id, renewal_reminders, change_confirmations, updated_at)
		VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id) DO UPDATE SET renewal_reminders = ?2, change_confirmations = ?3, updated_at = ?4`,
		userID, boolInt(p.RenewalReminders), boolInt(p.ChangeConfirmations), at.Unix())
	if err != nil {
		return fmt.Errorf("db: save mail preferences: %w", err)
	}
	return nil
}

// MarkRenewalReminded records the reminder for one period, once.
func (q queries) MarkRenewalReminded(ctx context.Context, subscriptionID int64, periodEnd, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO renewal_reminders (subscription_id, period_end, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, subscriptionID, periodEnd.Unix(), at.Unix())
	if err != nil {
		return false, fmt.Errorf("db: renewal reminder: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RenewalsToRemind lists users whose annual subscription renews in (from,
// until] and who were not reminded of that renewal yet.
func (q queries) RenewalsToRemind(ctx context.Context, from, until time.Time) ([]int64, error) {
	rows, err := q.query(ctx, `SELECT s.user_id FROM subscriptions s JOIN plans p ON p.id = s.plan_id
		WHERE s.status = 'active' AND s.cancel_at_period_end = 0 AND p.interval = 'year'
		  AND s.period_end > ?1 AND s.period_end <= ?2
		  AND NOT EXISTS (SELECT 1 FROM renewal_reminders r WHERE r.subscription_id = s.id AND r.period_end = s.period_end)
		ORDER BY s.user_id`, from.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("db: renewals to remind: %w", err)
	}
	return scanAll(rows, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

const mailColumns = `id, COALESCE(user_id, 0), kind, recipient, subject, body_text, body_html, COALESCE(invoice_id, 0), status,
	attempts, next_attempt_at, claimed_at, sent_at, last_error, created_at`

func scanMail(row scanner) (billing.Mail, error) {
	var m billing.Mail
	var next, created int64
	var claimed, sent sql.NullInt64
	err := row.Scan(&m.ID, &m.UserID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.InvoiceID, &m.Status,
		&m.Attempts, &next, &claimed, &sent, &m.LastError, &created)
	m.NextAttemptAt, m.CreatedAt = time.Unix(next, 0).UTC(), time.Unix(created, 0).UTC()
	m.ClaimedAt, m.SentAt = fromUnix(claimed), fromUnix(sent)
	return m, err
}

func (s *Store) mails(ctx context.Context, where string, args ...any) ([]billing.Mail, error) {
	rows, err := s.query(ctx, `SELECT `+mailColumns+` FROM mails `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("db: mails: %w", err)
	}
	return scanAll(rows, scanMail)
}

// DueMails lists queued mails whose attempt is due, oldest first.
func (s *Store) DueMails(ctx context.Context, now time.Time, limit int) ([]billing.Mail, error) {
	return s.mails(ctx, `WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?`, now.Unix(), limit)
}

// RecentMails lists the newest mails, for managers.
func (s *Store) RecentMails(ctx context.Context, limit int) ([]billing.Mail, error) {
	return s.mails(ctx, `ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// Mails lists every mail to one address, oldest first (tests and support).
func (s *Store) Mails(ctx context.Context, to string) ([]billing.Mail, error) {
	return s.mails(ctx, `WHERE lower(recipient) = lower(?) ORDER BY created_at, id`, to)
}

// ClaimMail marks a queued mail as being sent, counting the attempt. Only
// one sender can claim a mail: false means another did, or it is not queued.
func (s *Store) ClaimMail(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE mails SET status = 'sending', claimed_at = ?, attempts = attempts + 1
		WHERE id = ? AND status = 'queued'`, at.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("db: claim mail %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkMailSent records that the SMTP server accepted a claimed mail. A
// password-reset mail loses its bodies then: they held a one-time link.
func (s *Store) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE mails SET status = 'sent', sent_at = ?, last_error = '',
		body_text = CASE WHEN kind = 'password_reset' THEN '(removed after sending: it held a one-time link)' ELSE body_text END,
		body_html = CASE WHEN kind = 'password_reset' THEN '' ELSE body_html END
		WHERE id = ? AND status = 'sending'`, at.Unix(), id)
	if err != nil {
		return fmt.Errorf("db: mail %s sent: %w", id, err)
	}
	return nil
}

// RetryMail puts a claimed mail back in the queue after a failed attempt.
func (s *Store) RetryMail(ctx context.Context, id string, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE mails SET status = 'queued', next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'sending'`,
		next.Unix(), reason, id)
	if err != nil {
		return fmt.Errorf("db: retry mail %s: %w", id, err)
	}
	return nil
}

// FailMail gives up on a claimed mail.
func (s *Store) FailMail(ctx context.Context, id string, reason string) error {
	_, err := s.exec(ctx, `UPDATE mails SET status = 'failed', last_error = ? WHERE id = ? AND status = 'sending'`, reason, id)
	if err != nil {
		return fmt.Errorf("db: fail mail %s: %w", id, err)
	}
	return nil
}
