package sandbox

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/billingportal/portal/billing"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store keeps the sandbox's own records in their own tables, migrated by
// the sandbox with its own version table, as a hosted provider keeps its
// records apart from its customers'.
type Store struct{ db *sql.DB }

// Migrator applies an engine's migrations from fsys, keeping their
// versions in table; the portal's store provides it (db.Store.Migrate).
type Migrator func(ctx context.Context, fsys fs.FS, table string) error

// OpenStore migrates the sandbox's tables on db and returns its store. db
// takes SQLite-style placeholders on either engine; postgres chooses the
// PostgreSQL migrations.
func OpenStore(ctx context.Context, db *sql.DB, postgres bool, migrate Migrator) (*Store, error) {
	dir := "migrations"
	if postgres {
		dir = "migrations/postgres"
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, fsys, "sandbox_goose_db_version"); err != nil {
		return nil, fmt.Errorf("sandbox: migrate: %w", err)
	}
	return &Store{db: db}, nil
}

const sessionColumns = `id, client_ref, customer_ref, amount, currency, description, email, return_url, status, event_id,
	created_at, expires_at, paid_at, delivered_at, attempts, next_attempt_at, last_error, kind, cancel_url, card`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var created, expires, next int64
	var paid, delivered sql.NullInt64
	err := row.Scan(&s.ID, &s.ClientRef, &s.CustomerRef, &s.Amount.Amount, &s.Amount.Currency, &s.Description, &s.Email,
		&s.ReturnURL, &s.Status, &s.EventID, &created, &expires, &paid, &delivered, &s.Attempts, &next, &s.LastError, &s.Kind, &s.CancelURL, &s.Card)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sandbox: session: %w", billing.ErrNotFound)
	}
	s.CreatedAt, s.ExpiresAt, s.NextAttemptAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC(), time.Unix(next, 0).UTC()
	s.PaidAt, s.DeliveredAt = fromNull(paid), fromNull(delivered)
	return s, err
}

func fromNull(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

// createSession stores s, or returns the session already stored for
// s.ClientRef, which makes CreateCheckout idempotent.
func (st *Store) createSession(ctx context.Context, s Session) (Session, error) {
	if s.Kind == "" {
		s.Kind = KindPayment
	}
	_, err := st.db.ExecContext(ctx, `INSERT INTO sandbox_sessions (id, client_ref, customer_ref, amount, currency, description,
		email, return_url, status, created_at, expires_at, kind, cancel_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_ref) DO NOTHING`,
		s.ID, s.ClientRef, s.CustomerRef, s.Amount.Amount, s.Amount.Currency, s.Description, s.Email, s.ReturnURL, s.Status,
		s.CreatedAt.Unix(), s.ExpiresAt.Unix(), s.Kind, s.CancelURL)
	if err != nil {
		return Session{}, fmt.Errorf("sandbox: create session: %w", err)
	}
	return scanSession(st.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sandbox_sessions WHERE client_ref = ?`, s.ClientRef))
}

func (st *Store) session(ctx context.Context, id string) (Session, error) {
	return scanSession(st.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sandbox_sessions WHERE id = ?`, id))
}

// closeSession moves an open session to a final status; false when it was
// no longer open, so two clicks (or a click and an expiry) close it once.
// A paid or declined session's event is queued for delivery at once.
func (st *Store) closeSession(ctx context.Context, id string, to Status, eventID string, at time.Time) (bool, error) {
	res, err := st.db.ExecContext(ctx, `UPDATE sandbox_sessions SET status = ?, event_id = ?, paid_at = ?, next_attempt_at = ?
		WHERE id = ? AND status = 'open'`, to, eventID, at.Unix(), at.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("sandbox: close session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// saveSetupCard completes an open card-setup session with the test card
// chosen and queues its event; false when it was no longer open.
func (st *Store) saveSetupCard(ctx context.Context, id string, card Card, eventID string, at time.Time) (bool, error) {
	res, err := st.db.ExecContext(ctx, `UPDATE sandbox_sessions SET status = 'paid', card = ?, event_id = ?, paid_at = ?,
		next_attempt_at = ? WHERE id = ? AND status = 'open' AND kind = 'setup'`, int(card), eventID, at.Unix(), at.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("sandbox: save card: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (st *Store) markDelivered(ctx context.Context, id string, attempts int, at time.Time) error {
	_, err := st.db.ExecContext(ctx, `UPDATE sandbox_sessions SET delivered_at = ?, attempts = ?, last_error = '' WHERE id = ?`,
		at.Unix(), attempts, id)
	return err
}

func (st *Store) markAttemptFailed(ctx context.Context, id string, attempts int, next time.Time, reason string) error {
	_, err := st.db.ExecContext(ctx, `UPDATE sandbox_sessions SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, next.Unix(), reason, id)
	return err
}

// dueDeliveries lists events not yet acknowledged whose next attempt is due.
func (st *Store) dueDeliveries(ctx context.Context, now time.Time, limit int) ([]Session, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sandbox_sessions
		WHERE delivered_at IS NULL AND event_id <> '' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("sandbox: due deliveries: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// cardBehaviour tells how the customer's saved test card answers a charge.
func (st *Store) cardBehaviour(ctx context.Context, email string) (Card, error) {
	var c Card
	err := st.db.QueryRowContext(ctx, `SELECT fails FROM sandbox_cards WHERE email = ?`, strings.ToLower(email)).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return CardWorks, nil
	}
	return c, err
}

// SetCard saves how the customer's test card answers charges.
func (st *Store) SetCard(ctx context.Context, email string, c Card) error {
	_, err := st.db.ExecContext(ctx, `INSERT INTO sandbox_cards (email, fails) VALUES (?, ?)
		ON CONFLICT (email) DO UPDATE SET fails = excluded.fails`, strings.ToLower(email), int(c))
	return err
}

// succeeded is the charge's old 0/1 column, kept for records from before outcomes.
func succeeded(o billing.ChargeOutcome) int {
	if o == billing.ChargeOutcomeSucceeded {
		return 1
	}
	return 0
}

// recordCharge stores a charge once per key and returns the stored one.
func (st *Store) recordCharge(ctx context.Context, c chargeRecord) (chargeRecord, error) {
	_, err := st.db.ExecContext(ctx, `INSERT INTO sandbox_charges (key, email, amount, currency, succeeded, outcome, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, c.Key, c.Email, c.Amount.Amount, c.Amount.Currency,
		succeeded(c.Outcome), c.Outcome, c.CreatedAt.Unix())
	if err != nil {
		return c, fmt.Errorf("sandbox: charge: %w", err)
	}
	var created int64
	err = st.db.QueryRowContext(ctx, `SELECT key, email, amount, currency, outcome, created_at FROM sandbox_charges WHERE key = ?`, c.Key).
		Scan(&c.Key, &c.Email, &c.Amount.Amount, &c.Amount.Currency, &c.Outcome, &created)
	c.CreatedAt = time.Unix(created, 0).UTC()
	return c, err
}
