// Package db is the store, on SQLite (the embedded default) or PostgreSQL:
// it opens the database with the settings the portal relies on, applies
// embedded migrations, and implements the store interfaces of billing,
// account and the sandbox provider in plain SQL, one text for both engines.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/db/migrations"
)

// Store is the portal's database. On SQLite: a pool of readers and a
// single writer. SQLite allows one writer at a time; queueing writers on one
// connection in Go is far cheaper than letting them wait on SQLite's busy
// timeout, and WAL lets readers go on meanwhile. On PostgreSQL: one pool
// for both, and write transactions at SERIALIZABLE, retried when a
// concurrent one wins, so several processes may share the database.
type Store struct {
	queries
	engine Engine
	db     *sql.DB // readers
	wdb    *sql.DB // the writer (the same pool on PostgreSQL)
	// clockDB, on PostgreSQL, is one connection of its own for reading
	// the test clock, which billing does inside transactions: from the
	// shared pool, those reads could wait for connections that only
	// transactions waiting on them would give back.
	clockDB *sql.DB
	probe   writeProbe
}

// stmtCache keeps one prepared statement per query text. The modernc driver
// parses SQL on every unprepared call, and parsing was most of the cost of a
// page's reads; database/sql re-prepares a cached statement on each pooled
// connection (and in each transaction) by itself.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query text → *sql.Stmt
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

// Open opens the database target names and migrates it: a PostgreSQL
// server for a postgres:// URL, otherwise the SQLite file at that path.
func Open(ctx context.Context, target string) (*Store, error) {
	if IsPostgresURL(target) {
		return openPostgresStore(ctx, target)
	}
	return openSQLite(ctx, target)
}

// openSQLite opens (creating if needed) the SQLite file at path and
// migrates it. WAL lets pages read while a change commits; IMMEDIATE
// transactions take the write lock up front so two writers never deadlock
// upgrading a read lock.
func openSQLite(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	wdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	if err := migrate(ctx, wdb, SQLite); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	// Keep every reader open: a closed connection must be opened, set up and
	// have its statements prepared again, which costs more than the query.
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)
	return newStore(SQLite, rdb, wdb), nil
}

func newStore(engine Engine, rdb, wdb *sql.DB) *Store {
	qs := queries{q: rdb, read: &stmtCache{db: rdb}, write: &stmtCache{db: wdb}, plans: new(atomic.Pointer[[]billing.Plan])}
	return &Store{queries: qs, engine: engine, db: rdb, wdb: wdb}
}

// postgresConns bounds one process's connections; a few per core keeps
// PostgreSQL busy without queueing on its side.
const postgresConns = 16

// openPostgresStore connects to the PostgreSQL database at url and
// migrates it; processes starting together take turns (goose's advisory
// lock), so each migration runs once.
func openPostgresStore(ctx context.Context, url string) (*Store, error) {
	pool, err := openPostgres(url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(postgresConns)
	pool.SetMaxIdleConns(postgresConns)
	if err := migrate(ctx, pool, Postgres); err != nil {
		pool.Close()
		return nil, err
	}
	clockDB, err := openPostgres(url)
	if err != nil {
		pool.Close()
		return nil, err
	}
	clockDB.SetMaxOpenConns(1)
	s := newStore(Postgres, pool, pool)
	s.clockDB = clockDB
	return s, nil
}

// Migrate applies one engine's migrations from fsys on sqlDB, keeping
// their versions in table. Out of order: migrations developed side by side
// may land in any order. On PostgreSQL an advisory lock lets one process
// migrate while others wait.
func Migrate(ctx context.Context, sqlDB *sql.DB, engine Engine, fsys fs.FS, table string) error {
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true), goose.WithTableName(table), goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if engine == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(table)))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// lockID names a migration table's advisory lock.
func lockID(table string) int64 {
	var h int64 = 5381
	for _, c := range table {
		h = h*33 + int64(c)
	}
	return h
}

func migrate(ctx context.Context, sqlDB *sql.DB, engine Engine) error {
	fsys := fs.FS(migrations.FS)
	if engine == Postgres {
		sub, err := fs.Sub(migrations.FS, "postgres")
		if err != nil {
			return err
		}
		fsys = sub
	}
	if err := Migrate(ctx, sqlDB, engine, fsys, goose.DefaultTablename); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// Engine says which database the store runs on.
func (s *Store) Engine() Engine { return s.engine }

// Close closes the statements and both pools.
func (s *Store) Close() error {
	for _, c := range []*stmtCache{s.read, s.write} {
		c.m.Range(func(_, v any) bool {
			v.(*sql.Stmt).Close()
			return true
		})
	}
	if s.clockDB != nil {
		s.clockDB.Close()
	}
	if s.wdb == s.db {
		return s.db.Close()
	}
	return errors.Join(s.db.Close(), s.wdb.Close())
}

// Writer is the single writer connection (on PostgreSQL, the pool), for
// parts that keep their own tables in the portal's database (the sandbox
// provider). It takes the store's SQLite-style placeholders on both engines.
func (s *Store) Writer() *sql.DB { return s.wdb }

// Ping checks the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// maxTxAttempts bounds how often a PostgreSQL transaction is run again
// after losing to a concurrent one.
const maxTxAttempts = 12

// writeLockKey names the PostgreSQL advisory lock a transaction takes
// before it runs again after losing to a concurrent one.
const writeLockKey int64 = 0x706f7274616c // "portal"

// inTx runs fn in one transaction: on SQLite an IMMEDIATE one on the
// single writer, which makes read-then-write safe; on PostgreSQL a
// SERIALIZABLE one, which gives the same guarantee across processes by
// failing one of two conflicting transactions. A transaction that failed
// so runs again from the start, holding a lock that every such retry (in
// every process) takes, as SQLite's writer does: contenders for one row,
// the invoice counter say, then commit one after another instead of
// failing each other again. So fn must only read and write through q (and
// set the caller's results), never act outside the database.
func (s *Store) inTx(ctx context.Context, fn func(queries) error) error {
	if s.engine != Postgres {
		return s.runTx(ctx, s.wdb, nil, fn)
	}
	opts := &sql.TxOptions{Isolation: sql.LevelSerializable}
	for attempt := 1; ; attempt++ {
		var err error
		if attempt == 1 {
			err = s.runTx(ctx, s.wdb, opts, fn)
		} else {
			err = s.runLocked(ctx, opts, fn)
		}
		if err == nil || !isRetryable(err) || attempt == maxTxAttempts {
			return err
		}
		if attempt > 1 { // lost even in turn (to a first attempt): a short random pause, growing
			pause := time.Duration(rand.Int64N(int64(time.Millisecond)<<min(attempt, 6))) + time.Millisecond
			select {
			case <-ctx.Done():
				return err
			case <-time.After(pause):
			}
		}
	}
}

// runLocked runs the transaction on a connection holding the retry lock.
// The lock is a session lock taken before BEGIN: taken inside the
// transaction, its snapshot would predate the wait.
func (s *Store) runLocked(ctx context.Context, opts *sql.TxOptions, fn func(queries) error) error {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, writeLockKey); err != nil {
		return fmt.Errorf("db: write lock: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, writeLockKey); err != nil {
			// Drop the connection, and the lock with it, rather than
			// pool a connection that still holds it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return s.runTx(ctx, conn, opts, fn)
}

// beginner is what *sql.DB and *sql.Conn share.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func (s *Store) runTx(ctx context.Context, on beginner, opts *sql.TxOptions, fn func(queries) error) error {
	tx, err := on.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	q := s.queries
	q.q, q.tx, q.unprepared = tx, tx, new([]string)
	// On SQLite, statements first seen inside a transaction are prepared
	// on the writer once the transaction has let go of its only
	// connection. (pgx keeps its own per-connection statement cache, and a
	// retried PostgreSQL transaction must not wait for a pooled connection
	// while it holds the retry lock.)
	if s.engine == SQLite {
		defer func() {
			for _, query := range *q.unprepared {
				_, _ = s.write.get(ctx, query)
			}
		}()
	}
	if err := fn(q); err != nil {
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
// transaction alike, through prepared statements: reads on the reader pool,
// writes and everything in a transaction on the writer.
type queries struct {
	q     querier
	read  *stmtCache
	write *stmtCache
	tx    *sql.Tx // set inside a transaction
	// unprepared collects, inside a transaction, statements not yet in the
	// writer's cache: preparing them on the writer would wait for the
	// connection the transaction holds.
	unprepared *[]string
	// plans caches the catalogue, read on every page and changed only by
	// SeedCatalogue and SetPlanActive, which clear it.
	plans *atomic.Pointer[[]billing.Plan]
}

func (q queries) stmt(ctx context.Context, query string, write bool) (*sql.Stmt, error) {
	if q.tx == nil && !write {
		return q.read.get(ctx, query)
	}
	if q.tx == nil {
		return q.write.get(ctx, query)
	}
	if s, ok := q.write.m.Load(query); ok {
		return q.tx.StmtContext(ctx, s.(*sql.Stmt)), nil
	}
	*q.unprepared = append(*q.unprepared, query)
	return q.tx.PrepareContext(ctx, query)
}

func (q queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := q.stmt(ctx, query, false)
	if err != nil {
		return q.q.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return s.QueryRowContext(ctx, args...)
}

// writeRow runs a statement that writes and returns a row (RETURNING).
func (q queries) writeRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := q.stmt(ctx, query, true)
	if err != nil {
		return q.q.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return s.QueryRowContext(ctx, args...)
}

func (q queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := q.stmt(ctx, query, false)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (q queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := q.stmt(ctx, query, true)
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

// scanAll reads every row with scan and closes the rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MigrateFS applies migrations that another part keeps for its own tables
// (the sandbox provider's), on this store's engine, with their versions in
// table.
func (s *Store) MigrateFS(ctx context.Context, fsys fs.FS, table string) error {
	return Migrate(ctx, s.wdb, s.engine, fsys, table)
}

// ErrBackupEngine says Backup works on SQLite only: PostgreSQL has its own
// tools for a consistent copy (pg_dump).
var ErrBackupEngine = errors.New("db: backup copies a SQLite database; for PostgreSQL use pg_dump")

// Backup writes a consistent copy of the SQLite database to path while the
// portal keeps running: VACUUM INTO reads one snapshot (WAL lets writers
// go on meanwhile) and writes a compact, complete database file. path must
// not exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.engine != SQLite {
		return ErrBackupEngine
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("db: backup to %s: %w", path, err)
	}
	return nil
}
