package store

import "errors"

// ErrNotFound is returned when a call (or the call a turn, reading or action
// refers to) does not exist, so callers can answer 404 rather than 500.
var ErrNotFound = errors.New("store: not found")

// ErrDuplicate is returned when a call, turn or action with the same key was
// already recorded; a retried write after a timeout can then be told apart from a
// real failure.
var ErrDuplicate = errors.New("store: already recorded")

// ErrClosed is returned by every method after Close, so a late writer during
// shutdown fails loudly instead of writing to a closed pool.
var ErrClosed = errors.New("store: closed")

// ErrConfig is returned by Open for a configuration it cannot use (unknown
// driver, missing path or DSN, bad key length, unknown sync mode).
var ErrConfig = errors.New("store: bad config")

// ErrNoKey is returned when an encrypted value is read but no key is configured;
// the data is intact, the operator has to supply CALMLINE_STORE_KEY.
var ErrNoKey = errors.New("store: value is encrypted but no key is configured")

// ErrDecrypt is returned when an encrypted value does not open with the
// configured key: the wrong key, or a tampered row.
var ErrDecrypt = errors.New("store: cannot decrypt value (wrong key or tampered data)")

// ErrSchemaTooNew is returned by Open when the database was migrated by a newer
// calmline than this one; writing to it could corrupt what that version expects.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this calmline")

// ErrSchemaTooOld is returned by Open with KeepSchema when the database was last
// migrated by an older calmline: a tool must not migrate it under running servers.
var ErrSchemaTooOld = errors.New("store: database schema is older than this calmline")
