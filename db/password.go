package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/account"
)

// CreatePasswordReset stores a reset link and queues its mail in one
// transaction: a link nobody was sent is never stored, and vice versa.
func (a AccountStore) CreatePasswordReset(ctx context.Context, r account.PasswordReset, m account.Mail) error {
	return a.s.inTx(ctx, func(q queries) error {
		if _, err := q.exec(ctx, `INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			r.TokenHash, r.UserID, r.CreatedAt.Unix(), r.ExpiresAt.Unix()); err != nil {
			return fmt.Errorf("db: create password reset: %w", err)
		}
		_, err := q.exec(ctx, `INSERT INTO mails (id, user_id, kind, recipient, subject, body_text, body_html, status,
			next_attempt_at, created_at) VALUES (?, ?, 'password_reset', ?, ?, ?, ?, 'queued', ?, ?)`,
			mailID(), r.UserID, m.To, m.Subject, m.Text, m.HTML, r.CreatedAt.Unix(), r.CreatedAt.Unix())
		if err != nil {
			return fmt.Errorf("db: queue reset mail: %w", err)
		}
		return nil
	})
}

func mailID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "mail_" + hex.EncodeToString(b)
}

// PasswordResetUser returns the user of an unused, unexpired reset link.
func (a AccountStore) PasswordResetUser(ctx context.Context, hash []byte, now time.Time) (int64, error) {
	var id int64
	err := a.s.queryRow(ctx, `SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
		hash, now.Unix()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, account.ErrNotFound
	}
	return id, err
}

// UsePasswordReset spends the link, sets the password, ends every session
// of the user and spends their other links, in one transaction.
func (a AccountStore) UsePasswordReset(ctx context.Context, hash []byte, now time.Time, passwordHash []byte) (int64, error) {
	var id int64
	err := a.s.inTx(ctx, func(q queries) error {
		err := q.writeRow(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
			RETURNING user_id`, now.Unix(), hash, now.Unix()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return account.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: use password reset: %w", err)
		}
		return q.setPassword(ctx, id, passwordHash, nil, now)
	})
	return id, err
}

// SetPassword changes a password and ends the user's sessions but keepSession.
func (a AccountStore) SetPassword(ctx context.Context, userID int64, passwordHash, keepSession []byte, at time.Time) error {
	return a.s.inTx(ctx, func(q queries) error { return q.setPassword(ctx, userID, passwordHash, keepSession, at) })
}

func (q queries) setPassword(ctx context.Context, userID int64, passwordHash, keepSession []byte, at time.Time) error {
	if _, err := q.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, passwordHash, at.Unix(), userID); err != nil {
		return fmt.Errorf("db: set password: %w", err)
	}
	// Every session ends, a manager's impersonation of this customer included.
	if _, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash IS DISTINCT FROM ?`, userID, keepSession); err != nil {
		return fmt.Errorf("db: end sessions: %w", err)
	}
	if _, err := q.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, at.Unix(), userID); err != nil {
		return fmt.Errorf("db: spend reset links: %w", err)
	}
	return nil
}
