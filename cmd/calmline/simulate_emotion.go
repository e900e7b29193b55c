package main

import (
	"fmt"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

// newSimListener is the emotion model the simulator hears the caller with: the
// embedded text model, and for the voice the script's "arousal" (scriptVoice), so a
// script can say how loud and fast a line was spoken without any audio.
func newSimListener() (listener, error) {
	m, err := emotion.Default(emotion.WithVoice(scriptVoice{}))
	if err != nil {
		return nil, fmt.Errorf("load emotion model: %w", err)
	}
	return m.NewCall(), nil
}

// scriptVoice turns the prosody voiceFor built from a script's arousal back into
// acoustic evidence. It is the simulator's stand-in for the acoustic model, which
// judges real audio against the caller's own baseline.
type scriptVoice struct{}

func (scriptVoice) NewListener() emotion.VoiceListener { return scriptVoice{} }

func (scriptVoice) Listen(f dsp.Features) emotion.Acoustic {
	a := min(1, max(0, (f.LoudMeanDB+30)/14))
	return emotion.Acoustic{
		Voiced:     true,
		Arousal:    a,
		Confidence: 0.8,
		// The voice says "aroused", rarely which emotion: arousal leans toward anger
		// and anxiety, calm toward neutral.
		Scores: map[emotion.Category]float64{emotion.Angry: 0.5 * a, emotion.Anxious: 0.2 * a, emotion.Neutral: 1 - 0.7*a},
		Cues:   []emotion.Cue{{Kind: "acoustic", Text: fmt.Sprintf("script arousal %.2f", a), Weight: a}},
	}
}
