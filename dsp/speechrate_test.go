package dsp

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/calmline/calmline/audio"
)

// Sentences with their syllable counts, counted by hand from the dictionary
// syllabification.
var rateSentences = []struct {
	text      string
	syllables int
}{
	{"The quick brown fox jumps over the lazy dog.", 11},
	{"I would like to speak to somebody about my bill please.", 14},
	{"My internet connection has been down since yesterday morning.", 16},
	{"Can you tell me when the technician will arrive?", 12},
}

// TestSpeechRateEspeak synthesises the sentences with espeak-ng at four speaking rates:
// the syllable count must be within 20% of the truth at every rate, and the measured
// rate must rise with the set rate.
func TestSpeechRateEspeak(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not on PATH (make deps installs it)")
	}
	dir := t.TempDir()
	prev := 0.0
	for _, wpm := range []int{120, 170, 220, 270} {
		var found, truth int
		var dur float64
		for i, s := range rateSentences {
			p := filepath.Join(dir, fmt.Sprintf("s%d_%d.wav", wpm, i))
			if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", fmt.Sprint(wpm), "-w", p, s.text).CombinedOutput(); err != nil {
				t.Fatalf("espeak-ng: %v: %s", err, out)
			}
			pcm, err := audio.Load16k(p)
			if err != nil {
				t.Fatal(err)
			}
			f := Analyze(pcm, Config{}).Features
			found += f.Syllables
			truth += s.syllables
			dur += f.DurationS
		}
		measured, want := float64(found)/dur, float64(truth)/dur
		t.Logf("espeak -s %d: %d of %d syllables, %.2f syl/s measured, %.2f true", wpm, found, truth, measured, want)
		if math.Abs(measured/want-1) > 0.2 {
			t.Errorf("-s %d: %.2f syl/s, truth %.2f (more than 20%% off)", wpm, measured, want)
		}
		if measured <= prev {
			t.Errorf("-s %d: rate %.2f did not rise above %.2f", wpm, measured, prev)
		}
		prev = measured
	}
}
