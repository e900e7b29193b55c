package main

import (
	"fmt"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// features measures one clip the way a live call is measured: the WAV is resampled to
// calmline's 16 kHz and analysed by dsp with its default configuration, and the
// whole-clip summary is used (EmoDB clips are single sentences cut to 2 s).
func features(path string) (dsp.Features, error) {
	pcm, err := audio.Load16k(path)
	if err != nil {
		return dsp.Features{}, fmt.Errorf("load %s: %w", path, err)
	}
	return dsp.Analyze(pcm, dsp.Config{}).Features, nil
}
