// Package db is the SQLite store: it opens the database with the pragmas the
// portal relies on, applies embedded migrations, and implements the store
// interfaces of billing, account and the sandbox provider in plain SQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/migrations"
)

// Store is the portal's database.
type Store struct {
	queries
	db *sql.DB
}

// stmtCache keeps one prepared statement per query text. The modernc driver
// parses SQL on every unprepared call, and parsing was most of the cost of a
// page's reads; database/sql re-prepares a cached statement on each pooled
// connection (and in each transaction) by itself.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query text → *sql.Stmt
	// plans caches the catalogue, read on every page and changed only by
	// SeedCatalogue and SetPlanActive, which clear it.
	plans atomic.Pointer[[]billing.Plan]
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.m.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.m.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// Open opens (creating if needed) the SQLite file at path and migrates it.
// WAL lets pages read while a change commits; IMMEDIATE transactions take
// the write lock up front so two writers never deadlock upgrading a read lock.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	if err := migrate(ctx, sqlDB); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return &Store{queries: queries{q: sqlDB, cache: &stmtCache{db: sqlDB}}, db: sqlDB}, nil
}

func migrate(ctx context.Context, sqlDB *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, sqlDB, migrations.FS)
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// Close closes the statements and the database.
func (s *Store) Close() error {
	s.cache.m.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// Ping checks the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// inTx runs fn in one IMMEDIATE transaction.
func (s *Store) inTx(ctx context.Context, fn func(queries) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(queries{q: tx, cache: s.cache, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds every SQL statement; it runs on the database or inside a
// transaction alike, through prepared statements.
type queries struct {
	q     querier
	cache *stmtCache
	tx    *sql.Tx // set inside a transaction
}

func (q queries) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s, err := q.cache.get(ctx, query)
	if err != nil || q.tx == nil {
		return s, err
	}
	return q.tx.StmtContext(ctx, s), nil
}

func (q queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return q.q.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return s.QueryRowContext(ctx, args...)
}

func (q queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (q queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// Setting reads a setting; ok is false when it is not set.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

// SettingOrInit returns the stored value for key, storing init() first if
// none is stored; used for secrets generated once and kept.
func (s *Store) SettingOrInit(ctx context.Context, key string, init func() string) (string, error) {
	if _, err := s.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, init()); err != nil {
		return "", fmt.Errorf("db: setting %s: %w", key, err)
	}
	v, _, err := s.Setting(ctx, key)
	return v, err
}

// unix stores a time as unix seconds; the zero time is NULL.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// fromUnix reads a nullable unix-seconds column.
func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
