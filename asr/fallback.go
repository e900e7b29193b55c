package asr

import (
	"context"
	"errors"
	"log/slog"
)

// fallbackRecognizer tries primary first and, on any error other than the
// caller's own mistakes or cancellation, the fallback.
type fallbackRecognizer struct {
	primary, fallback Recognizer
	log               *slog.Logger
}

// WithFallback returns a Recognizer that asks primary and, when primary fails,
// asks fallback and logs why. A network ASR outage then degrades recognition
// (offline grammar mode) instead of leaving the caller unheard. A cancelled call
// context is not a failure: it is returned at once. A nil log discards.
func WithFallback(primary, fallback Recognizer, log *slog.Logger) Recognizer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fallbackRecognizer{primary: primary, fallback: fallback, log: log}
}

// Recognize implements Recognizer.
func (f *fallbackRecognizer) Recognize(ctx context.Context, pcm []int16, opts Options) (Result, error) {
	res, err := f.primary.Recognize(ctx, pcm, opts)
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil || errors.Is(err, ErrEmptyAudio) {
		return Result{}, err
	}
	f.log.WarnContext(ctx, "asr: primary recogniser failed, using fallback", "err", err,
		"samples", len(pcm), "grammar", len(opts.Phrases) > 0)
	res, ferr := f.fallback.Recognize(ctx, pcm, opts)
	if ferr != nil {
		return Result{}, errors.Join(err, ferr)
	}
	return res, nil
}
