package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
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
	if !strings.Contains(out.String(), "on the labels fitted to: category accuracy") || !strings.Contains(out.String(), "labels: 3") ||
		!strings.Contains(out.String(), "too few labels to hold any out") {
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
		{"emotion", "refit", "--labels", lf, "--store"},
		{"emotion", "refit", "--labels", lf, "--since", "2026-01-01"},
		{"emotion", "refit", "--store", "--config", filepath.Join(dir, "missing.yaml")},
		{"emotion", "refit", "--store", "--since", "yesterday"},
		{"emotion", "--fusion", bad},
		{"emotion", "--nope"},
	} {
		errb.Reset()
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}

// TestEmotionRefitFromStore closes the loop an operator runs: corrections given
// through the API sit in the store with the readings they correct; refit --store
// learns from them, checks itself on held-out labels, writes weights, and the
// server loads them from emotion.fusion.
func TestEmotionRefitFromStore(t *testing.T) {
	dir := t.TempDir()
	flows, _ := filepath.Abs("../../config/flows")
	cfgPath := filepath.Join(dir, "calmline.yaml")
	body := "listen: 127.0.0.1:0\ndata_dir: " + dir + "\nflows: [" + flows + "]\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := emotion.Default()
	if err != nil {
		t.Fatal(err)
	}
	// Ordinary requests that say "still" or "again", which operators found read
	// too hot, corrected to neutral; and real complaints confirmed angry.
	lines := []struct {
		text string
		cat  emotion.Category
	}{
		{"is the shop still open on sunday", emotion.Neutral}, {"can I still use my old card", emotion.Neutral},
		{"please send the code again", emotion.Neutral}, {"is the offer still valid", emotion.Neutral},
		{"could you say the number again", emotion.Neutral}, {"do you still sell the blue model", emotion.Neutral},
		{"can you read that again please", emotion.Neutral}, {"is the sale still on", emotion.Neutral},
		{"is my old address still on file", emotion.Neutral}, {"I'd like to order the same again", emotion.Neutral},
		{"this is the third time I'm calling, I want to cancel", emotion.Angry},
		{"你们又把我的订单搞错了，我要投诉！", emotion.Angry},
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := db.StartCall(ctx, store.Call{ID: "c1", Channel: telephony.ChannelWebRTC, Started: t0}); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		seq := i + 1
		if err := db.AddTurn(ctx, store.Turn{CallID: "c1", Seq: seq, At: t0, Speaker: "caller", Text: l.text}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddReading(ctx, store.Reading{CallID: "c1", TurnSeq: seq, At: t0, Reading: m.Text(l.text)}); err != nil {
			t.Fatal(err)
		}
		lvl := emotion.Calm
		if l.cat == emotion.Angry {
			lvl = emotion.Severe
		}
		if _, err := db.AddFeedback(ctx, store.Feedback{CallID: "c1", TurnSeq: seq, Category: l.cat, Level: lvl,
			Who: "sup", At: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	wf := filepath.Join(dir, "fusion.json")
	saved := filepath.Join(dir, "labels.jsonl")
	var out, errb bytes.Buffer
	code := run(ctx, []string{"emotion", "refit", "--store", "--config", cfgPath, "--since", "2026-03-02", "--out", wf, "--save-labels", saved}, nil, &out, &errb)
	t.Logf("%s", out.String())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"feedback in the store: 12", "labels: 12", "held out (5 folds", "emotion.fusion: " + wf} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The saved labels read back as a labels file.
	f, err := os.Open(saved)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := emotion.ReadLabels(f)
	f.Close()
	if err != nil || len(ls) != 12 || ls[0].Reading.Evidence == nil {
		t.Errorf("saved labels: %d, %v", len(ls), err)
	}
	// Nothing since a later date.
	out.Reset()
	if code := run(ctx, []string{"emotion", "refit", "--store", "--config", cfgPath, "--since", "2026-04-01"}, nil, &out, &errb); code != 1 {
		t.Errorf("refit with no labels since: exit %d, want 1", code)
	}

	// The server starts with the re-fitted weights, and refuses a broken file.
	cfg.Emotion.Fusion = wf
	s := &server{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.buildPipeline(); err != nil {
		t.Fatalf("build pipeline with re-fitted weights: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	s.cfg.Emotion.Fusion = bad
	if err := s.buildPipeline(); err == nil || !strings.Contains(err.Error(), "emotion.fusion") {
		t.Errorf("build pipeline with a broken weights file: %v", err)
	}
}

// TestEmotionRefitLeavesSchema: refit runs beside the servers, often from a newer
// build. It must not migrate their store (a newer schema under running servers of
// the version before), nor create an empty one where none is.
func TestEmotionRefitLeavesSchema(t *testing.T) {
	dir := t.TempDir()
	flows, _ := filepath.Abs("../../config/flows")
	cfgPath := filepath.Join(dir, "calmline.yaml")
	if err := os.WriteFile(cfgPath, []byte("listen: 127.0.0.1:0\ndata_dir: "+dir+"\nflows: ["+flows+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"emotion", "refit", "--store", "--config", cfgPath}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no store at") {
		t.Errorf("refit with no store yet: exit %d, %q; want 1 and \"no store at\"", code, errb.String())
	}
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(ctx, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := db.SchemaVersion(ctx)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM schema_version WHERE version = ?`, latest); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := run(ctx, []string{"emotion", "refit", "--store", "--config", cfgPath}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "does not migrate") {
		t.Errorf("refit on an older store: exit %d, %q; want 1 and the advice", code, errb.String())
	}
	var v int
	if err := raw.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil || v != latest-1 {
		t.Errorf("refit changed the schema: version %d, %v; want %d", v, err, latest-1)
	}
}
