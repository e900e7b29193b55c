package ari

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrNotFound matches a RequestError for a resource Asterisk no longer has
// (the caller hung up between an event and our request); cleanup treats it
// as success.
var ErrNotFound = errors.New("ari: not found")

// ErrNoAnswer is returned by Transfer when no endpoint of the queue answered
// within its ring time; the bot keeps the call.
var ErrNoAnswer = errors.New("ari: no expert answered")

// ErrCallEnded is returned by leg operations after the caller has gone.
var ErrCallEnded = errors.New("ari: call ended")

// ErrTransferred is returned by Play after the caller was handed to a human:
// the bot's media channel has left the call, so nothing it plays is heard.
var ErrTransferred = errors.New("ari: call transferred to a human")

// ErrConfig is wrapped by New for a configuration it cannot run with.
var ErrConfig = errors.New("ari: invalid config")

// RequestError is a non-2xx answer of the ARI REST API, kept whole so logs
// say which request Asterisk refused and why.
type RequestError struct {
	Method  string
	Path    string
	Status  int
	Message string // Asterisk's {"message": ...}, or the body text
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("ari: %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// Is lets errors.Is(err, ErrNotFound) match a 404.
func (e *RequestError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}
