package dialog

import (
	"errors"
	"fmt"
)

// ErrInvalidFlow wraps every flow validation failure, so callers can tell a bad
// operator file from an I/O problem.
var ErrInvalidFlow = errors.New("invalid flow")

// ErrNoFlow is returned when Load finds no flow file in the paths it was given.
var ErrNoFlow = errors.New("no flow found")

// ErrProfile wraps failures to look up a caller's profile; the call goes on without one.
var ErrProfile = errors.New("customer profile lookup failed")

// Error is one mistake in an operator's file, positioned so an editor can jump to it
// and phrased so the operator knows what to change.
type Error struct {
	File string
	Line int
	Msg  string // what is wrong
	Fix  string // how to fix it
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Unwrap lets errors.Is(err, ErrInvalidFlow) identify validation errors.
func (e *Error) Unwrap() error { return ErrInvalidFlow }
