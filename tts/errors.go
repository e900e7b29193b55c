package tts

import "errors"

// ErrUnknownStyle is returned by ParseStyle for a name that is not a Style.
var ErrUnknownStyle = errors.New("tts: unknown style")

// ErrUnsupportedLanguage is returned (wrapped) by a backend asked for a
// language it has no voice for.
var ErrUnsupportedLanguage = errors.New("tts: language not supported by this backend")

// ErrEmptyText is returned when there is nothing to say.
var ErrEmptyText = errors.New("tts: empty text")
