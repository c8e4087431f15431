package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/billingportal/portal/account"
)

// CreateAPIToken stores a personal token's hash.
func (a AccountStore) CreateAPIToken(ctx context.Context, t account.APIToken, hash []byte) (int64, error) {
	var id int64
	err := a.s.writeRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		t.UserID, t.Name, hash, t.CreatedAt.Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: create api token: %w", err)
	}
	return id, nil
}

const apiTokenColumns = `id, user_id, name, created_at, last_used_at, revoked_at`

func scanAPIToken(row scanner) (account.APIToken, error) {
	var t account.APIToken
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, account.ErrNotFound
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = time.Unix(created, 0).UTC(), fromUnix(used), fromUnix(revoked)
	return t, err
}

// APITokens lists a user's tokens, newest first.
func (a AccountStore) APITokens(ctx context.Context, userID int64) ([]account.APIToken, error) {
	rows, err := a.s.query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: api tokens: %w", err)
	}
	return scanAll(rows, scanAPIToken)
}

// APITokenByHash finds a token by its hash.
func (a AccountStore) APITokenByHash(ctx context.Context, hash []byte) (account.APIToken, error) {
	return scanAPIToken(a.s.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash))
}

// RevokeAPIToken revokes one of the user's live tokens.
func (a AccountStore) RevokeAPIToken(ctx context.Context, userID, id int64, at time.Time) (bool, error) {
	res, err := a.s.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`,
		at.Unix(), id, userID)
	if err != nil {
		return false, fmt.Errorf("db: revoke api token: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TouchAPIToken records a token's use.
func (a AccountStore) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	_, err := a.s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.Unix(), id)
	return err
}

// CreatePortalToken stores a one-time portal link's hash.
func (a AccountStore) CreatePortalToken(ctx context.Context, hash []byte, l account.PortalLink, at time.Time) error {
	_, err := a.s.exec(ctx, `INSERT INTO portal_tokens (token_hash, user_id, return_url, embed, accent, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hash, l.UserID, l.ReturnURL, boolInt(l.Embed), l.Accent, at.Unix(), l.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("db: create portal token: %w", err)
	}
	return nil
}

// UsePortalToken spends a link: only an unused, unexpired one matches.
func (a AccountStore) UsePortalToken(ctx context.Context, hash []byte, now time.Time) (account.PortalLink, error) {
	var l account.PortalLink
	var expires int64
	err := a.s.writeRow(ctx, `UPDATE portal_tokens SET used_at = ?1
		WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
		RETURNING user_id, return_url, embed, accent, expires_at`, now.Unix(), hash).
		Scan(&l.UserID, &l.ReturnURL, &l.Embed, &l.Accent, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, account.ErrNotFound
	}
	l.ExpiresAt = time.Unix(expires, 0).UTC()
	return l, err
}
