package emotion

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/calmline/calmline/emotion/internal/prob"
)

// FusionWeights are the knobs that combine text, voice and cues into a reading.
// They are few and readable on purpose: an operator can see what they do, and
// `calmline emotion refit` re-fits them from human feedback labels.
type FusionWeights struct {
	Text         float64              `json:"text"`          // scale on the text model's log-probabilities
	Voice        float64              `json:"voice"`         // scale on the voice's log-probabilities (× its confidence)
	VoiceArousal float64              `json:"voice_arousal"` // share of arousal taken from the voice (× its confidence)
	Cue          map[string]float64   `json:"cue"`           // gain per cue kind (1 = as in the lexicon)
	Bias         map[Category]float64 `json:"bias"`          // per-category logit offset
	LevelBase    float64              `json:"level_base"`    // intensity per unit of negative probability, whatever the arousal
	LevelArousal float64              `json:"level_arousal"` // ... and per unit of negative probability × arousal
	// The same two for the voice's share of the reading (voice_arousal × the
	// voice's confidence; all of it with no transcript). The text ones were fitted
	// on call transcripts, where the category probability says what, not how much;
	// the voice's arousal is independent evidence of how much.
	VoiceLevelBase    float64 `json:"voice_level_base"`
	VoiceLevelArousal float64 `json:"voice_level_arousal"`
	Mild              float64 `json:"mild"`     // intensity from which the level is Mild
	Moderate          float64 `json:"moderate"` // ... Moderate
	Severe            float64 `json:"severe"`   // ... Severe
	// ValenceCategory is, per language ("zh", "en"; "" for any other), the share of
	// a text reading's valence that comes from its category probabilities; the rest
	// comes from the text model's valence head. The two heads learnt from different
	// data: the English categories and the English valence both come from tweets, so
	// the categories know as much; the Chinese categories come from Weibo posts and
	// the Chinese valence head from 80,000 customer reviews, which know complaints
	// better. A language missing here takes the built-in share (defaultValenceCategory).
	ValenceCategory map[string]float64 `json:"valence_category,omitempty"`
	// SatisfiedValence is, per language (as ValenceCategory), how far the valence
	// head's log-odds move the satisfied logit. The Chinese category head learnt
	// "satisfied" from Weibo posts, where praise words mean praise; on a support line
	// 「快递很快，但是质量一般」 is a complaint, and the valence head, trained on
	// customer reviews, knows it. A language missing here takes the built-in value
	// (defaultSatisfiedValence).
	SatisfiedValence map[string]float64 `json:"satisfied_valence,omitempty"`
}

// defaultValenceCategory is the built-in ValenceCategory, chosen on the text
// trainer's calibration split (rows the shipped text model did not train on) as the
// share that reads the sign of valence best in each language; "" (a language
// neither head knows) takes the share that does best on both together.
// `VALENCE_TUNE=1 go test ./emotion/train -run TuneValence -v` reprints the table
// (docs/emotion.md).
var defaultValenceCategory = map[string]float64{"zh": 0.2, "en": 1, "": 0.5}

// defaultSatisfiedValence is the built-in SatisfiedValence, chosen on the text
// trainer's calibration split as the push that reads the emotion categories best
// in each language (NLPCC for Chinese, dair_emotion for English); `SATISFIED_TUNE=1
// go test ./emotion/train -run TuneSatisfied -v` reprints the table (docs/emotion.md).
var defaultSatisfiedValence = map[string]float64{"zh": 0.5, "en": 0, "": 0}

// DefaultFusion returns the starting weights (docs/emotion.md explains them). The
// level weights, thresholds, cue gains and biases were fitted on the tune half of
// the call-like fixture testdata/calls.tsv (TestTuneCalls) so short, ordinary
// complaints read mild, not severe; TestCallFixtureAgreement checks them on the
// other half.
func DefaultFusion() FusionWeights {
	w := FusionWeights{Text: 0.68, Voice: 0.8, VoiceArousal: 0.6, LevelBase: 0.1, LevelArousal: 0.3,
		VoiceLevelBase: 0.1, VoiceLevelArousal: 0.9,
		Mild: 0.21, Moderate: 0.48, Severe: 0.79, Cue: map[string]float64{}, Bias: map[Category]float64{}}
	for _, k := range cueKinds() {
		w.Cue[k] = 1
	}
	for k, g := range map[string]float64{CueAnnoyance: 1.1, CueConfusion: 1.75, CueIntensifier: 0.3, CueNegation: 1.8,
		CuePolite: 0.6, CueRepeat: 1.15, CueThreat: 1.1, CueWorry: 1.6} {
		w.Cue[k] = g
	}
	for _, c := range Categories {
		w.Bias[c] = 0
	}
	w.Bias[Satisfied], w.Bias[Confused], w.Bias[Anxious] = 0.1, 0.1, 0.1
	w.ValenceCategory = maps.Clone(defaultValenceCategory)
	w.SatisfiedValence = maps.Clone(defaultSatisfiedValence)
	return w
}

// cueKinds lists the lexical cue kinds fusion weighs, in a fixed order.
func cueKinds() []string {
	return []string{CueRepeat, CueRepeatSelf, CueNegation, CueIntensifier, CueShouting, CueThreat, CueConfusion, CueWorry, CuePolite, CueAnnoyance, CueThanks, CueIrony}
}

func (w FusionWeights) clone() FusionWeights {
	w.Cue = maps.Clone(w.Cue)
	w.Bias = maps.Clone(w.Bias)
	w.ValenceCategory = maps.Clone(w.ValenceCategory)
	w.SatisfiedValence = maps.Clone(w.SatisfiedValence)
	return w
}

// Validate rejects weights that would make readings meaningless (NaN, negative
// scales, unordered level thresholds), e.g. from a hand-edited file.
func (w FusionWeights) Validate() error {
	vals := []float64{w.Text, w.Voice, w.VoiceArousal, w.LevelBase, w.LevelArousal, w.VoiceLevelBase, w.VoiceLevelArousal,
		w.Mild, w.Moderate, w.Severe}
	for _, v := range w.Cue {
		vals = append(vals, v)
	}
	for _, v := range w.Bias {
		vals = append(vals, v)
	}
	for lang, v := range w.ValenceCategory {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: valence_category[%q] = %v, want 0 to 1", ErrBadWeights, lang, v)
		}
	}
	for lang, v := range w.SatisfiedValence {
		if !(v >= 0 && v <= 3) {
			return fmt.Errorf("%w: satisfied_valence[%q] = %v, want 0 to 3", ErrBadWeights, lang, v)
		}
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 100 {
			return fmt.Errorf("%w: fusion weight %v out of range", ErrBadWeights, v)
		}
	}
	if w.Text < 0 || w.Voice < 0 || w.VoiceArousal < 0 || w.VoiceArousal > 1 {
		return fmt.Errorf("%w: text/voice scales must be >= 0 and voice_arousal in [0,1]", ErrBadWeights)
	}
	if w.LevelBase < 0 || w.LevelArousal < 0 || w.LevelBase+w.LevelArousal == 0 ||
		w.VoiceLevelBase < 0 || w.VoiceLevelArousal < 0 || w.VoiceLevelBase+w.VoiceLevelArousal == 0 {
		return fmt.Errorf("%w: level_base, level_arousal and their voice_ pair must be >= 0 and not both 0", ErrBadWeights)
	}
	if !(0 < w.Mild && w.Mild < w.Moderate && w.Moderate < w.Severe && w.Severe <= 1) {
		return fmt.Errorf("%w: level thresholds must satisfy 0 < mild < moderate < severe <= 1", ErrBadWeights)
	}
	return nil
}

// valenceCategory is the category share of valence for lang (see ValenceCategory).
func (w *FusionWeights) valenceCategory(lang string) float64 {
	return perLang(w.ValenceCategory, defaultValenceCategory, lang)
}

// satisfiedValence is the valence push on the satisfied logit for lang (see
// SatisfiedValence).
func (w *FusionWeights) satisfiedValence(lang string) float64 {
	return perLang(w.SatisfiedValence, defaultSatisfiedValence, lang)
}

// perLang is lang's value in set, else in the built-in defaults, else the
// defaults' value for any other language (""): weights saved before a per-language
// knob existed read as the built-in values.
func perLang(set, defaults map[string]float64, lang string) float64 {
	if v, ok := set[lang]; ok {
		return v
	}
	if v, ok := defaults[lang]; ok {
		return v
	}
	return defaults[""]
}

func (w FusionWeights) gain(kind string) float64 {
	if g, ok := w.Cue[kind]; ok {
		return g
	}
	return 1
}

// Per-category valence and arousal, used to turn category probabilities into the
// two dimensions (valence −1..1, arousal 0..1).
var (
	categoryValence = [numCategories]float64{Neutral: 0, Satisfied: 0.8, Confused: -0.2, Anxious: -0.5, Sad: -0.6, Angry: -0.9}
	categoryArousal = [numCategories]float64{Neutral: 0.15, Satisfied: 0.45, Confused: 0.4, Anxious: 0.7, Sad: 0.2, Angry: 0.9}
)

const probFloor = 1e-4

// Cue level boosts add at most maxCueLevel to the intensity, and at most
// plainCueLevel when no cue escalates (a complaint threat or shouting). The text
// model alone gives at most about 0.4, so without an escalating cue the words
// reach moderate at most: "说了多少次了，还是没有解决" or "I still haven't received
// my refund" is a repeated problem, which the policy answers with a handoff, not
// the emergency path. An aroused voice can still take such a turn to severe.
const (
	maxCueLevel   = 0.5
	plainCueLevel = 0.35
)

// fuse is the one place text evidence, voice and cues become a reading.
func (m *Model) fuse(ev *TextEvidence, voice Acoustic) Reading {
	return fuseWith(&m.fusion, ev, voice)
}

func fuseWith(w *FusionWeights, ev *TextEvidence, voice Acoustic) Reading {
	hasText := ev != nil
	if !hasText && !voice.Voiced {
		return noEvidence()
	}
	var logit [numCategories]float64
	var arousalBoost, levelBoost float64
	escalates := false
	cues := make([]Cue, 0, 8)
	if hasText {
		for _, c := range Categories {
			logit[c] += w.Text * math.Log(math.Max(ev.Scores[c], probFloor))
		}
		if k := w.satisfiedValence(ev.Lang); k != 0 {
			pos := clamp(ev.Positive, 0.01, 0.99)
			logit[Satisfied] += k * math.Log(pos/(1-pos))
		}
		for _, cue := range ev.Cues {
			eff, ok := cueEffects[cue.Kind]
			if !ok {
				continue
			}
			s := cue.Weight * w.gain(cue.Kind)
			for c := range logit {
				logit[c] += eff.push[c] * s
			}
			arousalBoost += eff.arousal * s
			levelBoost += eff.level * s
			if escalating(cue) {
				escalates = true
			}
			cues = append(cues, Cue{Kind: cue.Kind, Text: cue.Text, Weight: round3(s), Note: eff.note})
		}
	}
	voiceShare := 0.0
	if voice.Voiced {
		conf := clamp(voice.Confidence, 0, 1)
		if len(voice.Scores) > 0 {
			vw := w.Voice * conf
			if !hasText {
				// The voice is all there is: take its probabilities as they are,
				// flattened as far as the voice is unlike any the model learnt from.
				vw = 1 - clamp(voice.Unfamiliar, 0, 1)
			}
			var sum float64
			for _, c := range Categories {
				sum += math.Max(voice.Scores[c], 0)
			}
			for _, c := range Categories {
				p := 1 / float64(numCategories)
				if sum > 0 {
					p = math.Max(voice.Scores[c], 0) / sum
				}
				logit[c] += vw * math.Log(math.Max(p, probFloor))
			}
		}
		voiceShare = w.VoiceArousal * conf
		if !hasText {
			voiceShare = 1 - clamp(voice.Unfamiliar, 0, 1)
		}
		cues = append(cues, voice.Cues...)
	}
	for _, c := range Categories {
		logit[c] += w.Bias[c]
	}
	var p [numCategories]float64
	prob.Softmax(logit[:], p[:])

	r := Reading{Scores: make(map[Category]float64, numCategories), Evidence: ev}
	best := Neutral
	var aCat, vCat float64
	for _, c := range Categories {
		r.Scores[c] = p[c]
		if p[c] > p[best] {
			best = c
		}
		aCat += p[c] * categoryArousal[c]
		vCat += p[c] * categoryValence[c]
	}
	r.Category, r.Confidence = best, p[best]

	arousal := clamp(aCat+math.Min(arousalBoost, 0.3), 0, 1)
	arousal = clamp((1-voiceShare)*arousal+voiceShare*clamp(voice.Arousal, 0, 1), 0, 1)
	r.Arousal = arousal
	if hasText {
		vText := 2*ev.Positive - 1
		share := w.valenceCategory(ev.Lang)
		r.Valence = clamp(share*vCat+(1-share)*vText*(1-p[Neutral]), -1, 1)
		top := modelTopCat(ev)
		pct := strconv.Itoa(int(math.Round(100 * ev.Scores[top])))
		cues = append(cues, Cue{Kind: CueModel, Text: "text reads " + top.String() + " " + pct + "%",
			Weight: round3(w.Text * ev.Scores[top])})
	} else {
		r.Valence = clamp(vCat, -1, 1)
	}
	neg := p[Angry] + p[Anxious] + p[Sad] + 0.5*p[Confused]
	base := (1-voiceShare)*(w.LevelBase+w.LevelArousal*arousal) + voiceShare*(w.VoiceLevelBase+w.VoiceLevelArousal*arousal)
	cueCap := maxCueLevel
	if !escalates {
		cueCap = plainCueLevel
	}
	r.Intensity = clamp(neg*base+math.Min(levelBoost, cueCap), 0, 1)
	r.Level = w.level(r.Intensity)
	if (r.Category == Neutral || r.Category == Satisfied) && r.Level > Mild {
		r.Level = Mild
	}
	slices.SortStableFunc(cues, func(a, b Cue) int { return cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)) })
	r.Cues = cues
	r.Confidence = round3(r.Confidence)
	return r
}

// escalating reports whether a text cue may take the reading to severe: a threat
// to complain, leave or go to law (not the weak ones, refund and compensation, which
// are requests as often as threats), or shouting.
func escalating(c Cue) bool {
	return (c.Kind == CueThreat && c.Weight >= 1) || c.Kind == CueShouting
}

// level maps an intensity to a Level by the thresholds.
func (w *FusionWeights) level(x float64) Level {
	switch {
	case x >= w.Severe:
		return Severe
	case x >= w.Moderate:
		return Moderate
	case x >= w.Mild:
		return Mild
	}
	return Calm
}

func modelTopCat(ev *TextEvidence) Category {
	best := Neutral
	for _, c := range Categories {
		if ev.Scores[c] > ev.Scores[best] {
			best = c
		}
	}
	return best
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
