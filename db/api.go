package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

// ClaimIdempotencyKey claims a caller's key for a request, in one
// transaction: an expired key is forgotten, a free key is taken (status 0
// while the request runs), and a taken one reports the stored answer, a
// run in progress, or another request's body. A claim older than stale is
// taken over: its request died with its process.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, principal, key string, bodyHash []byte, now time.Time, ttl, stale time.Duration) (billing.IdempotencyClaim, error) {
	var claim billing.IdempotencyClaim
	err := s.inTx(ctx, func(q queries) error {
		claim = billing.IdempotencyClaim{} // the transaction may run again
		if _, err := q.exec(ctx, `DELETE FROM idempotency_keys WHERE principal = ? AND key = ?
			AND (created_at <= ? OR (status = 0 AND created_at <= ?))`, principal, key, now.Add(-ttl).Unix(), now.Add(-stale).Unix()); err != nil {
			return err
		}
		var storedHash []byte
		err := q.queryRow(ctx, `SELECT body_hash, status, response FROM idempotency_keys WHERE principal = ? AND key = ?`,
			principal, key).Scan(&storedHash, &claim.Status, &claim.Body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			claim.Claimed = true
			_, err = q.exec(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, body_hash, status, response, created_at)
				VALUES (?, ?, '', '', ?, 0, ?, ?)`, principal, key, bodyHash, []byte{}, now.Unix())
			return err
		case err != nil:
			return err
		}
		claim.Mismatch = !bytes.Equal(storedHash, bodyHash)
		claim.InProgress = !claim.Mismatch && claim.Status == 0
		return nil
	})
	if err != nil {
		return billing.IdempotencyClaim{}, fmt.Errorf("db: idempotency key: %w", err)
	}
	return claim, nil
}

// SaveIdempotentResponse stores the answer of a claimed key's request.
func (s *Store) SaveIdempotentResponse(ctx context.Context, principal, key string, status int, body []byte) error {
	_, err := s.exec(ctx, `UPDATE idempotency_keys SET status = ?, response = ? WHERE principal = ? AND key = ?`,
		status, body, principal, key)
	if err != nil {
		return fmt.Errorf("db: idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey frees a claimed key whose request failed on our
// side, so a retry runs again.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, principal, key string) error {
	_, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE principal = ? AND key = ?`, principal, key)
	return err
}

// EnqueueNotification adds a notification to the outbox, in the caller's transaction.
func (q queries) EnqueueNotification(ctx context.Context, n billing.Notification) error {
	_, err := q.exec(ctx, `INSERT INTO notifications (id, event_type, user_id, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?)`, n.ID, n.Type, n.UserID, n.Payload, n.CreatedAt.Unix(), n.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("db: enqueue notification: %w", err)
	}
	return nil
}

const notificationColumns = `id, event_type, user_id, payload, created_at, attempts, next_attempt_at, last_error, delivered_at`

func scanNotification(row scanner) (billing.Notification, error) {
	var n billing.Notification
	var created, next int64
	var delivered sql.NullInt64
	err := row.Scan(&n.ID, &n.Type, &n.UserID, &n.Payload, &created, &n.Attempts, &next, &n.LastError, &delivered)
	n.CreatedAt, n.NextAttemptAt, n.DeliveredAt = time.Unix(created, 0).UTC(), time.Unix(next, 0).UTC(), fromUnix(delivered)
	return n, err
}

func (s *Store) notifications(ctx context.Context, query string, args ...any) ([]billing.Notification, error) {
	rows, err := s.query(ctx, `SELECT `+notificationColumns+` FROM notifications `+query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: notifications: %w", err)
	}
	return scanAll(rows, scanNotification)
}

// DueNotifications lists undelivered notifications whose next attempt is due, oldest first.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]billing.Notification, error) {
	return s.notifications(ctx, `WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?`, now.Unix(), limit)
}

// DueNotification rereads one notification if it is still undelivered and due.
func (s *Store) DueNotification(ctx context.Context, id string, now time.Time) (billing.Notification, bool, error) {
	ns, err := s.notifications(ctx, `WHERE id = ? AND delivered_at IS NULL AND next_attempt_at <= ?`, id, now.Unix())
	if err != nil || len(ns) == 0 {
		return billing.Notification{}, false, err
	}
	return ns[0], true, nil
}

// RecentNotifications lists the newest notifications, for managers.
func (s *Store) RecentNotifications(ctx context.Context, limit int) ([]billing.Notification, error) {
	return s.notifications(ctx, `ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

// MarkNotificationDelivered records a delivery the app acknowledged.
func (s *Store) MarkNotificationDelivered(ctx context.Context, id string, attempts int, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE notifications SET delivered_at = ?, attempts = ?, last_error = '' WHERE id = ?`, at.Unix(), attempts, id)
	return err
}

// MarkNotificationFailed records a failed attempt and when to try again.
func (s *Store) MarkNotificationFailed(ctx context.Context, id string, attempts int, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE notifications SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, next.Unix(), reason, id)
	return err
}
