-- +goose Up
-- What lived in one process's memory moves into the database, so several
-- portal processes on one database (PostgreSQL) share it and a restart
-- keeps it: the sign-in throttle's counts, the worker's claims on due
-- items, and the test clock's offset.
CREATE TABLE login_failures (
    key TEXT    NOT NULL, -- "e:<email>" or "a:<address>"
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
CREATE INDEX login_failures_by_at ON login_failures (at);

CREATE TABLE login_addresses (
    email TEXT    NOT NULL,
    ip    TEXT    NOT NULL,
    at    INTEGER NOT NULL, -- the last successful sign-in from there
    PRIMARY KEY (email, ip)
);

-- A worker process claims a due item until expires_at (wall-clock unix
-- seconds); a claim left by a process that died lapses then.
CREATE TABLE work_claims (
    item       TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE test_clock (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ns INTEGER NOT NULL -- nanoseconds billing time runs ahead of the wall clock
);

-- Emails are compared as lower(email) on both engines.
CREATE INDEX users_by_lower_email ON users (lower(email));

-- +goose Down
DROP INDEX users_by_lower_email;
DROP TABLE test_clock;
DROP TABLE work_claims;
DROP TABLE login_addresses;
DROP TABLE login_failures;
