package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/checkout/sandbox"
)

const sandboxColumns = `id, client_ref, amount, currency, description, email, return_url, status, event_id,
	created_at, expires_at, delivered_at`

func scanSandbox(row scanner) (sandbox.Session, error) {
	var s sandbox.Session
	var created, expires int64
	var delivered sql.NullInt64
	err := row.Scan(&s.ID, &s.ClientRef, &s.Amount.Amount, &s.Amount.Currency, &s.Description, &s.Email, &s.ReturnURL,
		&s.Status, &s.EventID, &created, &expires, &delivered)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("db: sandbox session: %w", billing.ErrNotFound)
	}
	s.CreatedAt, s.ExpiresAt, s.DeliveredAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC(), fromUnix(delivered)
	return s, err
}

// CreateSandboxSession stores a sandbox session, or returns the one already
// stored for the same client reference.
func (s *Store) CreateSandboxSession(ctx context.Context, ss sandbox.Session) (sandbox.Session, error) {
	_, err := s.exec(ctx, `INSERT INTO sandbox_sessions (id, client_ref, amount, currency, description, email,
		return_url, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_ref) DO NOTHING`,
		ss.ID, ss.ClientRef, ss.Amount.Amount, ss.Amount.Currency, ss.Description, ss.Email, ss.ReturnURL, ss.Status,
		ss.CreatedAt.Unix(), ss.ExpiresAt.Unix())
	if err != nil {
		return sandbox.Session{}, fmt.Errorf("db: create sandbox session: %w", err)
	}
	return scanSandbox(s.queryRow(ctx, `SELECT `+sandboxColumns+` FROM sandbox_sessions WHERE client_ref = ?`, ss.ClientRef))
}

// SandboxSession returns a sandbox session by id.
func (s *Store) SandboxSession(ctx context.Context, id string) (sandbox.Session, error) {
	return scanSandbox(s.queryRow(ctx, `SELECT `+sandboxColumns+` FROM sandbox_sessions WHERE id = ?`, id))
}

// CloseSandboxSession moves an open session to a final status.
func (s *Store) CloseSandboxSession(ctx context.Context, id string, to sandbox.Status, eventID string) (bool, error) {
	res, err := s.exec(ctx, `UPDATE sandbox_sessions SET status = ?, event_id = ? WHERE id = ? AND status = 'open'`, to, eventID, id)
	if err != nil {
		return false, fmt.Errorf("db: close sandbox session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkSandboxDelivered records that the portal acknowledged a session's event.
func (s *Store) MarkSandboxDelivered(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE sandbox_sessions SET delivered_at = ? WHERE id = ?`, at.Unix(), id)
	return err
}

// UndeliveredSandboxSessions lists sessions whose event was never acknowledged.
func (s *Store) UndeliveredSandboxSessions(ctx context.Context) ([]sandbox.Session, error) {
	rows, err := s.query(ctx, `SELECT `+sandboxColumns+` FROM sandbox_sessions WHERE delivered_at IS NULL AND event_id <> ''`)
	if err != nil {
		return nil, fmt.Errorf("db: undelivered sandbox sessions: %w", err)
	}
	return scanAll(rows, scanSandbox)
}

// SandboxCardFails tells whether the customer's test card declines.
func (s *Store) SandboxCardFails(ctx context.Context, email string) (bool, error) {
	var fails bool
	err := s.queryRow(ctx, `SELECT fails FROM sandbox_cards WHERE email = ?`, email).Scan(&fails)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return fails, err
}

// SetSandboxCard saves whether the customer's test card declines.
func (s *Store) SetSandboxCard(ctx context.Context, email string, fails bool) error {
	_, err := s.exec(ctx, `INSERT INTO sandbox_cards (email, fails) VALUES (?, ?)
		ON CONFLICT (email) DO UPDATE SET fails = excluded.fails`, email, boolInt(fails))
	return err
}

// RecordSandboxCharge stores a charge once per key and returns the stored one.
func (s *Store) RecordSandboxCharge(ctx context.Context, c sandbox.ChargeRecord) (sandbox.ChargeRecord, error) {
	_, err := s.exec(ctx, `INSERT INTO sandbox_charges (key, email, amount, currency, succeeded, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, c.Key, c.Email, c.Amount.Amount, c.Amount.Currency,
		boolInt(c.Succeeded), c.CreatedAt.Unix())
	if err != nil {
		return c, fmt.Errorf("db: sandbox charge: %w", err)
	}
	var created int64
	err = s.queryRow(ctx, `SELECT key, email, amount, currency, succeeded, created_at FROM sandbox_charges WHERE key = ?`, c.Key).
		Scan(&c.Key, &c.Email, &c.Amount.Amount, &c.Amount.Currency, &c.Succeeded, &created)
	c.CreatedAt = time.Unix(created, 0).UTC()
	return c, err
}
