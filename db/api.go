package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
)

// IdempotentResponse returns the stored first answer for a caller's key.
func (s *Store) IdempotentResponse(ctx context.Context, principal, key string) (bodyHash []byte, status int, body []byte, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT body_hash, status, response FROM idempotency_keys WHERE principal = ? AND key = ?`,
		principal, key).Scan(&bodyHash, &status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil, false, nil
	}
	return bodyHash, status, body, err == nil, err
}

// SaveIdempotentResponse stores the first answer for a key; a concurrent
// first answer wins and this one is dropped.
func (s *Store) SaveIdempotentResponse(ctx context.Context, principal, key string, bodyHash []byte, status int, body []byte, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO idempotency_keys (principal, key, method, path, body_hash, status, response, created_at)
		VALUES (?, ?, '', '', ?, ?, ?, ?) ON CONFLICT DO NOTHING`, principal, key, bodyHash, status, body, at.Unix())
	if err != nil {
		return fmt.Errorf("db: idempotency key: %w", err)
	}
	return nil
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
