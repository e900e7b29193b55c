package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/internal/repo"
	"github.com/calmline/calmline/telephony"
)

func TestAnalyzeJSONCarriesEmotion(t *testing.T) {
	pcm := speech(t, "en-us", "Where is my parcel? I have been waiting for two weeks now.")
	p := filepath.Join(t.TempDir(), "caller.wav")
	f, _ := os.Create(p)
	audio.WriteWAV(f, pcm, telephony.SampleRate)
	f.Close()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"analyze", "--json", p}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Emotion map[string]json.RawMessage `json:"emotion"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"text", "category", "level", "confidence", "arousal", "valence", "scores", "cues", "lang"} {
		if _, ok := rep.Emotion[k]; !ok {
			t.Errorf("emotion lacks %q: %s", k, out.String())
		}
	}
	var cat emotion.Category
	if err := json.Unmarshal(rep.Emotion["category"], &cat); err != nil {
		t.Errorf("category %s: %v", rep.Emotion["category"], err)
	}
	var v voiceLine
	if err := json.Unmarshal(rep.Emotion["voice"], &v); err != nil {
		t.Fatalf("voice %s: %v", rep.Emotion["voice"], err)
	}
	voice, err := emotion.DefaultVoice()
	if err != nil {
		t.Fatal(err)
	}
	sum, best := 0.0, ""
	for _, c := range voice.Classes() {
		p, ok := v.Classes[c]
		if !ok {
			t.Errorf("voice classes lack %q: %v", c, v.Classes)
		}
		sum += p
		if best == "" || p > v.Classes[best] {
			best = c
		}
	}
	if len(v.Classes) != len(voice.Classes()) || sum < 0.99 || sum > 1.01 {
		t.Errorf("voice classes %v: want the model's %d classes summing to 1 (sum %.3f)", v.Classes, len(voice.Classes()), sum)
	}
	if v.Class != best || v.Confidence != v.Classes[best] {
		t.Errorf("voice class %q at %.3f, but the most likely class is %q at %.3f", v.Class, v.Confidence, best, v.Classes[best])
	}
}

// TestAnalyzeVoiceClassesNameEmoDB checks that the voice field names the model's
// classes in the right order: on one EmoDB speaker's clips (which the shipped model
// was trained on, so this is no accuracy figure; BENCHMARKS.md has those) the voice
// class must mostly agree with the file's label. Mixed-up class names would leave
// it near chance (1/7).
func TestAnalyzeVoiceClassesNameEmoDB(t *testing.T) {
	labels, err := repo.Shared("datasets", "emodb", "labels.csv")
	if err != nil {
		t.Skip("EmoDB not available:", err)
	}
	names := map[byte]string{'W': "anger", 'L': "boredom", 'E': "disgust", 'A': "fear", 'F': "happiness", 'T': "sadness", 'N': "neutral"}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(labels), "wav", "16*.wav"))
	if len(files) < 30 {
		t.Fatalf("%d clips of speaker 16, want 30 or more", len(files))
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"analyze", "--json", "--one-caller", "--progress", "off"}, files...), nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	type report struct {
		File    string `json:"file"`
		Emotion struct {
			Voice *voiceLine `json:"voice"`
		} `json:"emotion"`
	}
	right, n := 0, 0
	for dec := json.NewDecoder(&out); dec.More(); {
		var r report
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		if r.Emotion.Voice == nil {
			t.Errorf("%s: no voice verdict", r.File)
			continue
		}
		n++
		if r.Emotion.Voice.Class == names[filepath.Base(r.File)[5]] {
			right++
		}
	}
	if n != len(files) || right*10 < n*7 {
		t.Errorf("voice class agrees with the label on %d of %d clips (of %d files), want 70%% or more", right, n, len(files))
	}
	t.Logf("voice class agrees with the label on %d of %d of the training speaker's clips", right, n)
}

// TestAnalyzeOneCaller runs the real hook on one caller's calm turn and then a
// raised one (espeak-ng, pitch 50 and then 95): as separate callers each file is a
// first utterance, with nothing to compare with, so no cue says the pitch rose; with
// --one-caller the second is judged against the first and says so.
func TestAnalyzeOneCaller(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed (make deps installs it)")
	}
	dir := t.TempDir()
	say := func(name, pitch string) string {
		p := filepath.Join(dir, name)
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-p", pitch, "-w", p,
			"I have called three times about this order and nobody has helped me.").CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, out)
		}
		return p
	}
	calm, raised := say("calm.wav", "50"), say("raised.wav", "95")
	raisedCues := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"analyze", "--json"}, args...), nil, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		type report struct {
			Emotion struct {
				Cues []emotion.Cue `json:"cues"`
			} `json:"emotion"`
		}
		var reps []report
		for dec := json.NewDecoder(&out); dec.More(); {
			var r report
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			reps = append(reps, r)
		}
		if len(reps) != 2 {
			t.Fatalf("%v: %d readings, want 2", args, len(reps))
		}
		for _, c := range reps[1].Emotion.Cues {
			if strings.Contains(c.Text, "above caller's baseline") {
				return c.Text
			}
		}
		return ""
	}
	if c := raisedCues(calm, raised); c != "" {
		t.Errorf("two callers: the raised file has the cue %q, but it had nothing to compare with", c)
	}
	if c := raisedCues("--one-caller", calm, raised); c == "" {
		t.Error("one caller: the raised file has no cue saying the pitch rose above the calm file's")
	} else {
		t.Logf("one caller, raised file: %s", c)
	}
}
