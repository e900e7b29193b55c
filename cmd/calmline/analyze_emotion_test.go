package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
