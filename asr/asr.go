// Package asr turns one caller utterance into words.
//
// call.Session hands each endpointed utterance (16 kHz mono int16, the canonical
// telephony format) to a Recognizer. Backends live in subpackages: asr/sphinx is
// offline and English-only (grammar mode carries IVR menus, free dictation is weak),
// asr/openai talks to any OpenAI-compatible Whisper endpoint for open speech and
// Chinese. WithFallback chains them so a failing network backend never leaves a
// caller unheard.
package asr

import (
	"context"
	"time"
)

// Options tells a recogniser what the dialog expects right now. Grammar mode
// (Phrases non-empty) is what makes offline recognition usable for IVR menus.
type Options struct {
	// Lang is the expected language ("en", "zh"); empty lets the backend decide.
	Lang string
	// Phrases are the current node's intent phrases. When non-empty, backends that
	// support it recognise only these (grammar/keyword mode) and report NoMatch
	// for anything else; empty means free dictation.
	Phrases []string
	// Prompt is vocabulary context (product names, the flow's words) for backends
	// that accept a prompt, so rare words are spelt the way the flow expects.
	Prompt string
}

// Word is one recognised word with its position in the utterance, so the
// emotion and barge-in logic can line words up with the prosody.
type Word struct {
	Text       string
	Start, End time.Duration
}

// Result is the transcript of one utterance.
type Result struct {
	// Text is the transcript; empty when nothing was recognised.
	Text string
	// Lang is the language the backend heard (or was told).
	Lang string
	// Confidence is in [0,1]; backends that give no confidence report 0.
	Confidence float64
	// Words carries word times when the backend gives them.
	Words []Word
	// NoMatch is set in grammar mode when speech was heard but matched no phrase,
	// so the dialog can re-prompt instead of acting on the nearest phrase.
	NoMatch bool
}

// Recognizer transcribes one utterance. Implementations must be safe for
// concurrent use: one process serves many calls.
type Recognizer interface {
	Recognize(ctx context.Context, pcm []int16, opts Options) (Result, error)
}

// RecognizerFunc lets a plain function serve as a Recognizer (tests, adapters).
type RecognizerFunc func(ctx context.Context, pcm []int16, opts Options) (Result, error)

// Recognize calls f.
func (f RecognizerFunc) Recognize(ctx context.Context, pcm []int16, opts Options) (Result, error) {
	return f(ctx, pcm, opts)
}
