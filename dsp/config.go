package dsp

import "time"

// Config tunes the VAD and endpointing. The zero value gives the defaults below, so
// callers only set what they mean to change.
type Config struct {
	// EndSilence is how long the caller must be silent before the utterance ends.
	// Default 500 ms. It counts from the end of the Hangover, and hops reach the
	// endpointer ~90 ms after the audio (pitch window + Viterbi look-ahead), so
	// EventUtteranceEnd comes about EndSilence + 190 ms after the voice stops.
	EndSilence time.Duration
	// ProsodicEndpoint lets the pitch contour move the end: a falling pitch with a
	// lengthened final syllable ends after EarlyEndSilence; a level or rising pitch
	// before the pause (the caller is not done) waits LateEndSilence.
	ProsodicEndpoint bool
	// EarlyEndSilence is the silence that ends a turn that sounds finished.
	// Default 60% of EndSilence.
	EarlyEndSilence time.Duration
	// LateEndSilence is the silence needed after a turn that sounds unfinished.
	// Default 160% of EndSilence.
	LateEndSilence time.Duration
	// MinSpeech is the speech needed before an utterance starts, so clicks and
	// coughs do not open one. Default 120 ms.
	MinSpeech time.Duration
	// MinPause is the shortest silent gap counted as a pause inside an utterance.
	// Default 200 ms.
	MinPause time.Duration
	// MaxUtterance ends an utterance that goes on this long, bounding memory.
	// Default 30 s.
	MaxUtterance time.Duration
	// ThresholdDB is how far above the adaptive noise floor a hop must be to count as
	// speech. Default 10 dB.
	ThresholdDB float64
	// Hangover keeps the speech flag up this long after the level drops, so word-final
	// consonants and short stops are not cut. Default 100 ms.
	Hangover time.Duration
}

// Defaults used for zero Config fields.
const (
	DefaultEndSilence   = 500 * time.Millisecond
	DefaultMinSpeech    = 120 * time.Millisecond
	DefaultMinPause     = 200 * time.Millisecond
	DefaultMaxUtterance = 30 * time.Second
	DefaultThresholdDB  = 10
	DefaultHangover     = 100 * time.Millisecond
)

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.EndSilence <= 0 {
		c.EndSilence = DefaultEndSilence
	}
	if c.EarlyEndSilence <= 0 {
		c.EarlyEndSilence = c.EndSilence * 6 / 10
	}
	if c.LateEndSilence <= 0 {
		c.LateEndSilence = c.EndSilence * 16 / 10
	}
	if c.MinSpeech <= 0 {
		c.MinSpeech = DefaultMinSpeech
	}
	if c.MinPause <= 0 {
		c.MinPause = DefaultMinPause
	}
	if c.MaxUtterance <= 0 {
		c.MaxUtterance = DefaultMaxUtterance
	}
	if c.ThresholdDB <= 0 {
		c.ThresholdDB = DefaultThresholdDB
	}
	if c.Hangover <= 0 {
		c.Hangover = DefaultHangover
	}
	return c
}

// hops converts a duration to a number of 10 ms hops (at least 1).
func hops(d time.Duration) int {
	n := int(d / HopDuration)
	if n < 1 {
		n = 1
	}
	return n
}
