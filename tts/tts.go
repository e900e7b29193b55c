// Package tts turns the dialog's replies into caller audio.
//
// A Synth returns 16 kHz mono int16 PCM, the canonical telephony format, so
// call.Session can play it on any leg unchanged. Backends live in subpackages:
// tts/espeak is offline (espeak-ng, Mandarin and English), tts/openai speaks
// through any OpenAI-compatible speech endpoint. NewCache keeps the flow's
// fixed prompts so they are synthesised once per process.
package tts

import "context"

// Voice says how to speak a reply: the language and the manner the emotion
// policy chose (a soothing voice for an upset caller).
type Voice struct {
	// Lang is "zh" or "en".
	Lang string
	// Style is the manner of speaking; the zero value is Neutral.
	Style Style
}

// Synth synthesises one reply. Implementations must be safe for concurrent
// use: one process serves many calls.
type Synth interface {
	// Synthesize returns text spoken in voice as 16 kHz mono PCM.
	Synthesize(ctx context.Context, text string, v Voice) ([]int16, error)
}

// SynthFunc lets a plain function serve as a Synth (tests, adapters).
type SynthFunc func(ctx context.Context, text string, v Voice) ([]int16, error)

// Synthesize calls f.
func (f SynthFunc) Synthesize(ctx context.Context, text string, v Voice) ([]int16, error) {
	return f(ctx, text, v)
}
