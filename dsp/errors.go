package dsp

import "errors"

// ErrUnknownName means a string given to a Parse function names no value of that enum.
var ErrUnknownName = errors.New("dsp: unknown name")
