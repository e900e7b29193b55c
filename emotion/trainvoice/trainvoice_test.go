package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

func TestReadLabels(t *testing.T) {
	cases := []struct {
		name, csv string
		want      int    // rows, when no error
		wantErr   string // substring of the error
	}{
		{"ok", "file,speaker,emotion\nwav/a.wav,03,anger\nwav/b.wav,08,sadness\n", 2, ""},
		{"empty", "", 0, "header"},
		{"header only", "file,speaker,emotion\n", 0, "no rows"},
		{"missing column", "file,speaker\nwav/a.wav,03\n", 0, `no "emotion" column`},
		{"unknown emotion", "file,speaker,emotion\nwav/a.wav,03,rage\n", 0, "unknown emotion"},
		{"ragged row", "file,speaker,emotion\nwav/a.wav,03\n", 0, "read labels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readLabels(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %d rows, %v; want %d", len(got), err, tc.want)
			}
			if got[0].Class != classIndex("anger") || got[1].Speaker != "08" {
				t.Errorf("rows parsed wrong: %+v", got)
			}
		})
	}
}

func TestComputeMetrics(t *testing.T) {
	anger, happy, sad, disg := classIndex("anger"), classIndex("happiness"), classIndex("sadness"), classIndex("disgust")
	mk := func(class, pred int, arousal float64) outcome {
		l := emotion.VoiceLogits{Class: make([]float64, len(classNames))}
		l.Class[pred] = 5
		return outcome{class: class, pred: pred, arousal: arousal, logits: l}
	}
	outs := []outcome{
		mk(anger, anger, 0.9), // correct, aroused
		mk(anger, happy, 0.8), // anger missed (fn); angry vs satisfied
		mk(happy, anger, 0.7), // anger false positive
		mk(sad, sad, 0.2),     // correct, calm
		mk(disg, anger, 0.9),  // wrong class, same calmline category (angry); excluded from arousal
	}
	m := computeMetrics(outs, 1, 1, 0)
	// 2 of 5 classes right; 3 of 5 calmline categories (anger, sadness, disgust->angry).
	if m.acc != 2.0/5 || m.catAcc != 3.0/5 {
		t.Errorf("acc %v catAcc %v, want 0.4 and 0.6", m.acc, m.catAcc)
	}
	// Arousal over the 4 non-disgust clips: all 4 on the right side of 0.5.
	if m.arousalAcc != 1 {
		t.Errorf("arousal accuracy %v, want 1", m.arousalAcc)
	}
	// Anger: tp 1, fp 2 (happiness, disgust), fn 1 → F1 = 2/(2+3) = 0.4.
	if math.Abs(m.angerF1-0.4) > 1e-12 {
		t.Errorf("anger F1 %v, want 0.4", m.angerF1)
	}
	if m.confusion[anger][happy] != 1 || m.confusion[disg][anger] != 1 {
		t.Errorf("confusion %v", m.confusion)
	}
}

func TestTestBaselineExcludesReferenceClips(t *testing.T) {
	var cs []clip
	for i, e := range []string{"neutral", "neutral", "neutral", "neutral", "anger", "anger", "sadness", "fear"} {
		cs = append(cs, clip{File: string(rune('a' + i)), Class: classIndex(e)})
	}
	for _, tc := range []struct {
		scheme string
		scored int
	}{{schemeAll, 8}, {schemeNone, 8}, {schemeNeutral, 5}, {schemeRandom, 3}} {
		_, scored := testBaseline(cs, tc.scheme, randFor(1))
		if len(scored) != tc.scored {
			t.Errorf("%s: %d scored clips, want %d", tc.scheme, len(scored), tc.scored)
		}
	}
}

func randFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// TestApplyChannelCopies: every channel scores each recording exactly once, on the
// channel's audio, and the training copies (phone band, other speeds) are what the
// channel trains on, each group marked so it gets baselines of its own.
func TestApplyChannelCopies(t *testing.T) {
	mk := func(v float64) dsp.Features { return dsp.Features{DurationS: v} }
	base := clip{File: "a", Speaker: "03", F: mk(1), Phone: mk(2),
		Copies: map[string]measured{"speed 0.9": {Wide: mk(3), Phone: mk(4)}}}
	cases := []struct {
		channel  string
		test     float64            // DurationS of the scored features
		copies   map[string]float64 // training copy → DurationS of its features
		trainOwn float64            // DurationS the recording itself is trained on
	}{
		{channelWide, 1, map[string]float64{"speed 0.9": 3}, 1},
		{channelPhoneTest, 2, map[string]float64{"speed 0.9": 3}, 1},
		{channelPhone, 2, map[string]float64{"speed 0.9 phone": 4}, 2},
		{channelMixed, 2, map[string]float64{"phone": 2, "speed 0.9": 3, "speed 0.9 phone": 4}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.channel, func(t *testing.T) {
			bySpk := map[string][]clip{"03": {base}}
			if err := applyChannel(bySpk, tc.channel, []string{"speed 0.9"}); err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, c := range bySpk["03"] {
				if c.Copy == "" {
					if c.F.DurationS != tc.trainOwn {
						t.Errorf("recording trained on %v, want %v", c.F.DurationS, tc.trainOwn)
					}
					continue
				}
				got[c.Copy] = c.F.DurationS
			}
			if len(got) != len(tc.copies) {
				t.Errorf("copies %v, want %v", got, tc.copies)
			}
			for k, v := range tc.copies {
				if got[k] != v {
					t.Errorf("copy %q trained on %v, want %v", k, got[k], v)
				}
			}
			scored := testView(bySpk["03"])
			if len(scored) != 1 || scored[0].F.DurationS != tc.test {
				t.Errorf("scored %+v, want one clip measured %v", scored, tc.test)
			}
		})
	}
	if err := applyChannel(map[string][]clip{}, "radio", nil); err == nil {
		t.Error("unknown channel accepted")
	}
}

func TestParseSpeeds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []float64 // nil with ok false: an error
		ok   bool
	}{
		{"0.9,1.1", []float64{0.9, 1.1}, true},
		{" 0.9 , 1.1", []float64{0.9, 1.1}, true},
		{"", nil, true}, // no augmentation
		{"1", nil, false},
		{"0.5", nil, false},
		{"0.9,1.4", nil, false},
		{"fast", nil, false},
		{"NaN", nil, false},
		{"0.9,", nil, false},
	} {
		got, err := parseSpeeds(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parseSpeeds(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if k := speedKey(0.9); k != "0.9" {
		t.Errorf("speedKey(0.9) = %q", k)
	}
}

// TestCrops: both crops hold the stated fraction of the speech, from its start and
// from its end, with the silence around it left out.
func TestCrops(t *testing.T) {
	pcm := make([]int16, 1000) // 100 samples of silence, 800 of "speech", 100 of silence
	for i := 100; i < 900; i++ {
		pcm[i] = int16(1000 + i)
	}
	pcm[50] = 100 // a click below the silence level does not count as speech
	got := crops(pcm, 0.6)
	for i, want := range [][2]int16{{1100, 1579}, {1420, 1899}} {
		c := got[i]
		if len(c) != 480 || c[0] != want[0] || c[len(c)-1] != want[1] {
			t.Errorf("crop %d: %d samples from %d to %d, want 480 from %d to %d", i, len(c), c[0], c[len(c)-1], want[0], want[1])
		}
	}
	if got := crops(make([]int16, 10), 0.6); len(got[0]) != 0 || len(got[1]) != 0 {
		t.Errorf("silent clip cropped to %v", got)
	}
	names := augmentation{speeds: []float64{0.9}, crop: 0.6}.copyNames()
	if !slices.Equal(names, []string{"speed 0.9", "crop 0.6 head", "crop 0.6 tail"}) {
		t.Errorf("copyNames = %q", names)
	}
	for _, tc := range []struct {
		in float64
		ok bool
	}{{0, true}, {0.6, true}, {0.3, true}, {0.9, true}, {0.2, false}, {1, false}, {-0.5, false}} {
		if _, err := parseCrop(tc.in); (err == nil) != tc.ok {
			t.Errorf("parseCrop(%g): err %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// TestRunRejectsBadFlags checks that settings are refused before any data is read.
func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-first-hidden", "-1"},
		{"-first-hidden", "300"},
		{"-crop", "2"},
		{"-augment", "fast"},
		{"-grid-l2", "0"},
		{"-grid-hidden", "x"},
	} {
		var out, errb strings.Builder
		if code := run(append(args, "-data", t.TempDir()), &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}

// TestLOSOWorkersSameFigures: scoring held-out speakers side by side must give the
// same outcomes, in the same order, as one at a time (on a small synthetic corpus
// whose classes differ in pitch, level and rate).
func TestLOSOWorkersSameFigures(t *testing.T) {
	rng := randFor(7)
	bySpk := map[string][]clip{}
	for _, spk := range []string{"03", "08", "10", "11"} {
		for class := range classNames {
			for k := 0; k < 4; k++ {
				f := dsp.Features{DurationS: 2, VoicedS: 1.2, PitchMedianHz: 110 + 15*float64(class) + 10*rng.Float64(),
					PitchRangeST: 3 + float64(class%3) + rng.Float64(), LoudSDDB: 4 + float64(class%2) + rng.Float64(),
					SpeechRate: 3 + 0.3*float64(class) + 0.2*rng.Float64(), ArticulationRate: 4 + 0.2*rng.Float64()}
				bySpk[spk] = append(bySpk[spk], clip{File: spk + string(rune('a'+class)) + string(rune('0'+k)), Speaker: spk, Class: class, F: f})
			}
		}
	}
	if err := applyChannel(bySpk, channelWide, nil); err != nil {
		t.Fatal(err)
	}
	cfg := emotion.VoiceTrainConfig{Classes: classNames, Categories: classCats, High: classHigh, Iters: 60, Seed: 1,
		Hidden: 8, FirstUtterance: true, FirstHidden: 8}
	one, err := loso(bySpk, cfg, "mixed", 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	three, err := loso(bySpk, cfg, "mixed", 2, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for s, r := range one {
		if len(r.outs)+len(r.live) == 0 {
			t.Errorf("%s: nothing scored", s)
		}
		if !slices.EqualFunc(r.outs, three[s].outs, func(a, b outcome) bool {
			return a.class == b.class && a.pred == b.pred && a.arousal == b.arousal && slices.Equal(a.logits.Class, b.logits.Class)
		}) || !slices.Equal(r.live, three[s].live) {
			t.Errorf("%s: outcomes differ between 1 and 3 workers", s)
		}
	}
	// A fold's error names its speaker.
	_, err = eachFold(bySpk, 2, func(fold int, test string, _ map[string][]clip, _ map[string]*evalResult) error {
		if test == "10" {
			return os.ErrInvalid
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "fold 10") {
		t.Errorf("err = %v, want the failing fold named", err)
	}
}

// TestPrintLive checks the live listener's row: calmline categories merge anger
// with disgust, the 7-class columns do not, and turns before `from` are skipped.
func TestPrintLive(t *testing.T) {
	anger, disgust, neutral := 0, 2, 5 // indices into classNames
	outs := []liveOutcome{
		{class: anger, turn: 0, voiced: true, cat: emotion.Angry, class7: "anger", arousal: 0.9},       // skipped by from 1
		{class: anger, turn: 1, voiced: true, cat: emotion.Angry, class7: "anger", arousal: 0.9},       // right both ways
		{class: disgust, turn: 2, voiced: true, cat: emotion.Angry, class7: "anger", arousal: 0.7},     // right category, wrong class
		{class: neutral, turn: 3, voiced: true, cat: emotion.Neutral, class7: "neutral", arousal: 0.2}, // right both ways
		{class: neutral, turn: 4, voiced: false},
	}
	var b strings.Builder
	printLive(&b, outs, 1)
	// 3 voiced turns: categories 3/3, arousal 2/2 (disgust is left out), angry F1 1
	// (2 tp); 7-class 2/3, anger F1 2·1/(2·1+1) = 0.667; one unvoiced turn.
	want := "| turns >= 2 |    3 | 100.0% | 100.0% | 1.000 |  66.7% | 0.667 | 1 |\n"
	if b.String() != want {
		t.Errorf("printLive =\n%q, want\n%q", b.String(), want)
	}
}
