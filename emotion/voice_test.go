package emotion

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/calmline/calmline/dsp"
)

// voiceUtt describes a synthetic utterance: a speaker's habitual voice shifted by an
// emotional state. Shape values (range, crest, loudness SD, slope, tempo) follow the
// medians dsp measured on EmoDB's low- and high-arousal clips.
type voiceUtt struct {
	pitchHz, loudDB, rate, rangeST, pause float64
	crestDB, loudSD, slope                float64
	q                                     dsp.Features // spectral, voice-quality and temporal fields
}

// Medians dsp measured on EmoDB's low-arousal (boredom, neutral, sadness) and
// high-arousal (anger, happiness, fear) clips: a relaxed voice has more low-frequency
// energy (higher alpha ratio, Hammarberg index, H1–A3), a tense one more above 1 kHz.
var calmQuality, arousedQuality = dsp.Features{
	Jitter: 0.051, Shimmer: 0.198, SpectralFlux: 0.150, SpectralFluxSD: 0.121, AlphaRatioDB: 17.5,
	HammarbergDB: 27.9, SlopeLowDBPerKHz: 3, SlopeHighDBPerKHz: -10.7, H1H2DB: 4.5, HNRDB: 13.5, HNRSDDB: 6.3,
	Formant1Hz: 459, Formant2Hz: 1667, Formant3Hz: 2722, H1A3DB: 28.8, AlphaRatioUVDB: 4.1, HammarbergUVDB: 13.3,
	LoudRangeDB: 11.8, LoudRiseDBPerS: 150, LoudFallDBPerS: 131, VoicedSegPerS: 3.55, VoicedSegMeanS: 0.167, UnvoicedSegMean: 0.09,
	MFCCMean:        [12]float64{6.25, 3.51, 1.67, 0.32, -0.28, -0.85, 0.61, 0.11, 0.03, 0.55, -0.25, 0.09},
	MFCCSD:          [12]float64{5.85, 3.35, 2.5, 1.84, 1.71, 1.39, 1.35, 1.08, 1.0, 0.98, 0.87, 0.79},
	MFCCDeltaSD:     [12]float64{1.43, 0.82, 0.63, 0.53, 0.47, 0.41, 0.36, 0.31, 0.3, 0.29, 0.25, 0.24},
	MFCCVoicedMean:  [12]float64{8.98, 4.35, 2.19, 0.2, -0.15, -1.04, 0.62, 0.12, -0.07, 0.63, -0.36, 0.0},
	PitchRiseSTPerS: 27.1, PitchFallSTPerS: 32.8,
	BandSDDB: [dsp.NumBands]float64{6.06, 6.3, 8.74, 9.48, 9.07, 11.62},
}, dsp.Features{
	Jitter: 0.057, Shimmer: 0.187, SpectralFlux: 0.188, SpectralFluxSD: 0.119, AlphaRatioDB: 10.3,
	HammarbergDB: 20.6, SlopeLowDBPerKHz: 28.8, SlopeHighDBPerKHz: -6.7, H1H2DB: 5.5, HNRDB: 12, HNRSDDB: 5.8,
	Formant1Hz: 525, Formant2Hz: 1663, Formant3Hz: 2664, H1A3DB: 19.6, AlphaRatioUVDB: -2.6, HammarbergUVDB: 7.3,
	LoudRangeDB: 12.3, LoudRiseDBPerS: 176, LoudFallDBPerS: 158, VoicedSegPerS: 3.67, VoicedSegMeanS: 0.182, UnvoicedSegMean: 0.075,
	MFCCMean:        [12]float64{2.63, 0.99, 0.51, -0.98, -0.7, -1.56, -0.38, -0.66, -0.53, -0.15, -0.68, -0.15},
	MFCCSD:          [12]float64{5.55, 4.31, 2.64, 2.49, 1.68, 1.67, 1.59, 1.49, 1.46, 1.47, 1.58, 1.53},
	MFCCDeltaSD:     [12]float64{1.45, 1.05, 0.71, 0.74, 0.52, 0.51, 0.46, 0.43, 0.44, 0.43, 0.47, 0.45},
	MFCCVoicedMean:  [12]float64{3.92, 1.25, 0.71, -1.43, -0.76, -1.84, -0.61, -0.87, -0.69, -0.26, -0.76, -0.27},
	PitchRiseSTPerS: 39.7, PitchFallSTPerS: 44.4,
	BandSDDB: [dsp.NumBands]float64{8.66, 5.95, 8.04, 8.75, 8.18, 10.01},
}

func (u voiceUtt) features() dsp.Features {
	st := u.rangeST
	f := u.q
	p := dsp.Features{
		DurationS: 2.5, VoicedS: 1.6,
		PitchMeanHz: u.pitchHz * math.Pow(2, 0.3/12), PitchMedianHz: u.pitchHz,
		PitchMinHz: u.pitchHz * math.Pow(2, -st/2/12), PitchMaxHz: u.pitchHz * math.Pow(2, st/2/12),
		PitchRangeST: st, PitchSDST: st / 2.6, PitchSlopeSTPerS: u.slope,
		LoudMeanDB: u.loudDB, LoudSDDB: u.loudSD, LoudMaxDB: u.loudDB + u.crestDB, LoudPeakRate: 2 * u.rate / 4.6,
		Syllables: int(u.rate * 2.5), SpeechRate: u.rate, ArticulationRate: u.rate,
		Pauses: 1, PauseMeanS: u.pause * 2.5, PauseMaxS: u.pause * 2.5, PauseRatio: u.pause,
	}
	// Prosody from the utterance, everything else from its voice quality.
	f.DurationS, f.VoicedS = p.DurationS, p.VoicedS
	f.PitchMeanHz, f.PitchMedianHz, f.PitchMinHz, f.PitchMaxHz = p.PitchMeanHz, p.PitchMedianHz, p.PitchMinHz, p.PitchMaxHz
	f.PitchRangeST, f.PitchSDST, f.PitchSlopeSTPerS = p.PitchRangeST, p.PitchSDST, p.PitchSlopeSTPerS
	f.LoudMeanDB, f.LoudSDDB, f.LoudMaxDB, f.LoudPeakRate = p.LoudMeanDB, p.LoudSDDB, p.LoudMaxDB, p.LoudPeakRate
	f.Syllables, f.SpeechRate, f.ArticulationRate = p.Syllables, p.SpeechRate, p.ArticulationRate
	f.Pauses, f.PauseMeanS, f.PauseMaxS, f.PauseRatio = p.Pauses, p.PauseMeanS, p.PauseMaxS, p.PauseRatio
	return f
}

// calm is a speaker at rest; aroused raises pitch, loudness, range and tempo the way
// angry or excited speech does.
func calm(pitchHz float64) voiceUtt {
	return voiceUtt{pitchHz: pitchHz, loudDB: -26, rate: 4.6, rangeST: 10, pause: 0.1, crestDB: 13.8, loudSD: 9.4, slope: -3.5, q: calmQuality}
}

func aroused(pitchHz float64) voiceUtt {
	return voiceUtt{pitchHz: pitchHz * math.Pow(2, 5.0/12), loudDB: -19, rate: 5.6, rangeST: 13, pause: 0.05, crestDB: 16.5, loudSD: 9, slope: -0.5, q: arousedQuality}
}

// synthVoiceModel trains a two-class (calm/aroused) model on synthetic speakers, so
// the listener logic is tested independently of the shipped EmoDB weights.
func synthVoiceModel(t testing.TB) *VoiceModel { return synthVoiceModelHidden(t, 0) }

func synthVoiceModelHidden(t testing.TB, hidden int) *VoiceModel {
	t.Helper()
	return synthVoiceModelWith(t, VoiceTrainConfig{Hidden: hidden})
}

// synthVoiceModelWith trains on synthetic calm and aroused speakers; cfg adds to
// the fixed classes and settings.
func synthVoiceModelWith(t testing.TB, cfg VoiceTrainConfig) *VoiceModel {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	jitter := func(u voiceUtt) voiceUtt {
		u.pitchHz *= math.Pow(2, rng.NormFloat64()/12)
		u.loudDB += 1.5 * rng.NormFloat64()
		u.rate *= 1 + 0.08*rng.NormFloat64()
		u.rangeST += 1.2 * rng.NormFloat64()
		u.pause = math.Max(0, u.pause+0.04*rng.NormFloat64())
		return u
	}
	var ex []VoiceExample
	for _, p0 := range []float64{95, 120, 150, 190, 230, 260} {
		b := &VoiceBaseline{}
		for i := 0; i < 3; i++ {
			b.Add(jitter(calm(p0)).features())
		}
		for i := 0; i < 30; i++ {
			ex = append(ex, VoiceExample{Features: jitter(calm(p0)).features(), Baseline: b, Class: 0})
			ex = append(ex, VoiceExample{Features: jitter(aroused(p0)).features(), Baseline: b, Class: 1})
		}
	}
	cfg.Classes, cfg.Categories, cfg.High = []string{"calm", "aroused"}, []Category{Neutral, Angry}, []bool{false, true}
	cfg.Iters, cfg.BaselineS, cfg.Seed = 800, 4, 3
	m, err := TrainVoice(ex, cfg)
	if err != nil {
		t.Fatalf("TrainVoice: %v", err)
	}
	return m
}

func voiceModels(t *testing.T) map[string]*VoiceModel {
	t.Helper()
	def, err := DefaultVoice()
	if err != nil {
		t.Fatalf("DefaultVoice: %v", err)
	}
	return map[string]*VoiceModel{"synthetic": synthVoiceModel(t), "default": def}
}

func TestVoiceListenerJudgesAgainstOwnBaseline(t *testing.T) {
	cases := []struct {
		name        string
		baselineHz  float64
		utt         voiceUtt
		wantAroused bool
		wantCue     string // substring of a cue that must fire ("" = no pitch cue may fire)
	}{
		{"low voice raised", 140, aroused(140), true, "st above caller's baseline"},
		{"high voice raised", 240, aroused(240), true, "st above caller's baseline"},
		// Same absolute pitch as "low voice raised" (140 Hz +5 st = 187 Hz), but this
		// caller always speaks there: no arousal, no pitch cue.
		{"high voice at its baseline", 187, calm(187), false, ""},
		{"low voice at its baseline", 140, calm(140), false, ""},
	}
	for mname, m := range voiceModels(t) {
		for _, tc := range cases {
			t.Run(mname+"/"+tc.name, func(t *testing.T) {
				l := m.NewListener()
				for i := 0; i < 3; i++ { // the caller's first, calm utterances
					if a := l.Listen(calm(tc.baselineHz).features()); !a.Voiced {
						t.Fatalf("baseline utterance %d not voiced", i)
					}
				}
				a := l.Listen(tc.utt.features())
				if !a.Voiced {
					t.Fatal("Voiced = false")
				}
				if got := a.Arousal >= 0.5; got != tc.wantAroused {
					t.Errorf("arousal %.2f, want aroused=%v; cues %+v", a.Arousal, tc.wantAroused, a.Cues)
				}
				pitchCue := findCue(a.Cues, "caller's baseline")
				if tc.wantCue == "" {
					if pitchCue != nil {
						t.Errorf("unexpected pitch cue %+v", *pitchCue)
					}
				} else {
					c := findCue(a.Cues, tc.wantCue)
					if c == nil {
						t.Fatalf("no cue containing %q in %+v", tc.wantCue, a.Cues)
					}
					if c.Kind != "acoustic" || c.Weight <= 0 {
						t.Errorf("pitch cue %+v: want kind acoustic with positive weight", *c)
					}
					if findCue(a.Cues, "loud: +") == nil || findCue(a.Cues, "faster than at the start") == nil {
						t.Errorf("want loudness and tempo cues, got %+v", a.Cues)
					}
				}
				sum := 0.0
				for _, c := range Categories {
					p, ok := a.Scores[c]
					if !ok || p < 0 || p > 1 {
						t.Errorf("score[%v] = %v, %v", c, p, ok)
					}
					sum += p
				}
				if math.Abs(sum-1) > 1e-9 {
					t.Errorf("scores sum to %v", sum)
				}
				if a.Confidence <= 0 || a.Confidence > 1 {
					t.Errorf("confidence %v out of (0, 1]", a.Confidence)
				}
			})
		}
	}
}

func findCue(cs []Cue, sub string) *Cue {
	for i := range cs {
		if strings.Contains(cs[i].Text, sub) {
			return &cs[i]
		}
	}
	return nil
}

func TestVoiceListenerUnvoiced(t *testing.T) {
	m := synthVoiceModel(t)
	nan := calm(150).features()
	nan.PitchMedianHz = math.NaN()
	short := calm(150).features()
	short.VoicedS = 0.1
	for name, f := range map[string]dsp.Features{"empty": {}, "too short": short, "NaN pitch": nan} {
		t.Run(name, func(t *testing.T) {
			l := m.NewListener()
			if a := l.Listen(f); a.Voiced || a.Arousal != 0 || len(a.Cues) != 0 {
				t.Errorf("Listen = %+v, want Voiced=false and nothing else", a)
			}
			// An unvoiced utterance must not become the baseline.
			if lb := l.(*voiceListener).base.VoicedS(); lb != 0 {
				t.Errorf("baseline took %v voiced seconds from an unusable utterance", lb)
			}
		})
	}
}

func TestVoiceListenerStaysAngry(t *testing.T) {
	for mname, m := range voiceModels(t) {
		t.Run(mname, func(t *testing.T) {
			l := m.NewListener()
			for i := 0; i < 3; i++ {
				l.Listen(calm(120).features())
			}
			// A caller who stays angry must keep reading as aroused: aroused speech
			// never moves the baseline.
			for i := 0; i < 15; i++ {
				if a := l.Listen(aroused(120).features()); a.Arousal < 0.5 {
					t.Fatalf("turn %d: arousal %.2f dropped below 0.5", i, a.Arousal)
				}
			}
			// Calm speech later still reads calm.
			if a := l.Listen(calm(120).features()); a.Arousal >= 0.5 {
				t.Errorf("calm after anger: arousal %.2f", a.Arousal)
			}
		})
	}
}

func TestVoiceListenerConfidenceGrowsWithBaseline(t *testing.T) {
	m := synthVoiceModel(t)
	l := m.NewListener()
	first := l.Listen(calm(150).features())
	var later Acoustic
	for i := 0; i < 4; i++ {
		later = l.Listen(calm(150).features())
	}
	if !(first.Confidence < later.Confidence) {
		t.Errorf("first-utterance confidence %.2f should be below settled %.2f", first.Confidence, later.Confidence)
	}
	if findCue(first.Cues, "caller's baseline") != nil {
		t.Errorf("first utterance has no reference but got cues %+v", first.Cues)
	}
}

func TestTrainVoiceSeparatesSyntheticClasses(t *testing.T) {
	m := synthVoiceModel(t)
	rng := rand.New(rand.NewPCG(7, 7))
	correct, n := 0, 0
	for _, p0 := range []float64{105, 175, 245} { // speakers not in training
		b := &VoiceBaseline{}
		for i := 0; i < 3; i++ {
			b.Add(calm(p0 * math.Pow(2, rng.NormFloat64()/12)).features())
		}
		for cls, u := range []voiceUtt{calm(p0), aroused(p0)} {
			for i := 0; i < 20; i++ {
				u.pitchHz *= math.Pow(2, 0.5*rng.NormFloat64()/12)
				p := m.Predict(u.features(), b)
				if argmaxF(p.Class) == cls {
					correct++
				}
				n++
			}
		}
	}
	if acc := float64(correct) / float64(n); acc < 0.95 {
		t.Errorf("accuracy on unseen synthetic speakers %.2f, want >= 0.95", acc)
	}
}

func argmaxF(x []float64) int {
	best := 0
	for i := range x {
		if x[i] > x[best] {
			best = i
		}
	}
	return best
}

func TestVoiceModelRoundTrip(t *testing.T) {
	for _, hidden := range []int{0, 6} {
		testVoiceModelRoundTrip(t, synthVoiceModelHidden(t, hidden))
	}
}

// reloadVoice writes m as a model file and loads it back.
func reloadVoice(t *testing.T, m *VoiceModel) ([]byte, *VoiceModel) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := LoadVoice(b)
	if err != nil {
		t.Fatalf("LoadVoice(own output): %v", err)
	}
	return b, m2
}

func testVoiceModelRoundTrip(t *testing.T, m *VoiceModel) {
	if err := m.SetCalibration(1.3, 0.9, 0.1, "synthetic"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetFamiliarity(0.5); err != nil {
		t.Fatal(err)
	}
	_, m2 := reloadVoice(t, m)
	base := &VoiceBaseline{}
	base.Add(calm(130).features())
	p1, p2 := m.Predict(aroused(130).features(), base), m2.Predict(aroused(130).features(), base)
	if p1.Arousal < 0.5 || p1.Class[1] < 0.5 {
		t.Errorf("model (hidden %d) misjudges an aroused utterance: %+v", len(m.h1), p1)
	}
	if p1.Unfamiliar == 0 || p1.Distance <= 0.5 {
		t.Errorf("model (hidden %d) with a familiarity limit of 0.5 finds an utterance at distance %g unfamiliar %g", len(m.h1), p1.Distance, p1.Unfamiliar)
	}
	if math.Abs(p1.Arousal-p2.Arousal) > 1e-12 || math.Abs(p1.Class[1]-p2.Class[1]) > 1e-12 || m2.About() != "synthetic" ||
		p1.Distance != p2.Distance || p1.Unfamiliar != p2.Unfamiliar {
		t.Errorf("round trip changed the model: %+v vs %+v", p1, p2)
	}
}

// TestVoiceFirstUtteranceHead checks the head for utterances without a baseline:
// it judges exactly those (in Predict and in a listener's first turn), leaves every
// later turn to the model, survives the file round trip, and a file whose head is
// broken or does not fit the model is refused.
func TestVoiceFirstUtteranceHead(t *testing.T) {
	plain := synthVoiceModelWith(t, VoiceTrainConfig{Hidden: 6})
	m := synthVoiceModelWith(t, VoiceTrainConfig{Hidden: 6, FirstUtterance: true, FirstHidden: 9})
	first := m.FirstUtterance()
	if plain.FirstUtterance() != nil || first == nil {
		t.Fatalf("first-utterance heads: %v without FirstUtterance, %v with", plain.FirstUtterance(), first)
	}
	if len(first.h1) != 9 || len(m.h1) != 6 {
		t.Fatalf("hidden units: head %d, model %d; want 9 and 6", len(first.h1), len(m.h1))
	}
	if err := first.SetCalibration(1.2, 1.1, -0.2, ""); err != nil {
		t.Fatal(err)
	}
	f1, f2 := calm(140).features(), aroused(140).features()
	base := &VoiceBaseline{}
	base.Add(f1)
	same := func(what string, got, want VoicePrediction) {
		t.Helper()
		if !slices.Equal(got.Class, want.Class) || got.Arousal != want.Arousal {
			t.Errorf("%s: %+v, want %+v", what, got, want)
		}
	}
	// The model head is trained exactly as without the option.
	same("with a baseline", m.Predict(f2, base), plain.Predict(f2, base))
	same("empty baseline", m.Predict(f2, &VoiceBaseline{}), first.Predict(f2, nil))
	same("nil baseline", m.Predict(f2, nil), first.Predict(f2, nil))
	if p := m.Predict(f2, nil); p.Class[1] < 0.5 || p.Arousal < 0.5 {
		t.Errorf("first-utterance head misjudges an aroused utterance: %+v", p)
	}

	l := m.NewListener()
	if a, want := l.Listen(f1), first.Predict(f1, nil); a.Arousal != want.Arousal || a.Scores[Angry] != want.Class[1] {
		t.Errorf("listener's first turn: arousal %v, angry %v; want the head's %v, %v", a.Arousal, a.Scores[Angry], want.Arousal, want.Class[1])
	}
	if a, want := l.Listen(f2), m.Predict(f2, base); a.Arousal != want.Arousal || a.Scores[Angry] != want.Class[1] {
		t.Errorf("listener's second turn: arousal %v, angry %v; want the model's %v, %v", a.Arousal, a.Scores[Angry], want.Arousal, want.Class[1])
	}

	b, m2 := reloadVoice(t, m)
	same("round trip, empty baseline", m2.Predict(f2, nil), m.Predict(f2, nil))
	same("round trip, baseline", m2.Predict(f2, base), m.Predict(f2, base))

	edit := func(f func(head map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc["first_utterance"].(map[string]any))
		out, _ := json.Marshal(doc)
		return out
	}
	for name, bad := range map[string][]byte{
		"zero temperature": edit(func(h map[string]any) { h["temperature"] = 0 }),
		"other classes":    edit(func(h map[string]any) { h["classes"] = []string{"calm", "furious"} }),
		"other categories": edit(func(h map[string]any) { h["categories"] = []string{"neutral", "sad"} }),
		"nested head":      edit(func(h map[string]any) { h["first_utterance"] = h["mean"] }),
		"nested valid head": edit(func(h map[string]any) {
			var inner map[string]any
			raw, _ := json.Marshal(h)
			_ = json.Unmarshal(raw, &inner)
			h["first_utterance"] = inner
		}),
	} {
		if _, err := LoadVoice(bad); err == nil {
			t.Errorf("%s: LoadVoice accepted it", name)
		}
	}
	if err := m.SetFirstUtterance(m); err == nil {
		t.Error("SetFirstUtterance accepted the model as its own head")
	}
}

func TestLoadVoiceRejectsBrokenFiles(t *testing.T) {
	good, err := json.Marshal(synthVoiceModel(t))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := map[string][]byte{
		"not json":          []byte("{"),
		"empty object":      []byte("{}"),
		"wrong version":     edit(func(m map[string]any) { m["version"] = 2 }),
		"feature list":      edit(func(m map[string]any) { m["features"] = []string{"pitch_st"} }),
		"short weights":     edit(func(m map[string]any) { m["weights"] = [][]float64{{1}, {2}} }),
		"missing class":     edit(func(m map[string]any) { m["classes"] = []string{"calm"} }),
		"zero scale":        edit(func(m map[string]any) { m["scale"] = make([]float64, nVoiceFeatures) }),
		"zero temperature":  edit(func(m map[string]any) { m["temperature"] = 0 }),
		"bad category":      edit(func(m map[string]any) { m["categories"] = []string{"neutral", "furious"} }),
		"negative baseline": edit(func(m map[string]any) { m["baseline_s"] = -1 }),
		"negative familiar": edit(func(m map[string]any) { m["familiar_z"] = -1 }),
		"spread, no prior":  edit(func(m map[string]any) { m["speaker_spread"] = make([]float64, nBase) }),
		"prior, no spread":  edit(func(m map[string]any) { m["speaker_prior_s"] = 4 }),
		"short spread": edit(func(m map[string]any) {
			m["speaker_prior_s"], m["speaker_spread"] = 4, []float64{1}
		}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadVoice(b); err == nil {
				t.Error("LoadVoice accepted a broken model")
			}
		})
	}
}

func FuzzLoadVoice(f *testing.F) {
	f.Add(defaultVoiceJSON)
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := LoadVoice(b)
		if err != nil {
			return
		}
		a := m.NewListener().Listen(calm(150).features())
		if math.IsNaN(a.Arousal) || math.IsNaN(a.Confidence) {
			t.Errorf("accepted model gives NaN: %+v", a)
		}
	})
}

func FuzzVoiceListen(f *testing.F) {
	m, err := DefaultVoice()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(150.0, -20.0, 4.0, 6.0, 1.5, 0.2)
	f.Add(math.Inf(1), math.NaN(), -1.0, 1e300, 0.3, -5.0)
	f.Fuzz(func(t *testing.T, pitch, loud, rate, rng, voiced, pause float64) {
		l := m.NewListener()
		for i := 0; i < 3; i++ {
			u := voiceUtt{pitchHz: pitch, loudDB: loud, rate: rate, rangeST: rng, pause: pause}.features()
			u.VoicedS = voiced
			a := l.Listen(u)
			if math.IsNaN(a.Arousal) || math.IsNaN(a.Confidence) || a.Arousal < 0 || a.Arousal > 1 {
				t.Fatalf("Listen(%+v) = %+v", u, a)
			}
			for c, p := range a.Scores {
				if math.IsNaN(p) {
					t.Fatalf("score %v is NaN", c)
				}
			}
		}
	})
}

func BenchmarkVoiceListen(b *testing.B) {
	m, err := DefaultVoice()
	if err != nil {
		b.Fatal(err)
	}
	utts := []dsp.Features{calm(150).features(), aroused(150).features()}
	// A settled caller: every turn after the baseline, the main head.
	b.Run("settled", func(b *testing.B) {
		l := m.NewListener()
		for i := 0; i < 3; i++ {
			l.Listen(calm(150).features())
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			l.Listen(utts[i&1])
		}
	})
	// A call's first voiced turn: a new listener and the first-utterance head.
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m.NewListener().Listen(utts[i&1])
		}
	})
}

func TestVoiceListenAllMatchesListener(t *testing.T) {
	m := synthVoiceModel(t)
	utts := []dsp.Features{calm(130).features(), {}, calm(130).features(), aroused(130).features()}
	got := m.ListenAll(utts)
	l := m.NewListener()
	if len(got) != len(utts) {
		t.Fatalf("%d readings for %d utterances", len(got), len(utts))
	}
	for i, f := range utts {
		want := l.Listen(f)
		if got[i].Voiced != want.Voiced || got[i].Arousal != want.Arousal || got[i].Confidence != want.Confidence {
			t.Errorf("utterance %d: ListenAll %+v, listener %+v", i, got[i], want)
		}
	}
	if got[1].Voiced || !got[3].Voiced || got[3].Arousal < 0.5 {
		t.Errorf("want the empty utterance unvoiced and the last aroused: %+v", got)
	}
}

// TestVoiceFeatureLayout guards the hand-kept tables of the feature vector: every
// entry has a unique name and a positive minimum spread, so an added feature cannot
// slip in unnamed or be standardised by zero.
func TestVoiceFeatureLayout(t *testing.T) {
	seen := map[string]int{}
	for i, n := range voiceFeatureNames {
		if n == "" {
			t.Errorf("feature %d has no name", i)
		}
		if j, dup := seen[n]; dup {
			t.Errorf("features %d and %d are both %q", j, i, n)
		}
		seen[n] = i
		if !(voiceMinSpread[i] > 0) {
			t.Errorf("feature %q has minimum spread %v", n, voiceMinSpread[i])
		}
	}
	// Each per-coefficient or per-band block starts with entry 1 and ends with its
	// last; the last block ends the vector.
	for _, blk := range []struct {
		at, n int
		name  string
	}{{vMFCCRel, dsp.NumMFCC, "mfcc%d_rel"}, {vMFCCSDRel, dsp.NumMFCC, "mfcc%d_sd_rel"},
		{vMFCCSD, dsp.NumMFCC, "mfcc%d_sd"}, {vMFCCDelta, dsp.NumMFCC, "mfcc%d_delta"},
		{vMFCCDeltaRel, dsp.NumMFCC, "mfcc%d_delta_rel"}, {vMFCCVoicedRel, dsp.NumMFCC, "mfcc%d_voiced_rel"},
		{vBandSD, dsp.NumBands, "band%d_sd"}, {vBandSDRel, dsp.NumBands, "band%d_sd_rel"}} {
		first, last := fmt.Sprintf(blk.name, 1), fmt.Sprintf(blk.name, blk.n)
		if got := voiceFeatureNames[blk.at]; got != first {
			t.Errorf("feature %d is %q, want %q", blk.at, got, first)
		}
		if got := voiceFeatureNames[blk.at+blk.n-1]; got != last {
			t.Errorf("feature %d is %q, want %q", blk.at+blk.n-1, got, last)
		}
	}
	if vBandSDRel+dsp.NumBands != nVoiceFeatures {
		t.Errorf("the last block ends at %d, the vector at %d", vBandSDRel+dsp.NumBands, nVoiceFeatures)
	}
}

// TestSpeakerScale: per-speaker standardisation shrinks the deviations of a caller
// whose voice swings more than the typical speaker's, enlarges those of a flat one,
// and leaves everything alone with an empty baseline or no prior.
func TestSpeakerScale(t *testing.T) {
	var spread [nBase]float64
	spread[bPitchST] = 2 // the typical speaker's utterances sit ±2 st around their baseline
	withPitches := func(st ...float64) *VoiceBaseline {
		b := &VoiceBaseline{}
		for _, v := range st {
			u := calm(100 * math.Exp2(v/12)).features()
			b.Add(u)
		}
		return b
	}
	cases := []struct {
		name  string
		b     *VoiceBaseline
		prior float64
		want  string // "shrink", "grow" or "same"
	}{
		{"expressive caller", withPitches(-6, 6, -6, 6, -6, 6), 1, "shrink"},
		{"flat caller", withPitches(0, 0.1, 0, 0.1, 0, 0.1), 1, "grow"},
		{"empty baseline", &VoiceBaseline{}, 1, "same"},
		{"off", withPitches(-6, 6), 0, "same"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var x [nVoiceFeatures]float64
			x[vPitchST], x[vRangeST] = 3, 7
			speakerScale(&x, tc.b, &spread, tc.prior)
			if x[vRangeST] != 7 {
				t.Errorf("own (not relative) entry changed: %v", x[vRangeST])
			}
			got := "same"
			if x[vPitchST] < 3-1e-9 {
				got = "shrink"
			} else if x[vPitchST] > 3+1e-9 {
				got = "grow"
			}
			if got != tc.want {
				t.Errorf("pitch deviation 3 st became %.3f (%s), want %s", x[vPitchST], got, tc.want)
			}
		})
	}
}

// TestVoiceQualityCues: with a baseline, a drop in alpha ratio reads as a tense voice
// and a drop in HNR as a rough one; a voice that keeps its quality gets neither cue.
func TestVoiceQualityCues(t *testing.T) {
	m := synthVoiceModel(t)
	base := calm(150).features()
	base.AlphaRatioDB, base.HNRDB = 16, 12
	cases := []struct {
		name        string
		alpha, hnr  float64
		tense, hard bool
	}{
		{"same voice", 15.5, 11.5, false, false},
		{"pressed", 9, 11.5, true, false},
		{"rough", 15.5, 8, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := m.NewListener()
			for i := 0; i < 4; i++ {
				l.Listen(base)
			}
			u := base
			u.AlphaRatioDB, u.HNRDB = tc.alpha, tc.hnr
			a := l.Listen(u)
			if got := findCue(a.Cues, "tense, pressed voice") != nil; got != tc.tense {
				t.Errorf("tense cue %v, want %v: %+v", got, tc.tense, a.Cues)
			}
			if got := findCue(a.Cues, "rough, strained voice") != nil; got != tc.hard {
				t.Errorf("rough cue %v, want %v: %+v", got, tc.hard, a.Cues)
			}
		})
	}
}

func TestVoiceArousal(t *testing.T) {
	high := []bool{true, false, true}
	for _, tc := range []struct {
		head  float64
		probs []float64
		want  float64
	}{
		{0.8, []float64{0.5, 0.2, 0.3}, 0.8}, // both heads agree
		{1, []float64{0, 1, 0}, 0.5},         // they disagree: halfway
		{0.2, []float64{0.1, 0.9}, 0.15},     // fewer probabilities than flags
		{0.6, []float64{0.3, 0.3, 0.4}, 0.65},
	} {
		if got := VoiceArousal(tc.head, tc.probs, high); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("VoiceArousal(%v, %v) = %v, want %v", tc.head, tc.probs, got, tc.want)
		}
	}
}
