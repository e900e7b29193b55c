package main

import (
	"errors"

	"github.com/calmline/calmline/dsp"
)

// features is replaced by the dsp-backed extractor once dsp.Analyze is merged; until
// then trainvoice only runs from a feature cache (-cache).
func features(path string) (dsp.Features, error) {
	return dsp.Features{}, errors.New("feature extraction needs dsp.Analyze (not merged yet); use -cache")
}
