package sphinx

import "errors"

// ErrNoPhrases is returned when grammar mode was asked for but none of the
// phrases could be used (all empty or with words the dictionary lacks); the
// flow needs other phrases or an online recogniser.
var ErrNoPhrases = errors.New("sphinx: no usable grammar phrases")

// ErrModelNotFound is returned by New when the acoustic model, dictionary or
// language model is missing; installing pocketsphinx-en-us fixes the default paths.
var ErrModelNotFound = errors.New("sphinx: model not found")
