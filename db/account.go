package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/billingportal/portal/account"
)

// AccountStore implements account.Store on the same database; it is a
// separate type because account and billing both name a NotFound error.
type AccountStore struct{ s *Store }

// Accounts returns the account store.
func (s *Store) Accounts() AccountStore { return AccountStore{s: s} }

const userColumns = `id, email, name, role, password_hash, disabled, created_at`

func scanUser(row scanner) (account.User, error) {
	var u account.User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, account.ErrNotFound
	}
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, err
}

// UserByEmail finds a user by email, ignoring case.
func (a AccountStore) UserByEmail(ctx context.Context, email string) (account.User, error) {
	return scanUser(a.s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?)`, email))
}

// UserByID finds a user by id.
func (a AccountStore) UserByID(ctx context.Context, id int64) (account.User, error) {
	return scanUser(a.s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// CreateUser inserts a user and, for a customer, their subscription on the
// default plan, in one transaction.
func (a AccountStore) CreateUser(ctx context.Context, u account.User) (int64, error) {
	var id int64
	err := a.s.inTx(ctx, func(q queries) error {
		err := q.writeRow(ctx, `INSERT INTO users (email, name, role, password_hash, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, u.Email, u.Name, u.Role, u.PasswordHash, boolInt(u.Disabled),
			u.CreatedAt.Unix(), u.CreatedAt.Unix()).Scan(&id)
		switch {
		case isUniqueViolation(err):
			return account.ErrEmailTaken
		case err != nil:
			return fmt.Errorf("db: create user: %w", err)
		case u.Role != account.Customer:
			return nil
		}
		return q.createDefaultSubscription(ctx, id, u.CreatedAt)
	})
	return id, err
}

func (q queries) createDefaultSubscription(ctx context.Context, userID int64, at time.Time) error {
	res, err := q.exec(ctx, `INSERT INTO subscriptions (user_id, plan_id, status, anchor, period_start, created_at, updated_at)
		SELECT CAST(? AS BIGINT), id, 'active', CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM plans WHERE is_default = 1`, userID, at.Unix(), at.Unix(), at.Unix(), at.Unix())
	if err != nil {
		return fmt.Errorf("db: default subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New("db: no default plan in the catalogue; cannot create a customer")
	}
	return nil
}

// CreateSession stores a new session.
func (a AccountStore) CreateSession(ctx context.Context, s account.Session) error {
	_, err := a.s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at,
		impersonator_id, impersonation_reason, return_url, embed, accent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.TokenHash,
		s.UserID, s.CreatedAt.Unix(), s.LastSeenAt.Unix(), s.ExpiresAt.Unix(), nullID(s.ImpersonatorID), s.Reason, s.ReturnURL,
		boolInt(s.Embed), s.Accent)
	if err != nil {
		return fmt.Errorf("db: create session: %w", err)
	}
	return nil
}

// Session finds a session and its user by the session's token hash.
func (a AccountStore) Session(ctx context.Context, hash []byte) (account.Session, account.User, error) {
	var s account.Session
	var u account.User
	var created, seen, expires, userCreated int64
	err := a.s.queryRow(ctx, `SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
		COALESCE(s.impersonator_id, 0), s.impersonation_reason, s.return_url, s.embed, s.accent,
		u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hash).
		Scan(&s.TokenHash, &s.UserID, &created, &seen, &expires, &s.ImpersonatorID, &s.Reason, &s.ReturnURL, &s.Embed, &s.Accent,
			&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &userCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, u, account.ErrNotFound
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(seen, 0).UTC(), time.Unix(expires, 0).UTC()
	u.CreatedAt = time.Unix(userCreated, 0).UTC()
	return s, u, err
}

// TouchSession records activity on a session.
func (a AccountStore) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := a.s.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, at.Unix(), hash)
	return err
}

// DeleteSession ends a session.
func (a AccountStore) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := a.s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
	return err
}

// SearchCustomers finds customers whose email or name contains query,
// ignoring case on both engines, ordered by email, and counts all matches.
func (a AccountStore) SearchCustomers(ctx context.Context, query string, limit, offset int) ([]account.User, int, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(query) + "%"
	const where = ` FROM users WHERE role = 'customer' AND (lower(email) LIKE lower(?1) ESCAPE '\' OR lower(name) LIKE lower(?1) ESCAPE '\')`
	var total int
	if err := a.s.queryRow(ctx, `SELECT COUNT(*)`+where, like).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("db: search customers: %w", err)
	}
	rows, err := a.s.query(ctx, `SELECT `+userColumns+where+` ORDER BY email LIMIT ?2 OFFSET ?3`, like, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("db: search customers: %w", err)
	}
	defer rows.Close()
	var out []account.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// SetDisabled disables or re-enables an account; a disabled account cannot
// sign in or be impersonated, and its sessions stop working.
func (a AccountStore) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	_, err := a.s.exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), id)
	return err
}
