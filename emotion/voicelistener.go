package emotion

import (
	"fmt"
	"math"
	"sort"

	"github.com/calmline/calmline/dsp"
)

// Baseline drift: once the caller's baseline is settled, calm utterances still move it
// a little (the caller relaxes into the call, the line changes), but aroused ones do
// not, so a caller who stays angry keeps reading as angry instead of becoming "normal".
const (
	voiceDriftFactor   = 0.15 // weight of a calm utterance relative to a baseline one
	voiceDriftArousal  = 0.5  // utterances above this arousal never move the baseline
	voiceMinConfident  = 0.25 // confidence floor factor while the baseline is still empty
	voiceUnfamiliarCue = 0.2  // Unfamiliar from which the reading says why the voice counts less
)

// NewListener starts judging one caller. The first voiced seconds (the model's
// baseline_s, a few seconds) teach it how this caller normally sounds; until then
// readings carry lower confidence.
func (m *VoiceModel) NewListener() VoiceListener {
	nh := len(m.h1)
	if m.first != nil {
		nh = max(nh, len(m.first.h1))
	}
	return &voiceListener{m: m, probs: make([]float64, len(m.classes)), hidden: make([]float64, nh)}
}

type voiceListener struct {
	m      *VoiceModel
	base   VoiceBaseline
	x      [nVoiceFeatures]float64
	raw    [nVoiceFeatures]float64
	probs  []float64
	hidden []float64
}

// Listen judges one utterance against the caller's baseline and then updates it.
func (l *voiceListener) Listen(f dsp.Features) Acoustic {
	if !voiceUsable(f) {
		return Acoustic{Voiced: false}
	}
	m := l.m
	// Each utterance is judged against what came before it (as in training, where the
	// baseline never contains the scored clip); the very first one has nothing before
	// it and goes to the first-utterance head, if the model has one (hm is the head
	// that judges this utterance). While the baseline is young every voiced utterance
	// joins it afterwards.
	others := l.base.VoicedS()
	learning := others < m.baselineS
	hm := m.head(&l.base)
	voiceVector(&l.raw, f, &l.base)
	if learning {
		l.base.Add(f)
	}
	l.x = l.raw
	speakerScale(&l.x, &l.base, &hm.spkSpread, hm.spkPrior)
	p := VoicePrediction{Class: l.probs}
	hm.predictVec(&l.x, &p, l.hidden[:len(hm.h1)])

	scores := make(map[Category]float64, len(Categories))
	for _, c := range Categories {
		scores[c] = 0
	}
	best, bestP := Neutral, -1.0
	classes := make(map[string]float64, len(p.Class))
	class, classP := "", -1.0
	for k, pk := range p.Class {
		scores[m.categories[k]] += pk
		classes[m.classes[k]] = pk
		if pk > classP {
			class, classP = m.classes[k], pk
		}
	}
	for _, c := range Categories {
		if scores[c] > bestP {
			best, bestP = c, scores[c]
		}
	}
	maturity := math.Min(1, others/m.baselineS)
	voicing := math.Min(1, f.VoicedS/1.0)
	conf := bestP * (voiceMinConfident + (1-voiceMinConfident)*maturity) * (0.5 + 0.5*voicing) * (1 - p.Unfamiliar)

	a := Acoustic{
		Voiced: true, Arousal: p.Arousal, Scores: scores, Confidence: conf,
		Cues:  l.cues(p, best, bestP, others > 0),
		Class: class, Classes: classes, Unfamiliar: p.Unfamiliar,
	}
	if !learning && p.Arousal < voiceDriftArousal {
		l.base.AddWeighted(f, voiceDriftFactor)
	}
	return a
}

// cueGroup ties a human-readable measurement to the vector entries whose
// contribution to the arousal logit is its weight.
type cueGroup struct {
	idx  []int
	text func(x *[nVoiceFeatures]float64) string // "" when not worth saying
}

var voiceCueGroups = []cueGroup{
	{[]int{vPitchST, vPitchMaxST, vPitchMinST}, func(x *[nVoiceFeatures]float64) string {
		switch d := x[vPitchST]; {
		case d >= 1.5:
			return fmt.Sprintf("pitch %.1f st above caller's baseline", d)
		case d <= -1.5:
			return fmt.Sprintf("pitch %.1f st below caller's baseline", -d)
		}
		return ""
	}},
	{[]int{vLoudDB, vLoudCrest}, func(x *[nVoiceFeatures]float64) string {
		switch d := x[vLoudDB]; {
		case d >= 3:
			return fmt.Sprintf("loud: +%.0f dB above caller's usual level", d)
		case d <= -3:
			return fmt.Sprintf("quiet: %.0f dB below caller's usual level", -d)
		}
		return ""
	}},
	{[]int{vRateRel, vArticRel, vArtic, vPeakRateRel}, func(x *[nVoiceFeatures]float64) string {
		switch r := math.Exp(x[vArticRel]) - 1; {
		case r >= 0.12:
			return fmt.Sprintf("speaking %.0f%% faster than at the start", 100*r)
		case r <= -0.12:
			return fmt.Sprintf("speaking %.0f%% slower than at the start", -100*r)
		}
		return ""
	}},
	{[]int{vRangeST, vRangeRel, vSDST, vSDRel, vSlope}, func(x *[nVoiceFeatures]float64) string {
		switch d := x[vRangeRel]; {
		case d >= 2:
			return fmt.Sprintf("animated: pitch range %.1f st wider than usual", d)
		case d <= -2:
			return fmt.Sprintf("flat, monotone voice: pitch range %.1f st narrower than usual", -d)
		}
		return ""
	}},
	{[]int{vLoudSD, vLoudSDRel}, func(x *[nVoiceFeatures]float64) string {
		switch d := x[vLoudSDRel]; {
		case d >= 2:
			return fmt.Sprintf("emphatic: loudness swings %.1f dB more than usual", d)
		case d <= -2:
			return fmt.Sprintf("even, subdued loudness (%.1f dB less variation than usual)", -d)
		}
		return ""
	}},
	{[]int{vAlphaRel, vHammarRel, vSlopeLoRel, vSlopeHiRel, vH1H2Rel, vH1A3Rel, vAlphaUVRel, vHammarUVRel}, func(x *[nVoiceFeatures]float64) string {
		// A lower alpha ratio is relatively more energy above 1 kHz: a pressed, tense voice.
		switch d := x[vAlphaRel]; {
		case d <= -3:
			return fmt.Sprintf("tense, pressed voice: %.0f dB more energy above 1 kHz than usual", -d)
		case d >= 3:
			return fmt.Sprintf("soft, lax voice: %.0f dB less energy above 1 kHz than usual", d)
		}
		return ""
	}},
	{[]int{vHNR, vHNRRel, vHNRSDRel, vJitter, vJitterRel, vShimmer, vShimmerRel}, func(x *[nVoiceFeatures]float64) string {
		if d := x[vHNRRel]; d <= -2 {
			return fmt.Sprintf("rough, strained voice: %.1f dB less harmonic than usual", -d)
		}
		return ""
	}},
	{[]int{vPause, vPauseRel, vVoicedFrac, vVoicedFracRel}, func(x *[nVoiceFeatures]float64) string {
		switch d := x[vPauseRel]; {
		case d >= 0.12:
			return fmt.Sprintf("hesitant: %.0f%% of the time in pauses, more than usual", 100*x[vPause])
		case d <= -0.12:
			return "pressing on: fewer pauses than usual"
		}
		return ""
	}},
}

// cues explains the reading: each measurable change against the baseline with its
// push on arousal (positive = towards aroused), strongest first, then the model's
// overall verdict. With no reference yet (first utterance) only the verdict is given.
func (l *voiceListener) cues(p VoicePrediction, best Category, bestP float64, haveRef bool) []Cue {
	m := l.m
	var cues []Cue
	if haveRef {
		for _, g := range voiceCueGroups {
			s := g.text(&l.raw)
			if s == "" {
				continue
			}
			w := 0.0
			for _, i := range g.idx {
				w += m.aw[i] * l.x[i] // l.x is standardised
			}
			cues = append(cues, Cue{Kind: "acoustic", Text: s, Weight: math.Round(w*100) / 100, Note: "arousal"})
		}
		sort.SliceStable(cues, func(i, j int) bool { return math.Abs(cues[i].Weight) > math.Abs(cues[j].Weight) })
	}
	level := "calm"
	if p.Arousal >= 0.5 {
		level = "aroused"
	}
	cues = append(cues, Cue{
		Kind: "acoustic", Weight: math.Round(bestP*100) / 100, Note: "voice model",
		Text: fmt.Sprintf("voice sounds %s (%s, arousal %.2f)", best, level, p.Arousal),
	})
	if p.Unfamiliar >= voiceUnfamiliarCue {
		cues = append(cues, Cue{
			Kind: "acoustic", Weight: -math.Round(p.Unfamiliar*100) / 100, Note: "voice model",
			Text: fmt.Sprintf("voice unlike the speech the model learnt from (synthetic, distorted or an unusual line): it counts %.0f%% less", 100*p.Unfamiliar),
		})
	}
	return cues
}

// ListenAll judges a whole recording's utterances in order with one fresh listener,
// as a call would have heard them; `calmline analyze` uses it for recorded files.
func (m *VoiceModel) ListenAll(utterances []dsp.Features) []Acoustic {
	l := m.NewListener()
	out := make([]Acoustic, 0, len(utterances))
	for _, f := range utterances {
		out = append(out, l.Listen(f))
	}
	return out
}
