package emotion

import (
	"encoding/json"
	"math"
	"math/rand/v2"
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
}

func (u voiceUtt) features() dsp.Features {
	st := u.rangeST
	return dsp.Features{
		DurationS: 2.5, VoicedS: 1.6,
		PitchMeanHz: u.pitchHz * math.Pow(2, 0.3/12), PitchMedianHz: u.pitchHz,
		PitchMinHz: u.pitchHz * math.Pow(2, -st/2/12), PitchMaxHz: u.pitchHz * math.Pow(2, st/2/12),
		PitchRangeST: st, PitchSDST: st / 2.6, PitchSlopeSTPerS: u.slope,
		LoudMeanDB: u.loudDB, LoudSDDB: u.loudSD, LoudMaxDB: u.loudDB + u.crestDB, LoudPeakRate: 2 * u.rate / 4.6,
		Syllables: int(u.rate * 2.5), SpeechRate: u.rate, ArticulationRate: u.rate,
		Pauses: 1, PauseMeanS: u.pause * 2.5, PauseMaxS: u.pause * 2.5, PauseRatio: u.pause,
	}
}

// calm is a speaker at rest; aroused raises pitch, loudness, range and tempo the way
// angry or excited speech does.
func calm(pitchHz float64) voiceUtt {
	return voiceUtt{pitchHz: pitchHz, loudDB: -26, rate: 4.6, rangeST: 10, pause: 0.1, crestDB: 13.8, loudSD: 9.4, slope: -3.5}
}

func aroused(pitchHz float64) voiceUtt {
	return voiceUtt{pitchHz: pitchHz * math.Pow(2, 5.0/12), loudDB: -19, rate: 5.6, rangeST: 13, pause: 0.05, crestDB: 16.5, loudSD: 9, slope: -0.5}
}

// synthVoiceModel trains a two-class (calm/aroused) model on synthetic speakers, so
// the listener logic is tested independently of the shipped EmoDB weights.
func synthVoiceModel(t testing.TB) *VoiceModel { return synthVoiceModelHidden(t, 0) }

func synthVoiceModelHidden(t testing.TB, hidden int) *VoiceModel {
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
	m, err := TrainVoice(ex, VoiceTrainConfig{
		Classes: []string{"calm", "aroused"}, Categories: []Category{Neutral, Angry}, High: []bool{false, true},
		Iters: 800, BaselineS: 4, Hidden: hidden, Seed: 3,
	})
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

func testVoiceModelRoundTrip(t *testing.T, m *VoiceModel) {
	if err := m.SetCalibration(1.3, 0.9, 0.1, "synthetic"); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := LoadVoice(b)
	if err != nil {
		t.Fatalf("LoadVoice(own output): %v", err)
	}
	base := &VoiceBaseline{}
	base.Add(calm(130).features())
	p1, p2 := m.Predict(aroused(130).features(), base), m2.Predict(aroused(130).features(), base)
	if p1.Arousal < 0.5 || p1.Class[1] < 0.5 {
		t.Errorf("model (hidden %d) misjudges an aroused utterance: %+v", len(m.h1), p1)
	}
	if math.Abs(p1.Arousal-p2.Arousal) > 1e-12 || math.Abs(p1.Class[1]-p2.Class[1]) > 1e-12 || m2.About() != "synthetic" {
		t.Errorf("round trip changed the model: %+v vs %+v", p1, p2)
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
	l := m.NewListener()
	for i := 0; i < 3; i++ {
		l.Listen(calm(150).features())
	}
	utts := []dsp.Features{calm(150).features(), aroused(150).features()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Listen(utts[i&1])
	}
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
