package emotion

import "errors"

// ErrBadWeights reports embedded or supplied model weights that cannot be used; the
// server refuses to start rather than read emotions with a broken model.
var ErrBadWeights = errors.New("emotion: bad model weights")

// ErrBadLabel reports a feedback label record that cannot be used for refitting.
var ErrBadLabel = errors.New("emotion: bad feedback label")

// ErrNoLabels reports a refit with nothing to learn from.
var ErrNoLabels = errors.New("emotion: no usable feedback labels")

// ErrLLM reports an LLM classifier answer that could not be used; the caller falls
// back to the built-in model.
var ErrLLM = errors.New("emotion: LLM classifier failed")
