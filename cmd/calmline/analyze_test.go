package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// speechLike writes a WAV of syllable-like harmonic tones (150 ms on, 60 ms off) at rate.
func speechLike(t *testing.T, dir, name string, rate int) string {
	t.Helper()
	var pcm []int16
	silence := func(d float64) { pcm = append(pcm, make([]int16, int(d*float64(rate)))...) }
	silence(0.5)
	phase := 0.0
	for s := 0; s < 8; s++ {
		n := int(0.15 * float64(rate))
		for i := 0; i < n; i++ {
			phase += 2 * math.Pi * 150 / float64(rate)
			var v float64
			for k := 1.0; k <= 10; k++ {
				v += math.Sin(k*phase) / k
			}
			fade := math.Min(1, math.Min(float64(i), float64(n-i))/float64(rate/200))
			pcm = append(pcm, int16(3000*v*fade))
		}
		silence(0.06)
	}
	silence(0.8)
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := audio.WriteWAV(f, pcm, rate); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnalyzeJSON(t *testing.T) {
	dir := t.TempDir()
	good := speechLike(t, dir, "good.wav", 22050)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--frames", good, "--plot", filepath.Join(dir, "p.png")}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	var rep map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"file", "duration_s", "features", "utterances", "frames", "emotion"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	var f dsp.Features
	if err := json.Unmarshal(rep["features"], &f); err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.PitchMedianHz-150) > 3 || f.Syllables < 6 || f.Syllables > 9 {
		t.Errorf("features: median %.1f Hz, %d syllables; want 150 Hz, 8", f.PitchMedianHz, f.Syllables)
	}
	var frames []map[string]any
	if err := json.Unmarshal(rep["frames"], &frames); err != nil {
		t.Fatal(err)
	}
	if len(frames) < 200 || len(frames[0]) != 4 {
		t.Errorf("%d frames, first %v", len(frames), frames[0])
	}
	if st, err := os.Stat(filepath.Join(dir, "p.png")); err != nil || st.Size() < 1000 {
		t.Errorf("plot not written: %v", err)
	}
}

func TestAnalyzeEmotionHook(t *testing.T) {
	dir := t.TempDir()
	good := speechLike(t, dir, "good.wav", 16000)
	cmd := newAnalyzeCmd(func(r *dsp.Result, _ bool) any { return map[string]int{"utterances": len(r.Utterances)} })
	var out, errb bytes.Buffer
	if code := cmd(context.Background(), []string{"--json", good}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"emotion":{"utterances":1}`) {
		t.Errorf("hook output missing: %s", out.String())
	}
}

// TestAnalyzeOneCallerHook checks what the hook is told: every file is a new caller,
// unless --one-caller makes each file after the first continue the caller.
func TestAnalyzeOneCallerHook(t *testing.T) {
	dir := t.TempDir()
	a, b := speechLike(t, dir, "a.wav", 16000), speechLike(t, dir, "b.wav", 16000)
	for _, tc := range []struct {
		args []string
		want []bool
	}{
		{[]string{"--json", a, b, a}, []bool{false, false, false}},
		{[]string{"--json", "--one-caller", a, b, a}, []bool{false, true, true}},
		{[]string{"--json", a, "--one-caller"}, []bool{false}},
	} {
		var got []bool
		cmd := newAnalyzeCmd(func(_ *dsp.Result, same bool) any { got = append(got, same); return nil })
		var out, errb bytes.Buffer
		if code := cmd(context.Background(), tc.args, nil, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: hook told same caller %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestAnalyzeBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := speechLike(t, dir, "good.wav", 8000)
	silent := filepath.Join(dir, "silent.wav")
	f, _ := os.Create(silent)
	_ = audio.WriteWAV(f, make([]int16, 16000), 16000)
	f.Close()
	var hdr bytes.Buffer
	_ = audio.WriteWAV(&hdr, nil, 16000)
	empty := writeFile(t, dir, "empty.wav", hdr.Bytes())
	huge := append([]byte(nil), hdr.Bytes()...)
	binary.LittleEndian.PutUint32(huge[40:], 0x70000000) // claims 1.8 GB of data (2 GB and up means "streamed")
	adpcm := append([]byte(nil), hdr.Bytes()...)
	binary.LittleEndian.PutUint16(adpcm[20:], 2)
	bad := map[string]string{
		writeFile(t, dir, "text.wav", []byte("hello, I am not a WAV file")): "not a WAV",
		writeFile(t, dir, "trunc.wav", hdr.Bytes()[:20]):                    "truncated",
		writeFile(t, dir, "huge.wav", huge):                                 "longer than the limit",
		writeFile(t, dir, "adpcm.wav", adpcm):                               "unsupported",
		empty:                                                               "no audio samples",
		silent:                                                              "no speech found",
		filepath.Join(dir, "missing.wav"):                                   "no such file",
	}
	args := []string{"analyze", "--json"}
	for p := range bad {
		args = append(args, p)
	}
	args = append(args, good)
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, nil, &out, &errb); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for p, msg := range bad {
		if !strings.Contains(errb.String(), p+": ") || !strings.Contains(errb.String(), msg) {
			t.Errorf("stderr lacks %q for %s:\n%s", msg, filepath.Base(p), errb.String())
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 || !strings.Contains(out.String(), "good.wav") {
		t.Errorf("the good file was not analysed alone: %q", out.String())
	}
}

func TestAnalyzeUsageAndProgress(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"analyze"}, nil, &out, &errb); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"analyze", "--progress", "maybe", "x.wav"}, nil, &out, &errb); code != 2 {
		t.Errorf("bad --progress: exit %d, want 2", code)
	}
	dir := t.TempDir()
	good := speechLike(t, dir, "good.wav", 16000)
	errb.Reset()
	if code := run(context.Background(), []string{"analyze", "--progress", "on", good, good}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "] 2/2") {
		t.Errorf("no progress bar: %q", errb.String())
	}
}
