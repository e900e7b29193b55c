// Package store keeps what calmline learns from its calls: calls, turns, emotion
// readings, dialog actions, outcomes, human feedback labels and the audit log.
// SQLite (pure Go, one file in the data dir) serves one machine; Postgres serves
// several calmline servers sharing one history. Both get the same migrations.
//
// Transcripts are PII-redacted before they are written (package store/redact) and
// free-text columns are encrypted with AES-GCM when a key is configured, because
// a complaint line's history is kept for months and read by many people.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Config says where the store lives. The zero value is not usable: SQLite needs a
// Path, Postgres a DSN.
type Config struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string
	// Path is the SQLite database file (created if missing).
	Path string
	// DSN is the Postgres connection string (URL or key=value form).
	DSN string
	// Key turns on AES-GCM encryption of free-text columns: 16, 24 or 32 bytes
	// (AES-128/192/256). Empty stores text in the clear (still PII-redacted).
	// ParseKey reads it from the CALMLINE_STORE_KEY format.
	Key []byte
	// Sync is SQLite's durability: "normal" (default) survives a crash or kill -9
	// of calmline; "full" also survives a power cut or kernel crash at the cost of
	// an fsync per commit. Ignored for Postgres.
	Sync string
	// KeepSchema opens the store for a tool that runs beside the servers
	// (calmline emotion refit): it never migrates, since a newer tool would change
	// the schema under servers of the version before, and an SQLite file that does
	// not exist is an error rather than a new empty store. A schema of another
	// version than this build's is refused (ErrSchemaTooOld, ErrSchemaTooNew).
	KeepSchema bool
}

// Driver names accepted in Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DB is an open store. Its methods are safe for concurrent use by many calls.
type DB struct {
	driver string
	// w takes every write. On SQLite it has exactly one connection, so writers
	// queue in Go instead of failing with "database is locked"; on Postgres w and
	// r are the same pool.
	w, r   *sql.DB
	crypt  *crypter
	closed atomic.Bool
	once   sync.Once
	cerr   error
}

// Open opens (creating if needed) the store and brings its schema up to date.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	crypt, err := newCrypter(cfg.Key)
	if err != nil {
		return nil, err
	}
	db := &DB{crypt: crypt}
	switch cfg.Driver {
	case "", DriverSQLite:
		db.driver = DriverSQLite
		if cfg.Path == "" {
			return nil, fmt.Errorf("%w: sqlite needs a path", ErrConfig)
		}
		if cfg.KeepSchema {
			if _, err := os.Stat(cfg.Path); err != nil {
				return nil, fmt.Errorf("store: no store at %s: %w", cfg.Path, err)
			}
		}
		sync := strings.ToLower(cfg.Sync)
		switch sync {
		case "":
			sync = "normal"
		case "normal", "full":
		default:
			return nil, fmt.Errorf("%w: sync %q (want normal or full)", ErrConfig, cfg.Sync)
		}
		if db.w, err = sql.Open("sqlite", sqliteDSN(cfg.Path, sync, false)); err != nil {
			return nil, fmt.Errorf("store: open sqlite %s: %w", cfg.Path, err)
		}
		db.w.SetMaxOpenConns(1)
		db.w.SetMaxIdleConns(1)
		db.w.SetConnMaxLifetime(0)
		db.w.SetConnMaxIdleTime(0)
		if db.r, err = sql.Open("sqlite", sqliteDSN(cfg.Path, sync, true)); err != nil {
			db.w.Close()
			return nil, fmt.Errorf("store: open sqlite %s: %w", cfg.Path, err)
		}
		db.r.SetMaxOpenConns(4)
		db.r.SetMaxIdleConns(4)
	case DriverPostgres:
		db.driver = DriverPostgres
		if cfg.DSN == "" {
			return nil, fmt.Errorf("%w: postgres needs a DSN", ErrConfig)
		}
		if db.w, err = sql.Open("pgx", cfg.DSN); err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		// Enough for many concurrent calls without eating a shared server's
		// max_connections (100 by default) when several calmlines share it.
		db.w.SetMaxOpenConns(16)
		db.w.SetMaxIdleConns(16)
		db.r = db.w
	default:
		return nil, fmt.Errorf("%w: driver %q (want sqlite or postgres)", ErrConfig, cfg.Driver)
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.closeAll()
		return nil, fmt.Errorf("store: connect %s: %w", db.driver, err)
	}
	if db.driver == DriverSQLite {
		if err := setWAL(ctx, db.w); err != nil {
			db.closeAll()
			return nil, err
		}
	}
	check := db.migrate
	if cfg.KeepSchema {
		check = db.sameSchema
	}
	if err := check(ctx); err != nil {
		db.closeAll()
		return nil, err
	}
	return db, nil
}

// sqliteDSN builds the modernc.org/sqlite DSN. busy_timeout covers another process
// (calmline emotion refit) holding the write lock; foreign keys keep turns from
// outliving calls. WAL is not set here but once by Open (setWAL): it is a property
// of the file, not of a connection.
// Writers use BEGIN IMMEDIATE so a transaction never fails upgrading a read lock.
func sqliteDSN(path, sync string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Driver reports the backend in use ("sqlite" or "postgres").
func (db *DB) Driver() string { return db.driver }

// Close flushes the store (on SQLite the WAL is checkpointed into the main file)
// and releases it. It is idempotent: later calls return the first result.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.closed.Store(true)
		if db.driver == DriverSQLite && db.w != nil {
			if _, err := db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				db.cerr = fmt.Errorf("store: checkpoint: %w", err)
			}
		}
		if err := db.closeAll(); err != nil && db.cerr == nil {
			db.cerr = err
		}
	})
	return db.cerr
}

func (db *DB) closeAll() error {
	var first error
	if db.r != nil && db.r != db.w {
		if err := db.r.Close(); err != nil {
			first = fmt.Errorf("store: close: %w", err)
		}
	}
	if db.w != nil {
		if err := db.w.Close(); err != nil && first == nil {
			first = fmt.Errorf("store: close: %w", err)
		}
	}
	return first
}

// q adapts a query written with ? placeholders to the driver ($1, $2 on Postgres).
func (db *DB) q(query string) string {
	if db.driver != DriverPostgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
		case c == '?' && !inStr:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (db *DB) check() error {
	if db.closed.Load() {
		return ErrClosed
	}
	return nil
}

// setWAL switches the SQLite file to write-ahead logging, which lets readers (the
// dashboard) run while a call writes. The switch needs the file's write lock and
// SQLite answers SQLITE_BUSY at once, without its busy handler, when another
// connection or process holds it (two calmline commands starting together), so
// the switch is retried for as long as busy_timeout would have waited.
func setWAL(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		var mode string
		err := w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("store: set sqlite journal mode: got %q, want wal", mode)
			}
			return nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return fmt.Errorf("store: set sqlite journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: set sqlite journal mode: %w", ctx.Err())
		case <-time.After(delay):
		}
	}
}
