package main

import (
	"fmt"
	"math"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// features measures one clip the way a live call is measured: the WAV is resampled to
// calmline's 16 kHz and analysed by dsp with its default configuration, and the
// whole-clip summary is used (EmoDB clips are single sentences cut to 2 s).
//
// hopQuality is an experiment, never used for the shipped model: dsp does not fill
// Jitter and Shimmer yet, so this puts two voice-quality stand-ins computed from
// dsp's 10 ms hops into those fields — the mean periodicity of voiced hops (an HNR
// proxy) and the mean absolute level change between consecutive voiced hops (a
// shimmer proxy) — to measure what such features would add.
func features(path string, hopQuality bool) (dsp.Features, error) {
	pcm, err := audio.Load16k(path)
	if err != nil {
		return dsp.Features{}, fmt.Errorf("load %s: %w", path, err)
	}
	r := dsp.Analyze(pcm, dsp.Config{})
	f := r.Features
	if hopQuality {
		f.Jitter, f.Shimmer = hopVoiceQuality(r.Hops)
	}
	return f, nil
}

func hopVoiceQuality(hops []dsp.Hop) (periodicity, levelDelta float64) {
	var sv, n, sd, nd float64
	prev, have := float32(0), false
	for _, h := range hops {
		if !h.Speech || h.F0 <= 0 {
			have = false
			continue
		}
		sv += float64(h.Voicing)
		n++
		if have {
			sd += math.Abs(float64(h.DB - prev))
			nd++
		}
		prev, have = h.DB, true
	}
	if n > 0 {
		periodicity = sv / n
	}
	if nd > 0 {
		levelDelta = sd / nd
	}
	return periodicity, levelDelta
}
