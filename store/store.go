// Package store is perfgate's embedded database: one SQLite file,
// perfgate.db, in a data directory. It holds the profiles that perfgate
// watch receives from services in staging, and the history of runs that
// perfgate history reports on (history.go).
//
// The file is opened through modernc.org/sqlite (pure Go, no cgo) in WAL
// mode: readers never wait for the writer, and a transaction that has
// committed survives the process being killed. One connection writes;
// several read.
//
// The schema carries its version in the meta table. Migrations are a
// numbered list, each applied in a transaction with the version it
// reaches; a file whose version is newer than this build's is refused
// (ErrNewerSchema) rather than guessed at.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the name of the database file in a store's directory.
const FileName = "perfgate.db"

// busyTimeout is how long a statement waits for another process's lock
// on the file (another perfgate reading or writing the same store)
// before it fails.
const busyTimeout = 10 * time.Second

// maxReaders bounds the connections that read at once.
const maxReaders = 4

// ErrNewerSchema is the error of Open for a file whose schema is newer
// than this build knows: a newer perfgate wrote it. Nothing is changed in
// the file.
var ErrNewerSchema = errors.New("store: schema newer than this perfgate")

// ErrNotDatabase is the error of Open for a perfgate.db that is not a
// SQLite database, or a damaged one.
var ErrNotDatabase = errors.New("store: not a SQLite database")

// Store is an open perfgate.db. Its methods are safe for concurrent use.
type Store struct {
	path string
	// w is the one connection that writes: transactions queue for it in
	// the process instead of failing with "database is locked", and each
	// begins IMMEDIATE, taking the file's write lock first, so that a
	// transaction never has to upgrade a read lock another writer holds.
	w *sql.DB
	// r reads, with query_only on, concurrently with the writer (WAL).
	r *sql.DB
}

// Open opens the store in dir, creating dir and an empty store when they
// do not exist, and brings the schema up to this build's version. The
// errors are one line; ErrNewerSchema and ErrNotDatabase are told apart
// with errors.Is.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// synchronous=NORMAL in WAL mode: a commit is in the WAL file, written
	// to the operating system, when it returns; a killed process (even
	// SIGKILL) loses nothing committed. Only a power loss or an operating
	// system crash may lose the last commits, never the file's
	// consistency.
	w, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {strconv.FormatInt(busyTimeout.Milliseconds(), 10)},
		"_synchronous":  {"NORMAL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{path: path, w: w}
	if err := s.useWAL(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	s.r, err = sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {strconv.FormatInt(busyTimeout.Milliseconds(), 10)},
		"_foreign_keys": {"1"},
		"_query_only":   {"1"},
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(maxReaders)
	return s, nil
}

// dsn is the modernc.org/sqlite data source name of the file at path
// with the connection parameters q.
func dsn(path string, q url.Values) string {
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), OmitHost: true, RawQuery: q.Encode()}
	return u.String()
}

// Close closes the store. Everything committed is in the file.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: closing %s: %w", s.path, err)
	}
	return nil
}

// useWAL puts the file in WAL mode, which it keeps. On a new file,
// SQLite answers SQLITE_BUSY at once, without waiting for busy_timeout,
// while another connection does the same: so it is tried again, until
// busyTimeout.
func (s *Store) useWAL(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		var mode string
		err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		var se *sqlite.Error
		switch {
		case errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY && time.Now().Before(deadline):
			select {
			case <-ctx.Done():
				return s.openError(ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
			continue
		case err != nil:
			return s.openError(err)
		case !strings.EqualFold(mode, "wal"):
			return fmt.Errorf("store: %s cannot be in WAL mode (its file system may not allow it): journal mode %s", s.path, mode)
		}
		return nil
	}
}

// migrations take the schema from one version to the next:
// migrations[i] from version i to i+1. A migration is only ever appended,
// never edited once released. Retention (Prune) only ever touches the
// profile tables of version 1; the history of version 2 is kept.
var migrations = []string{
	// 1: the profiles perfgate watch receives.
	`
CREATE TABLE profile_series (
	id      INTEGER PRIMARY KEY,
	service TEXT NOT NULL,
	-- the labels, sorted by name, as JSON [["name","value"],...]: the
	-- series' identity
	labels  TEXT NOT NULL,
	UNIQUE (service, labels)
);
CREATE TABLE profile_series_labels (
	series_id INTEGER NOT NULL REFERENCES profile_series (id) ON DELETE CASCADE,
	name      TEXT NOT NULL,
	value     TEXT NOT NULL,
	PRIMARY KEY (series_id, name)
) WITHOUT ROWID;
CREATE INDEX profile_series_labels_by_value ON profile_series_labels (name, value, series_id);
CREATE TABLE profiles (
	id          INTEGER PRIMARY KEY,
	series_id   INTEGER NOT NULL REFERENCES profile_series (id),
	-- Unix nanoseconds: the window the profile covers, its midpoint (the
	-- instant windows select it by) and when it was received
	from_ns     INTEGER NOT NULL,
	until_ns    INTEGER NOT NULL,
	mid_ns      INTEGER NOT NULL,
	received_ns INTEGER NOT NULL,
	-- length of its data
	bytes       INTEGER NOT NULL,
	CHECK (from_ns <= mid_ns AND mid_ns <= until_ns)
);
CREATE INDEX profiles_by_series_time ON profiles (series_id, mid_ns);
CREATE INDEX profiles_by_age ON profiles (until_ns, id);
-- the pprof as pushed, gzipped; apart, so that scans of profiles do not
-- read it
CREATE TABLE profile_data (
	profile_id INTEGER PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
	data       BLOB NOT NULL
);
-- one row per sample type of a profile: what makes each queryable
CREATE TABLE profile_types (
	profile_id  INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	type        TEXT NOT NULL,
	position    INTEGER NOT NULL,
	unit        TEXT NOT NULL,
	aggregation TEXT NOT NULL CHECK (aggregation IN ('sum', 'average')),
	total       INTEGER NOT NULL,
	PRIMARY KEY (profile_id, type)
) WITHOUT ROWID;
CREATE INDEX profile_types_by_type ON profile_types (type, profile_id);
`,
	// 2: the history of runs (history.go).
	`
CREATE TABLE machines (
	id          INTEGER PRIMARY KEY,
	-- what tells machines apart for a series (Machine.Fingerprint)
	fingerprint TEXT NOT NULL UNIQUE,
	cpu         TEXT NOT NULL,
	cores       INTEGER NOT NULL,
	go          TEXT NOT NULL,
	kernel      TEXT NOT NULL,
	os          TEXT NOT NULL,
	arch        TEXT NOT NULL
);
CREATE TABLE commits (
	hash    TEXT PRIMARY KEY,
	parent  TEXT NOT NULL,
	-- Unix nanoseconds of the commit time, 0 when unknown
	time_ns INTEGER NOT NULL,
	subject TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL CHECK (kind IN ('bench', 'run', 'watch', 'import')),
	-- what the run was recorded from: a run directory's run, an imported
	-- file's content; no two runs share it
	source      TEXT NOT NULL UNIQUE,
	recorded_ns INTEGER NOT NULL,
	branch      TEXT NOT NULL,
	machine_id  INTEGER NOT NULL REFERENCES machines (id),
	base_commit TEXT NOT NULL,
	head_commit TEXT NOT NULL,
	-- the directory of its files (profiles), relative to the store's
	-- directory; '' when none were kept
	dir         TEXT NOT NULL,
	-- verdict.json and run.json, as written; '' when none
	verdict     TEXT NOT NULL,
	info        TEXT NOT NULL
);
CREATE TABLE results (
	run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	commit_hash TEXT NOT NULL REFERENCES commits (hash),
	-- "base" or "head" of a run; "" for an import
	side      TEXT NOT NULL,
	-- a side's configuration other than its commit (build tags, env):
	-- results of one commit built two ways are two series
	variant   TEXT NOT NULL,
	package   TEXT NOT NULL,
	benchmark TEXT NOT NULL,
	unit      TEXT NOT NULL,
	-- the samples, JSON [v,...], and the mean iterations of each
	samples   TEXT NOT NULL,
	iters     REAL NOT NULL,
	PRIMARY KEY (run_id, commit_hash, side, variant, package, benchmark, unit)
) WITHOUT ROWID;
CREATE INDEX results_by_series ON results (package, benchmark, unit, variant);
CREATE INDEX results_by_commit ON results (commit_hash);
`,
}

// SchemaVersion is the schema version this build writes and knows.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to SchemaVersion in one transaction,
// which holds the write lock from its start: two processes opening a new
// store at once apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.openError(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return s.openError(err)
	}
	version := 0
	var text string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&text); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return s.openError(err)
	default:
		if version, err = strconv.Atoi(text); err != nil || version < 0 {
			return fmt.Errorf("store: %s has a bad schema_version %q", s.path, text)
		}
	}
	if version > len(migrations) {
		return newerSchemaError{found: version}
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("store: migrating %s to schema version %d: %w", s.path, v+1, err)
		}
	}
	if version == len(migrations) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(migrations))); err != nil {
		return fmt.Errorf("store: migrating %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrating %s: %w", s.path, err)
	}
	return nil
}

// openError describes a failure of the first statements on the file.
func (s *Store) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("%w: %s (%v)", ErrNotDatabase, s.path, err)
		}
	}
	return fmt.Errorf("store: opening %s: %w", s.path, err)
}

// newerSchemaError is ErrNewerSchema with the versions.
type newerSchemaError struct{ found int }

func (e newerSchemaError) Error() string {
	return fmt.Sprintf("store: %s has schema version %d, this perfgate knows up to %d: upgrade perfgate", FileName, e.found, len(migrations))
}

func (e newerSchemaError) Is(target error) bool { return target == ErrNewerSchema }
