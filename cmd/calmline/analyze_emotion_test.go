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
