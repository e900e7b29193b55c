package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmline/calmline/emotion"
)

func TestEmotionCommand(t *testing.T) {
	in := "这个问题已经第三次出现了，你们到底有没有解决方案？\n\nI don't understand what you mean\n"
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"emotion"}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (blank skipped), got %d: %s", len(lines), out.String())
	}
	want := []struct{ cat, lang string }{{"angry", "zh"}, {"confused", "en"}}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d not JSON: %v", i, err)
		}
		for _, k := range []string{"text", "category", "level", "confidence", "arousal", "valence", "scores", "cues", "lang"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks key %q: %s", i, k, l)
			}
		}
		if len(m) != 9 {
			t.Errorf("line %d has extra keys: %s", i, l)
		}
		if m["category"] != want[i].cat || m["lang"] != want[i].lang {
			t.Errorf("line %d: %v/%v, want %v/%v", i, m["category"], m["lang"], want[i].cat, want[i].lang)
		}
	}
}

func TestEmotionRefitCommand(t *testing.T) {
	dir := t.TempDir()
	m, err := emotion.Default()
	if err != nil {
		t.Fatal(err)
	}
	var labels bytes.Buffer
	for _, l := range []emotion.Label{
		{Reading: m.Text("I want to cancel, this is the third time"), Category: emotion.Angry},
		{Text: "我不明白", Category: emotion.Confused},
		{Text: "could you check my balance", Category: emotion.Neutral},
	} {
		b, _ := json.Marshal(l)
		labels.Write(append(b, '\n'))
	}
	lf := filepath.Join(dir, "labels.jsonl")
	wf := filepath.Join(dir, "fusion.json")
	if err := os.WriteFile(lf, labels.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"emotion", "refit", "--labels", lf, "--out", wf}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "category accuracy: before") || !strings.Contains(out.String(), "labels: 3") {
		t.Errorf("report: %s", out.String())
	}
	// the written weights load back into `calmline emotion --fusion`
	out.Reset()
	if code := run(context.Background(), []string{"emotion", "--fusion", wf}, strings.NewReader("hello\n"), &out, &errb); code != 0 {
		t.Fatalf("emotion --fusion: exit %d: %s", code, errb.String())
	}

	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{not json\n"), 0o644)
	for _, args := range [][]string{
		{"emotion", "refit"},
		{"emotion", "refit", "--labels", filepath.Join(dir, "missing")},
		{"emotion", "refit", "--labels", bad},
		{"emotion", "--fusion", bad},
		{"emotion", "--nope"},
	} {
		errb.Reset()
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}
