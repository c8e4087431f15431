package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ClaimWork claims item for owner until until, unless another owner holds
// a claim that has not lapsed by now; it reports whether owner holds it.
// It runs outside any transaction: the insert-or-take-over is one
// statement, atomic on both engines.
func (s *Store) ClaimWork(ctx context.Context, item, owner string, now, until time.Time) (bool, error) {
	var holder string
	err := s.writeRow(ctx, `INSERT INTO work_claims (item, owner, expires_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (item) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE work_claims.expires_at <= ?4 OR work_claims.owner = excluded.owner
		RETURNING owner`, item, owner, until.Unix(), now.Unix()).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: claim %s: %w", item, err)
	}
	return holder == owner, nil
}

// ReleaseWork gives back owner's claim on item.
func (s *Store) ReleaseWork(ctx context.Context, item, owner string) error {
	_, err := s.exec(ctx, `DELETE FROM work_claims WHERE item = ? AND owner = ?`, item, owner)
	return err
}

// TestClockOffset returns how far the test clock runs ahead of the wall clock.
func (s *Store) TestClockOffset(ctx context.Context) (time.Duration, error) {
	var ns int64
	const query = `SELECT offset_ns FROM test_clock WHERE id = 1`
	var err error
	if s.clockDB != nil {
		err = s.clockDB.QueryRowContext(ctx, query).Scan(&ns)
	} else {
		err = s.queryRow(ctx, query).Scan(&ns)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return time.Duration(ns), err
}

// AdvanceTestClock moves the test clock's offset forward by d in one
// statement, so advances from several processes add up.
func (s *Store) AdvanceTestClock(ctx context.Context, d time.Duration) (time.Duration, error) {
	var ns int64
	err := s.writeRow(ctx, `INSERT INTO test_clock (id, offset_ns) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET offset_ns = test_clock.offset_ns + excluded.offset_ns
		RETURNING offset_ns`, int64(d)).Scan(&ns)
	if err != nil {
		return 0, fmt.Errorf("db: advance test clock: %w", err)
	}
	return time.Duration(ns), nil
}

// ThrottleStore keeps the sign-in throttle's counts (account.ThrottleStore).
type ThrottleStore struct{ s *Store }

// Throttle returns the sign-in throttle's store.
func (s *Store) Throttle() ThrottleStore { return ThrottleStore{s: s} }

// AddFailure records a failed sign-in under each key.
func (t ThrottleStore) AddFailure(ctx context.Context, keys []string, at time.Time) error {
	return t.s.inTx(ctx, func(q queries) error {
		for _, k := range keys {
			if _, err := q.exec(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, k, at.Unix()); err != nil {
				return fmt.Errorf("db: login failure: %w", err)
			}
		}
		return nil
	})
}

// NthFailure returns the time of key's n-th newest failure after since.
func (t ThrottleStore) NthFailure(ctx context.Context, key string, since time.Time, n int) (time.Time, bool, error) {
	if n <= 0 {
		return time.Time{}, false, nil
	}
	var at int64
	err := t.s.queryRow(ctx, `SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`,
		key, since.Unix(), n-1).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("db: login failures: %w", err)
	}
	return time.Unix(at, 0).UTC(), true, nil
}

// ClearFailures forgets key's failures.
func (t ThrottleStore) ClearFailures(ctx context.Context, key string) error {
	_, err := t.s.exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	return err
}

// RememberAddress records a successful sign-in of email from ip.
func (t ThrottleStore) RememberAddress(ctx context.Context, email, ip string, at time.Time) error {
	_, err := t.s.exec(ctx, `INSERT INTO login_addresses (email, ip, at) VALUES (?, ?, ?)
		ON CONFLICT (email, ip) DO UPDATE SET at = excluded.at`, email, ip, at.Unix())
	return err
}

// AddressSeen returns when email last signed in from ip.
func (t ThrottleStore) AddressSeen(ctx context.Context, email, ip string) (time.Time, bool, error) {
	var at int64
	err := t.s.queryRow(ctx, `SELECT at FROM login_addresses WHERE email = ? AND ip = ?`, email, ip).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return time.Unix(at, 0).UTC(), true, nil
}

// Sweep drops, among keys and emails that start with prefix, old
// failures and addresses not used for a long time.
func (t ThrottleStore) Sweep(ctx context.Context, prefix string, failuresBefore, knownBefore time.Time) error {
	return t.s.inTx(ctx, func(q queries) error {
		if _, err := q.exec(ctx, `DELETE FROM login_failures WHERE substr(key, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT) AND at <= ?2`,
			prefix, failuresBefore.Unix()); err != nil {
			return err
		}
		_, err := q.exec(ctx, `DELETE FROM login_addresses WHERE substr(email, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT) AND at < ?2`,
			prefix, knownBefore.Unix())
		return err
	})
}
