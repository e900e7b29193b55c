package staff

import "errors"

// Errors a sign-in can meet; the HTTP layer maps them to status codes.
var (
	ErrBadCredentials = errors.New("staff: wrong name or password")
	ErrNoSession      = errors.New("staff: not signed in or session expired")
	ErrTooManyTries   = errors.New("staff: too many failed sign-ins; wait a minute")
)
