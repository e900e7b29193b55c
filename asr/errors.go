package asr

import "errors"

// ErrUnsupportedLanguage is returned (wrapped) by a backend asked for a language it
// cannot recognise, so the server can say so at start-up and route to another backend.
var ErrUnsupportedLanguage = errors.New("asr: language not supported by this backend")

// ErrEmptyAudio is returned when an utterance has no samples; it is the caller's bug,
// not a backend failure, so WithFallback does not retry it elsewhere.
var ErrEmptyAudio = errors.New("asr: empty audio")
