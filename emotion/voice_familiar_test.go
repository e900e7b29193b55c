package emotion

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/internal/repo"
	"github.com/calmline/calmline/tts"
	"github.com/calmline/calmline/tts/espeak"
)

// TestVoiceDistanceAndUnfamiliar pins the guard's arithmetic: the distance is the
// mean |z| of the most extreme used features, and confidence is lost only beyond
// the model's familiarity limit.
func TestVoiceDistanceAndUnfamiliar(t *testing.T) {
	m := &VoiceModel{}
	for i := range m.scale {
		m.scale[i] = 2
		m.mean[i] = 1
	}
	m.aw[0], m.aw[1] = 1, 1 // only two features carry weight: the rest are ignored
	m.markUsed()
	var x [nVoiceFeatures]float64
	for i := range x {
		x[i] = 1e3 // far out, but on unused features
	}
	x[0], x[1] = 5, -3 // z = 2 and -2
	if d := m.distance(&x); math.Abs(d-2) > 1e-12 {
		t.Errorf("distance over two used features = %g, want 2", d)
	}
	for i := range m.used {
		m.used[i] = true
	}
	for i := range x {
		x[i] = 1 // z = 0
	}
	for i := 0; i < voiceDistanceTop+3; i++ {
		x[i] = 1 + 2*float64(i) // z = i
	}
	// The top voiceDistanceTop of 0..10 are 3..10: mean 6.5.
	if d := m.distance(&x); math.Abs(d-6.5) > 1e-12 {
		t.Errorf("distance = %g, want the mean of the 8 largest |z|, 6.5", d)
	}
	x[20] = math.NaN()
	if d := m.distance(&x); !(d > 1e5) || math.IsNaN(d) {
		t.Errorf("distance with a NaN feature = %g, want a large finite value", d)
	}

	for _, tc := range []struct{ limit, d, want float64 }{
		{0, 100, 0}, // no guard in the model
		{4, 1.5, 0}, // a real voice
		{4, 4, 0},   // at the limit
		{4, 5, 1 - 0.8*0.8*0.8*0.8},
		{4, 8, 1 - 1.0/16},
	} {
		if err := m.SetFamiliarity(tc.limit); err != nil {
			t.Fatal(err)
		}
		if got := m.unfamiliar(tc.d); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("limit %g, distance %g: unfamiliar %g, want %g", tc.limit, tc.d, got, tc.want)
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := m.SetFamiliarity(bad); err == nil {
			t.Errorf("SetFamiliarity(%g) accepted", bad)
		}
	}
}

// TestFuseUnfamiliarVoice: a voice unlike any the model learnt from must not raise
// the alarm, neither alone (calmline analyze, a turn the recogniser missed) nor over
// the words; a familiar one keeps its full say.
func TestFuseUnfamiliarVoice(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	angryVoice := func(unfamiliar float64) Acoustic {
		return Acoustic{Voiced: true, Arousal: 0.9, Confidence: 0.8 * (1 - unfamiliar), Unfamiliar: unfamiliar,
			Scores: map[Category]float64{Angry: 0.8, Neutral: 0.1, Satisfied: 0.1}}
	}
	alone := m.Fuse(Reading{}, angryVoice(0))
	if alone.Category != Angry || alone.Level < Moderate {
		t.Fatalf("a familiar angry voice alone reads %s/%s, want angry, at least moderate", alone.Category, alone.Level)
	}
	odd := m.Fuse(Reading{}, angryVoice(0.9))
	if odd.Level > Mild || odd.Confidence >= alone.Confidence || odd.Arousal >= alone.Arousal {
		t.Errorf("an unfamiliar angry voice alone reads %s/%s (confidence %.2f, arousal %.2f), want at most mild and less sure than %.2f/%.2f",
			odd.Category, odd.Level, odd.Confidence, odd.Arousal, alone.Confidence, alone.Arousal)
	}
	none := m.Fuse(Reading{}, angryVoice(1))
	if none.Scores[Angry] > 0.5 || none.Level > Mild {
		t.Errorf("a voice nothing like the training speech reads %s/%s with angry %.2f; want it to carry no verdict", none.Category, none.Level, none.Scores[Angry])
	}

	text := m.Text("I have been waiting for two weeks and nobody called me back.")
	withFamiliar := m.Fuse(text, angryVoice(0))
	withOdd := m.Fuse(text, angryVoice(0.9))
	if withOdd.Intensity >= withFamiliar.Intensity || math.Abs(withOdd.Intensity-text.Intensity) > math.Abs(withFamiliar.Intensity-text.Intensity) {
		t.Errorf("intensity: text %.2f, with a familiar angry voice %.2f, with an unfamiliar one %.2f; want the unfamiliar voice to move it less",
			text.Intensity, withFamiliar.Intensity, withOdd.Intensity)
	}
}

// TestVoiceUnfamiliarSpeech runs the shipped model on what the guard is for and what
// it must leave alone: espeak-ng's formant-synthesised speech (the voice test calls
// use, and a stand-in for any voice unlike the corpus: its MFCC spreads and deltas
// lie 5-10 standard deviations out) loses most of its say, EmoDB's human voices
// (when ../shared is here) keep theirs, through a phone line too.
func TestVoiceUnfamiliarSpeech(t *testing.T) {
	vm, err := DefaultVoice()
	if err != nil {
		t.Fatal(err)
	}
	if vm.familiarZ <= 0 || vm.first == nil || vm.first.familiarZ <= 0 {
		t.Fatalf("shipped model has familiarity limits %g / first-utterance head %v; want both set by trainvoice", vm.familiarZ, vm.first)
	}
	synth, err := espeak.New(espeak.Config{})
	if err != nil {
		t.Skipf("espeak-ng not usable here: %v", err)
	}
	lines := []struct{ lang, text string }{
		{"en", "Hello, I would like to check the status of my order please."},
		{"en", "My order number is one two three four five."},
		{"en", "I have been waiting for two weeks and nobody called me back."},
		{"zh", "你好，我想查一下我的订单。"},
		{"zh", "这个问题已经第三次出现了，你们到底有没有解决方案？"},
	}
	for _, phone := range []bool{false, true} {
		l := vm.NewListener()
		var sum float64
		for _, line := range lines {
			pcm, err := synth.Synthesize(context.Background(), line.text, tts.Voice{Lang: line.lang})
			if err != nil {
				t.Fatalf("synthesize %q: %v", line.text, err)
			}
			if phone {
				if pcm, err = audio.Telephone(pcm); err != nil {
					t.Fatal(err)
				}
			}
			a := l.Listen(dsp.Analyze(pcm, dsp.Config{}).Features)
			if !a.Voiced {
				t.Fatalf("%q: not voiced", line.text)
			}
			sum += a.Unfamiliar
			if a.Unfamiliar >= voiceUnfamiliarCue && !slices.ContainsFunc(a.Cues, func(c Cue) bool { return strings.Contains(c.Text, "unlike the speech") }) {
				t.Errorf("%q: unfamiliar %.2f but no cue says so: %+v", line.text, a.Unfamiliar, a.Cues)
			}
		}
		mean := sum / float64(len(lines))
		t.Logf("espeak-ng speech, phone line %v: unfamiliar %.2f on average", phone, mean)
		if mean < 0.5 {
			t.Errorf("phone line %v: espeak speech unfamiliar %.2f on average, want ≥ 0.5", phone, mean)
		}
	}

	dir, err := repo.Shared("datasets", "emodb", "labels.csv")
	if err != nil {
		t.Log("EmoDB not available, human voices not checked:", err)
		return
	}
	fh, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Every 4th clip, through the phone line, each speaker heard by one listener.
	listeners := map[string]VoiceListener{}
	var n, odd int
	for i, r := range rows[1:] {
		if i%4 != 0 {
			continue
		}
		pcm, err := audio.Load16k(filepath.Join(filepath.Dir(dir), r[0]))
		if err != nil {
			t.Fatal(err)
		}
		if pcm, err = audio.Telephone(pcm); err != nil {
			t.Fatal(err)
		}
		l := listeners[r[1]]
		if l == nil {
			l = vm.NewListener()
			listeners[r[1]] = l
		}
		a := l.Listen(dsp.Analyze(pcm, dsp.Config{}).Features)
		if !a.Voiced {
			continue
		}
		n++
		if a.Unfamiliar > 0.3 {
			odd++
		}
	}
	if n < 80 || odd*50 > n {
		t.Errorf("EmoDB through a phone line: %d of %d human clips lose more than 30%% of their say; want at most 2%%", odd, n)
	}
	t.Logf("EmoDB through a phone line: %d of %d clips lose more than 30%%", odd, n)
}
