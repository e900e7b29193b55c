package emotion

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion/internal/prob"
)

// ErrVoiceModel is returned when a voice model file cannot be used: wrong layout,
// wrong feature list or non-finite numbers. A broken model must fail loudly at start,
// never produce quiet nonsense during a call.
var ErrVoiceModel = errors.New("emotion: invalid voice model")

//go:embed models/voice.json
var defaultVoiceJSON []byte

// VoiceModel turns baseline-relative prosody into emotion probabilities. It is
// read-only after loading, so one model serves every call; each call gets its own
// listener (NewListener) holding that caller's baseline.
type VoiceModel struct {
	classes    []string   // the training corpus's classes (EmoDB: anger, boredom, ...)
	categories []Category // calmline category of each class
	high       []bool     // whether each class is high arousal

	mean, scale [nVoiceFeatures]float64 // standardisation
	w           [][nVoiceFeatures]float64
	bias        []float64
	temperature float64 // softmax temperature fitted on out-of-speaker predictions

	// Optional hidden layer: when present, class logits are w2·tanh(h1·x + hb1) + bias
	// and w is unused.
	h1  [][nVoiceFeatures]float64
	hb1 []float64
	w2  [][]float64

	aw        [nVoiceFeatures]float64 // arousal head on standardised features
	ab        float64
	aScale    float64 // Platt scaling of the arousal logit, fitted out-of-speaker
	aShift    float64
	baselineS float64 // voiced seconds the baseline needs to be trusted
	about     string

	// Per-speaker standardisation (off when spkPrior is 0): see speakerScale.
	spkSpread [nBase]float64
	spkPrior  float64

	// used marks the features the model has weights on (markUsed); familiarZ is the
	// distance (VoicePrediction.Distance) beyond which a voice is unlike the speech
	// the model learnt from, 0 in models without the guard.
	used      [nVoiceFeatures]bool
	familiarZ float64

	// first judges an utterance that has no baseline to compare with (a call's first
	// voiced turn, a single recorded file). A model trained only on baseline-relative
	// examples reads such a turn poorly, because every "relative" feature is then the
	// utterance's own value; a head trained on exactly that case does much better
	// (docs/emotion-voice.md). Nil in models without one; never nested deeper.
	first *VoiceModel
}

// voiceModelFile is the JSON layout of models/voice.json.
type voiceModelFile struct {
	Version     int          `json:"version"`
	About       string       `json:"about"`
	Features    []string     `json:"features"`
	Classes     []string     `json:"classes"`
	Categories  []Category   `json:"categories"`
	High        []bool       `json:"high_arousal"`
	Mean        []float64    `json:"mean"`
	Scale       []float64    `json:"scale"`
	Weights     [][]float64  `json:"weights"`
	Bias        []float64    `json:"bias"`
	Temperature float64      `json:"temperature"`
	Hidden      *voiceHidden `json:"hidden,omitempty"`
	ArousalW    []float64    `json:"arousal_weights"`
	ArousalB    float64      `json:"arousal_bias"`
	ArousalA    float64      `json:"arousal_platt_a"`
	ArousalC    float64      `json:"arousal_platt_b"`
	BaselineS   float64      `json:"baseline_s"`
	SpkSpread   []float64    `json:"speaker_spread,omitempty"`  // typical within-speaker spread per baseline value
	SpkPrior    float64      `json:"speaker_prior_s,omitempty"` // voiced seconds of prior on a caller's own spread
	// FamiliarZ is the out-of-speaker 99th percentile of the distance (VoicePrediction.Distance)
	// over the training corpus: farther voices get less confidence. 0 or absent: no guard.
	FamiliarZ float64 `json:"familiar_z,omitempty"`
	// FirstUtterance is the head for an utterance with an empty baseline; same
	// classes, its own standardisation and calibration.
	FirstUtterance *voiceModelFile `json:"first_utterance,omitempty"`
}

// voiceHidden is the optional hidden layer of a small MLP.
type voiceHidden struct {
	W1 [][]float64 `json:"w1"` // hidden × features
	B1 []float64   `json:"b1"`
	W2 [][]float64 `json:"w2"` // classes × hidden
}

// DefaultVoice loads the voice model shipped in the binary (trained on EmoDB by
// emotion/trainvoice; see docs/emotion-voice.md).
func DefaultVoice() (*VoiceModel, error) {
	return LoadVoice(defaultVoiceJSON)
}

// LoadVoice parses a voice model file, refusing anything that does not match this
// build's feature layout.
func LoadVoice(data []byte) (*VoiceModel, error) {
	var f voiceModelFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrVoiceModel, err)
	}
	m, err := voiceFromFile(&f)
	if err != nil {
		return nil, err
	}
	if f.FirstUtterance != nil {
		if f.FirstUtterance.FirstUtterance != nil {
			return nil, fmt.Errorf("%w: first_utterance has a first_utterance of its own", ErrVoiceModel)
		}
		first, err := voiceFromFile(f.FirstUtterance)
		if err != nil {
			return nil, fmt.Errorf("first_utterance: %w", err)
		}
		if err := m.SetFirstUtterance(first); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// voiceFromFile validates one decoded head (the model, or its first-utterance head).
func voiceFromFile(f *voiceModelFile) (*VoiceModel, error) {
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: version %d, want 1", ErrVoiceModel, f.Version)
	}
	if !slices.Equal(f.Features, voiceFeatureNames[:]) {
		return nil, fmt.Errorf("%w: feature list %v does not match this build", ErrVoiceModel, f.Features)
	}
	k := len(f.Classes)
	if k < 2 || len(f.Categories) != k || len(f.High) != k || len(f.Weights) != k || len(f.Bias) != k {
		return nil, fmt.Errorf("%w: %d classes but %d categories, %d arousal flags, %d weight rows, %d biases",
			ErrVoiceModel, k, len(f.Categories), len(f.High), len(f.Weights), len(f.Bias))
	}
	m := &VoiceModel{
		classes: f.Classes, categories: f.Categories, high: f.High,
		w: make([][nVoiceFeatures]float64, k), bias: f.Bias,
		temperature: f.Temperature, ab: f.ArousalB, aScale: f.ArousalA, aShift: f.ArousalC,
		baselineS: f.BaselineS, about: f.About,
	}
	vecs := []struct {
		name string
		src  []float64
		dst  *[nVoiceFeatures]float64
	}{{"mean", f.Mean, &m.mean}, {"scale", f.Scale, &m.scale}, {"arousal_weights", f.ArousalW, &m.aw}}
	for i := range f.Weights {
		vecs = append(vecs, struct {
			name string
			src  []float64
			dst  *[nVoiceFeatures]float64
		}{fmt.Sprintf("weights[%d]", i), f.Weights[i], &m.w[i]})
	}
	if h := f.Hidden; h != nil {
		nh := len(h.W1)
		if nh == 0 || nh > 256 || len(h.B1) != nh || len(h.W2) != k {
			return nil, fmt.Errorf("%w: hidden layer of %d units with %d biases and %d output rows", ErrVoiceModel, nh, len(h.B1), len(h.W2))
		}
		m.h1 = make([][nVoiceFeatures]float64, nh)
		m.hb1 = h.B1
		for i := range h.W1 {
			vecs = append(vecs, struct {
				name string
				src  []float64
				dst  *[nVoiceFeatures]float64
			}{fmt.Sprintf("hidden.w1[%d]", i), h.W1[i], &m.h1[i]})
		}
		for i, row := range h.W2 {
			if len(row) != nh {
				return nil, fmt.Errorf("%w: hidden.w2[%d] has %d values, want %d", ErrVoiceModel, i, len(row), nh)
			}
			for _, x := range row {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("%w: hidden.w2[%d] is not finite", ErrVoiceModel, i)
				}
			}
		}
		m.w2 = h.W2
		for _, x := range h.B1 {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: hidden.b1 is not finite", ErrVoiceModel)
			}
		}
	}
	for _, v := range vecs {
		if len(v.src) != nVoiceFeatures {
			return nil, fmt.Errorf("%w: %s has %d values, want %d", ErrVoiceModel, v.name, len(v.src), nVoiceFeatures)
		}
		for i, x := range v.src {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: %s[%d] is not finite", ErrVoiceModel, v.name, i)
			}
			v.dst[i] = x
		}
	}
	for i, s := range m.scale {
		if !(s > 0) {
			return nil, fmt.Errorf("%w: scale[%d] = %g, want > 0", ErrVoiceModel, i, s)
		}
	}
	for _, c := range m.categories {
		if c < 0 || c >= numCategories {
			return nil, fmt.Errorf("%w: category %d out of range", ErrVoiceModel, int(c))
		}
	}
	for _, x := range append([]float64{m.temperature, m.ab, m.aScale, m.aShift, m.baselineS}, m.bias...) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: a scalar parameter is not finite", ErrVoiceModel)
		}
	}
	if f.SpkPrior != 0 || len(f.SpkSpread) != 0 {
		if !(f.SpkPrior > 0) || math.IsInf(f.SpkPrior, 0) || len(f.SpkSpread) != nBase {
			return nil, fmt.Errorf("%w: speaker standardisation with prior %g and %d spreads, want > 0 and %d", ErrVoiceModel, f.SpkPrior, len(f.SpkSpread), nBase)
		}
		for i, x := range f.SpkSpread {
			if !(x >= 0) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: speaker_spread[%d] = %g", ErrVoiceModel, i, x)
			}
			m.spkSpread[i] = x
		}
		m.spkPrior = f.SpkPrior
	}
	if !(m.temperature > 0) || !(m.baselineS > 0) {
		return nil, fmt.Errorf("%w: temperature %g and baseline_s %g must be > 0", ErrVoiceModel, m.temperature, m.baselineS)
	}
	if err := m.SetFamiliarity(f.FamiliarZ); err != nil {
		return nil, err
	}
	m.markUsed()
	return m, nil
}

// MarshalJSON writes the model in the layout LoadVoice reads, so trainvoice can save it.
func (m *VoiceModel) MarshalJSON() ([]byte, error) {
	f := m.file()
	if m.first != nil {
		ff := m.first.file()
		f.FirstUtterance = &ff
	}
	return json.Marshal(f)
}

// file is one head in the file layout, without a first-utterance head.
func (m *VoiceModel) file() voiceModelFile {
	f := voiceModelFile{
		Version: 1, About: m.about, Features: voiceFeatureNames[:],
		Classes: m.classes, Categories: m.categories, High: m.high,
		Mean: m.mean[:], Scale: m.scale[:], Bias: m.bias, Temperature: m.temperature,
		ArousalW: m.aw[:], ArousalB: m.ab, ArousalA: m.aScale, ArousalC: m.aShift, BaselineS: m.baselineS,
		FamiliarZ: m.familiarZ,
	}
	for i := range m.w {
		f.Weights = append(f.Weights, m.w[i][:])
	}
	if m.spkPrior > 0 {
		f.SpkSpread, f.SpkPrior = m.spkSpread[:], m.spkPrior
	}
	if len(m.h1) > 0 {
		h := &voiceHidden{B1: m.hb1, W2: m.w2}
		for i := range m.h1 {
			h.W1 = append(h.W1, m.h1[i][:])
		}
		f.Hidden = h
	}
	return f
}

// SetFirstUtterance attaches the head that judges utterances with an empty baseline
// (trained by trainvoice on examples without one). It must have the same classes,
// categories and arousal split, and no first-utterance head of its own.
func (m *VoiceModel) SetFirstUtterance(first *VoiceModel) error {
	if first == nil {
		m.first = nil
		return nil
	}
	if first == m || first.first != nil || !slices.Equal(first.classes, m.classes) ||
		!slices.Equal(first.categories, m.categories) || !slices.Equal(first.high, m.high) {
		return fmt.Errorf("%w: the first-utterance head must have the model's classes, categories and arousal split and no head of its own", ErrVoiceModel)
	}
	m.first = first
	return nil
}

// FirstUtterance is the head judging utterances with an empty baseline, or nil when
// the model has none (then the model itself judges them).
func (m *VoiceModel) FirstUtterance() *VoiceModel { return m.first }

// head is the model that judges an utterance against b: the first-utterance head
// when b is empty and the model has one.
func (m *VoiceModel) head(b *VoiceBaseline) *VoiceModel {
	if m.first != nil && b.VoicedS() == 0 {
		return m.first
	}
	return m
}

// Classes are the training corpus's class names, in the order of VoicePrediction.Class.
func (m *VoiceModel) Classes() []string { return append([]string(nil), m.classes...) }

// About says what the model was trained on and how well it did, as stored in the file.
func (m *VoiceModel) About() string { return m.about }

// VoicePrediction is the model's raw answer for one utterance against a baseline;
// trainvoice evaluates it, the listener turns it into an Acoustic.
type VoicePrediction struct {
	Class   []float64 // calibrated probability per model class (Classes order)
	Arousal float64   // calibrated probability of high arousal
	logit   float64   // arousal logit, before Platt scaling' sigmoid

	// Distance is how far the utterance lies from the speech the model learnt from:
	// the mean of the largest |z| (standardised feature values, before clipping) over
	// voiceDistanceTop features. Synthetic speech lands far out on a few features
	// (espeak-ng's MFCC spreads and deltas: 5-10) while the corpus's voices and a real
	// recording from outside it stay within its spread, through a phone line too
	// (BENCHMARKS.md). Unfamiliar is what that distance costs the
	// reading's confidence, 0 (like the training speech) to 1 (nothing like it).
	Distance, Unfamiliar float64
}

// voiceDistanceTop is how many of the most extreme features make up
// VoicePrediction.Distance: one feature alone is too easily pushed out by a single
// odd measurement, the mean over all of them dilutes the few that tell a
// synthetic voice (its MFCC spreads and deltas) from a human one.
const voiceDistanceTop = 8

// markUsed records which features carry any weight, so the distance ignores the
// ones the model left out (loud_db, pauses).
func (m *VoiceModel) markUsed() {
	for i := range m.used {
		used := m.aw[i] != 0
		for k := range m.w {
			used = used || m.w[k][i] != 0
		}
		for j := range m.h1 {
			used = used || m.h1[j][i] != 0
		}
		m.used[i] = used
	}
}

// distance is VoicePrediction.Distance of the unstandardised vector x; it allocates
// nothing.
func (m *VoiceModel) distance(x *[nVoiceFeatures]float64) float64 {
	var top [voiceDistanceTop]float64 // largest first
	n := 0
	for i, xi := range x {
		if !m.used[i] {
			continue
		}
		n++
		z := math.Abs((xi - m.mean[i]) / m.scale[i])
		if !(z < 1e6) {
			z = 1e6 // NaN or a runaway measurement: as far as it gets
		}
		if z <= top[voiceDistanceTop-1] {
			continue
		}
		j := voiceDistanceTop - 1
		for j > 0 && top[j-1] < z {
			top[j] = top[j-1]
			j--
		}
		top[j] = z
	}
	k := min(n, voiceDistanceTop)
	if k == 0 {
		return 0
	}
	var s float64
	for _, z := range top[:k] {
		s += z
	}
	return s / float64(k)
}

// unfamiliar maps a distance to the share of confidence it costs: nothing up to
// familiarZ, then 1 - (familiarZ/d)^4, so a voice 25% beyond the corpus's
// out-of-speaker 99th percentile keeps 41% of its weight and one 50% beyond keeps 20%.
func (m *VoiceModel) unfamiliar(d float64) float64 {
	if m.familiarZ <= 0 || d <= m.familiarZ {
		return 0
	}
	r := m.familiarZ / d
	return 1 - r*r*r*r
}

// SetFamiliarity installs the distance (VoicePrediction.Distance) beyond which voices
// count as unlike the training speech: trainvoice takes the 99th percentile of the
// out-of-speaker distances. 0 turns the guard off.
func (m *VoiceModel) SetFamiliarity(limit float64) error {
	if !(limit >= 0) || math.IsInf(limit, 0) {
		return fmt.Errorf("%w: familiarity limit %g, want a finite value >= 0", ErrVoiceModel, limit)
	}
	m.familiarZ = limit
	return nil
}

// Predict judges f against baseline b (which may be empty: then the utterance is its
// own reference and only within-utterance cues count).
func (m *VoiceModel) Predict(f dsp.Features, b *VoiceBaseline) VoicePrediction {
	var x [nVoiceFeatures]float64
	if b == nil {
		b = &VoiceBaseline{}
	}
	m = m.head(b)
	voiceVector(&x, f, b)
	speakerScale(&x, b, &m.spkSpread, m.spkPrior)
	p := VoicePrediction{Class: make([]float64, len(m.classes))}
	m.predictVec(&x, &p, make([]float64, len(m.h1)))
	return p
}

// classLogits writes the class logits of standardised x into dst; hbuf holds the
// hidden layer (len(m.h1)).
func (m *VoiceModel) classLogits(x *[nVoiceFeatures]float64, dst, hbuf []float64) {
	if len(m.h1) == 0 {
		for k := range m.w {
			z := m.bias[k]
			for i, xi := range x {
				z += m.w[k][i] * xi
			}
			dst[k] = z
		}
		return
	}
	for j := range m.h1 {
		z := m.hb1[j]
		for i, xi := range x {
			z += m.h1[j][i] * xi
		}
		hbuf[j] = math.Tanh(z)
	}
	for k := range m.w2 {
		z := m.bias[k]
		for j, h := range hbuf {
			z += m.w2[k][j] * h
		}
		dst[k] = z
	}
}

// predictVec standardises x in place and fills p.Class (len = classes) and p.Arousal.
func (m *VoiceModel) predictVec(x *[nVoiceFeatures]float64, p *VoicePrediction, hbuf []float64) {
	p.Distance = m.distance(x)
	p.Unfamiliar = m.unfamiliar(p.Distance)
	for i := range x {
		x[i] = voiceStandardise(x[i], m.mean[i], m.scale[i])
	}
	m.classLogits(x, p.Class, hbuf)
	for k := range p.Class {
		p.Class[k] /= m.temperature
	}
	prob.Softmax(p.Class, p.Class)
	z := m.ab
	for i, xi := range x {
		z += m.aw[i] * xi
	}
	p.logit = z
	p.Arousal = VoiceArousal(prob.Sigmoid(m.aScale*z+m.aShift), p.Class, m.high)
}

// VoiceArousal is the reported probability of high arousal: the arousal head's
// calibrated probability averaged with the class head's summed probability of the
// high-arousal classes. The class head sees which kind of excitement it hears, the
// arousal head is calibrated on its own; their mean is right more often than
// either (BENCHMARKS.md). The trainer scores exactly this.
func VoiceArousal(head float64, classProbs []float64, high []bool) float64 {
	var sum float64
	for k, h := range high {
		if h && k < len(classProbs) {
			sum += classProbs[k]
		}
	}
	return (head + sum) / 2
}
