package dsp

import (
	"fmt"
	"strings"
)

// Event is what one Write changed in the caller's turn; call.Session drives barge-in
// and recognition from it.
type Event int

const (
	// EventNone: nothing changed.
	EventNone Event = iota
	// EventSpeechStart: the caller has started speaking (after MinSpeech of speech).
	EventSpeechStart
	// EventUtteranceEnd: the caller has stopped; Utterance() holds the turn.
	EventUtteranceEnd
)

var eventNames = [...]string{"none", "speech-start", "utterance-end"}

// String names the event for logs.
func (e Event) String() string {
	if e >= 0 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("Event(%d)", int(e))
}

// ParseEvent is the inverse of String.
func ParseEvent(s string) (Event, error) {
	for i, n := range eventNames {
		if strings.EqualFold(s, n) {
			return Event(i), nil
		}
	}
	return EventNone, fmt.Errorf("parse event %q: %w", s, ErrUnknownName)
}

// EndReason says why an utterance ended, so benchmarks and logs can tell a prosodic
// early end from a plain silence timeout.
type EndReason int

const (
	// EndUnknown: not ended (or zero value).
	EndUnknown EndReason = iota
	// EndSilence: EndSilence elapsed.
	EndSilence
	// EndEarly: a finished-sounding turn ended after EarlyEndSilence.
	EndEarly
	// EndLate: an unfinished-sounding turn ended after LateEndSilence.
	EndLate
	// EndMaxLength: MaxUtterance reached.
	EndMaxLength
	// EndFlush: the input ended (Flush) while the caller was speaking.
	EndFlush
)

var endReasonNames = [...]string{"unknown", "silence", "early", "late", "max-length", "flush"}

// String names the reason for logs and JSON.
func (r EndReason) String() string {
	if r >= 0 && int(r) < len(endReasonNames) {
		return endReasonNames[r]
	}
	return fmt.Sprintf("EndReason(%d)", int(r))
}

// ParseEndReason is the inverse of String.
func ParseEndReason(s string) (EndReason, error) {
	for i, n := range endReasonNames {
		if strings.EqualFold(s, n) {
			return EndReason(i), nil
		}
	}
	return EndUnknown, fmt.Errorf("parse end reason %q: %w", s, ErrUnknownName)
}

// MarshalText writes the name, so JSON shows "early" rather than 2.
func (r EndReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
