package dsp

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/calmline/calmline/internal/repo"

	"github.com/calmline/calmline/audio"
)

// emodbFiles lists EmoDB's WAV files, or skips the test when praat or the data is absent.
func emodbFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := exec.LookPath("praat"); err != nil {
		tb.Skip("praat not on PATH (make deps installs it)")
	}
	sh, err := repo.Shared()
	if err != nil {
		tb.Skip("EmoDB comparison skipped: ", err)
	}
	files, err := filepath.Glob(filepath.Join(sh, "datasets", "emodb", "wav", "*.wav"))
	if err != nil || len(files) == 0 {
		tb.Skip("no EmoDB files under ../shared/datasets/emodb/wav")
	}
	sort.Strings(files)
	return files
}

type praatFrame struct{ t, f0 float64 }

func praatPitch(tb testing.TB, file string) []praatFrame {
	tb.Helper()
	out, err := exec.Command("praat", "--run", filepath.Join("testdata", "pitch.praat"), file).Output()
	if err != nil {
		tb.Fatalf("praat on %s: %v", file, err)
	}
	var fr []praatFrame
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		t, err1 := strconv.ParseFloat(f[0], 64)
		v, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("praat output line %q", sc.Text())
		}
		fr = append(fr, praatFrame{t, v})
	}
	if len(fr) == 0 {
		tb.Fatalf("praat gave no frames for %s", file)
	}
	return fr
}

// agreement counts Praat's frames against ours: both voiced, of those the gross errors
// (F0 more than 20% apart), and frames whose voicing decision agrees.
type agreement struct{ frames, bothVoiced, gross, voicingAgree, onlyOurs, onlyPraat int }

func (a *agreement) add(b agreement) {
	a.frames += b.frames
	a.bothVoiced += b.bothVoiced
	a.gross += b.gross
	a.voicingAgree += b.voicingAgree
	a.onlyOurs += b.onlyOurs
	a.onlyPraat += b.onlyPraat
}
func (a agreement) gpe() float64     { return float64(a.gross) / math.Max(1, float64(a.bothVoiced)) }
func (a agreement) voicing() float64 { return float64(a.voicingAgree) / math.Max(1, float64(a.frames)) }

func compareWithPraat(tb testing.TB, file string) agreement {
	tb.Helper()
	ref := praatPitch(tb, file)
	pcm, err := audio.Load16k(file)
	if err != nil {
		tb.Fatalf("load %s: %v", file, err)
	}
	res := Analyze(pcm, Config{})
	var a agreement
	for _, fr := range ref {
		// Our hops sit on a 10 ms grid; take the nearest.
		i := sort.Search(len(res.Hops), func(i int) bool { return res.Hops[i].T >= fr.t })
		if i > 0 && (i == len(res.Hops) || fr.t-res.Hops[i-1].T < res.Hops[i].T-fr.t) {
			i--
		}
		if i >= len(res.Hops) {
			continue
		}
		ours := float64(res.Hops[i].F0)
		a.frames++
		switch {
		case (ours > 0) == (fr.f0 > 0):
			a.voicingAgree++
		case ours > 0:
			a.onlyOurs++
		default:
			a.onlyPraat++
		}
		if ours > 0 && fr.f0 > 0 {
			a.bothVoiced++
			if math.Abs(ours/fr.f0-1) > 0.2 {
				a.gross++
			}
		}
	}
	return a
}

// Levels asserted on a sample of EmoDB. The targets are GPE ≤ 3% and voicing
// agreement ≥ 90%; BENCHMARKS.md has the full-corpus figures.
const (
	maxGPE        = 0.03
	minVoicingAgr = 0.90
)

func TestPitchAgainstPraat(t *testing.T) {
	files := emodbFiles(t)
	step := max(1, len(files)/20)
	var total agreement
	for i := 0; i < len(files); i += step {
		a := compareWithPraat(t, files[i])
		t.Logf("%s: GPE %.1f%% voicing %.1f%% (%d frames)", filepath.Base(files[i]), 100*a.gpe(), 100*a.voicing(), a.frames)
		total.add(a)
	}
	t.Logf("sample: GPE %.2f%% over %d both-voiced frames, voicing agreement %.2f%% over %d frames (voiced only by us %d, only by Praat %d)",
		100*total.gpe(), total.bothVoiced, 100*total.voicing(), total.frames, total.onlyOurs, total.onlyPraat)
	if total.gpe() > maxGPE {
		t.Errorf("gross pitch error %.2f%% > %.0f%%", 100*total.gpe(), 100*maxGPE)
	}
	if total.voicing() < minVoicingAgr {
		t.Errorf("voicing agreement %.2f%% < %.0f%%", 100*total.voicing(), 100*minVoicingAgr)
	}
}

// BenchmarkPraatAgreementFull compares every EmoDB file with Praat (make bench); the
// metrics are reported as gpe_% and voicing_%.
func BenchmarkPraatAgreementFull(b *testing.B) {
	files := emodbFiles(b)
	for b.Loop() {
		var total agreement
		for _, f := range files {
			total.add(compareWithPraat(b, f))
		}
		b.ReportMetric(100*total.gpe(), "gpe_%")
		b.ReportMetric(100*total.voicing(), "voicing_%")
		b.ReportMetric(float64(total.frames), "frames")
		fmt.Fprintf(os.Stderr, "EmoDB full: %d files, GPE %.2f%% (%d/%d), voicing agreement %.2f%% (%d/%d; voiced only by us %d, only by Praat %d)\n",
			len(files), 100*total.gpe(), total.gross, total.bothVoiced, 100*total.voicing(), total.voicingAgree, total.frames, total.onlyOurs, total.onlyPraat)
	}
}
