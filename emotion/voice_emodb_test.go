package emotion

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/calmline/calmline/internal/repo"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// sharedEmoDB finds ../shared/datasets/emodb next to the module root, or skips.
func sharedEmoDB(t *testing.T) string {
	t.Helper()
	emodb, err := repo.Shared("datasets", "emodb", "labels.csv")
	if err != nil {
		t.Skip("EmoDB not available:", err)
	}
	return filepath.Dir(emodb)
}

// TestVoiceEmoDBSampleLOSO trains on a stratified sample of EmoDB speakers and scores
// the held-out speaker, with that speaker's baseline taken from 4 of their sampled
// clips that are then not scored (as a live call's first utterances). It guards the
// whole chain (WAV loading, dsp features, baseline, training) against regressions.
// The thresholds sit well below what this sample measured (see BENCHMARKS.md) and
// far above chance (1/7 = 14% for classes, 50% for arousal).
func TestVoiceEmoDBSampleLOSO(t *testing.T) {
	if testing.Short() {
		t.Skip("EmoDB sample LOSO skipped in -short mode")
	}
	dir := sharedEmoDB(t)
	classes := []string{"anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"}
	cats := []Category{Angry, Neutral, Angry, Anxious, Satisfied, Neutral, Sad}
	high := []bool{true, false, false, true, true, false, false}
	fh, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("read labels.csv: %v", err)
	}
	type clip struct {
		file  string
		class int
		f     dsp.Features
	}
	// 2 clips per class per speaker, 7 speakers: ~95 files, a few seconds of dsp.
	bySpk := map[string][]clip{}
	perClass := map[[2]string]int{}
	rng := rand.New(rand.NewPCG(42, 4))
	body := rows[1:]
	rng.Shuffle(len(body), func(i, j int) { body[i], body[j] = body[j], body[i] })
	for _, r := range body {
		if len(r) < 7 {
			t.Fatalf("labels.csv row %v: want 8 columns", r)
		}
		file, spk, emo := r[0], r[1], r[6]
		c := -1
		for i, n := range classes {
			if n == emo {
				c = i
			}
		}
		if c < 0 || perClass[[2]string{spk, emo}] >= 2 {
			continue
		}
		perClass[[2]string{spk, emo}]++
		pcm, err := audio.Load16k(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("load %s: %v", file, err)
		}
		f := dsp.Analyze(pcm, dsp.Config{}).Features
		bySpk[spk] = append(bySpk[spk], clip{file, c, f})
	}
	spks := make([]string, 0, len(bySpk))
	for s := range bySpk {
		spks = append(spks, s)
	}
	sort.Strings(spks)
	cfg := VoiceTrainConfig{Classes: classes, Categories: cats, High: high, Iters: 800, Exclude: []string{"loud_db"}, FirstUtterance: true}
	var n, correct, arN, arOK int
	// First utterances (no baseline) of every held-out clip, by the first-utterance
	// head and by the model itself (as before the head existed).
	var nFirst, firstOK, modelOK int
	for _, test := range spks {
		var ex []VoiceExample
		for _, s := range spks {
			if s == test {
				continue
			}
			b := &VoiceBaseline{}
			for _, c := range bySpk[s][:4] {
				b.Add(c.f)
			}
			for _, c := range bySpk[s] {
				ex = append(ex, VoiceExample{Features: c.f, Baseline: b, Class: c.class})
			}
		}
		m, err := TrainVoice(ex, cfg)
		if err != nil {
			t.Fatalf("fold %s: %v", test, err)
		}
		b := &VoiceBaseline{}
		for _, c := range bySpk[test][:4] {
			b.Add(c.f)
		}
		alone := *m
		alone.first = nil
		for _, c := range bySpk[test] {
			nFirst++
			if argmaxF(m.Predict(c.f, nil).Class) == c.class {
				firstOK++
			}
			if argmaxF(alone.Predict(c.f, nil).Class) == c.class {
				modelOK++
			}
		}
		for _, c := range bySpk[test][4:] {
			p := m.Predict(c.f, b)
			n++
			if argmaxF(p.Class) == c.class {
				correct++
			}
			if classes[c.class] != "disgust" {
				arN++
				if (p.Arousal >= 0.5) == high[c.class] {
					arOK++
				}
			}
		}
	}
	acc, arAcc := float64(correct)/float64(n), float64(arOK)/float64(arN)
	t.Logf("EmoDB sample, %d speakers, %d scored clips: 7-class %.1f%%, arousal %.1f%%", len(spks), n, 100*acc, 100*arAcc)
	firstAcc, modelAcc := float64(firstOK)/float64(nFirst), float64(modelOK)/float64(nFirst)
	t.Logf("first utterances (no baseline), %d clips: 7-class %.1f%% by the first-utterance head, %.1f%% by the model itself", nFirst, 100*firstAcc, 100*modelAcc)
	if acc < minSampleAcc {
		t.Errorf("7-class accuracy %.1f%% below %.0f%% (chance 14%%)", 100*acc, 100*minSampleAcc)
	}
	if arAcc < minSampleArousal {
		t.Errorf("arousal accuracy %.1f%% below %.0f%% (chance 50%%)", 100*arAcc, 100*minSampleArousal)
	}
	if firstAcc < minSampleFirst {
		t.Errorf("first-utterance accuracy %.1f%% below %.0f%% (the model without the head: %.1f%%)", 100*firstAcc, 100*minSampleFirst, 100*modelAcc)
	}
}

// Thresholds for the sample test. Measured on this sample (seeded, so repeatable):
// with prosody-only features (dsp at 1ebb896) 7-class 36.4%, arousal 86.2%; with dsp's
// spectral, voice-quality and temporal features 56.1% and 91.4% over 66 scored clips (chance 14%
// and 50%; the current features and model: 56.1% and 96.6%). The 7-class floor sits above what
// prosody alone ever reached, so losing the spectral features fails the test. First
// utterances: 51.1% by the first-utterance head, 40.4% by the model itself over 94 clips; the
// floor sits above the latter, so losing the head fails the test.
const (
	minSampleAcc     = 0.45
	minSampleArousal = 0.80
	minSampleFirst   = 0.45
)
