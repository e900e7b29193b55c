package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const supportFlow = "../../config/flows/support.yaml"

func simulate(t *testing.T, stdin string, args ...string) ([]map[string]any, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"simulate", "--flow", supportFlow}, args...), strings.NewReader(stdin), &out, &errb)
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines, errb.String(), code
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSimulateScript(t *testing.T) {
	script := writeTemp(t, "s.jsonl", `{"say": "我的快递到哪了"}
{"dtmf": "12345678"}
{"say": "又是这样，太差了，我要投诉！！", "arousal": 0.95}
{"say": "never printed: the call was handed over"}
`)
	cust := writeTemp(t, "c.json", `{"customer_id": "c9", "name": "李雷", "tier": "gold", "orders": 25, "tenure_months": 18}`)
	lines, stderr, code := simulate(t, "", "--script", script, "--customer", cust, "--lang", "zh")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(lines) != 4 {
		t.Fatalf("want greeting + 3 turns (stop at escalation), got %d: %v", len(lines), lines)
	}
	if r := lines[0]["reply"].(string); !strings.Contains(r, "李雷，欢迎回来") {
		t.Errorf("greeting not personalised: %q", r)
	}
	for i, l := range lines {
		for _, k := range []string{"turn", "caller", "action", "reply", "strategy", "variant"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d lacks %q: %v", i, k, l)
			}
		}
	}
	if lines[1]["emotion"] == nil {
		t.Errorf("spoken turn without emotion: %v", lines[1])
	}
	last := lines[3]
	act := last["action"].(map[string]any)
	emo := last["emotion"].(map[string]any)
	if act["type"] != "escalate" || act["queue"] != "expert" || act["report"] == nil || emo["level"] != "severe" {
		t.Errorf("angry shouting caller: %v", last)
	}
}

func TestSimulateTyped(t *testing.T) {
	lines, stderr, code := simulate(t, "2\nI don't understand what you mean\n0\n", "--lang", "en")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(lines) != 4 {
		t.Fatalf("got %d lines: %v", len(lines), lines)
	}
	if lines[1]["action"].(map[string]any)["node"] != "refund" {
		t.Errorf("dtmf 2: %v", lines[1])
	}
	if lines[2]["strategy"] != "explaining" {
		t.Errorf("confused caller: %v", lines[2])
	}
	if a := lines[3]["action"].(map[string]any); a["type"] != "handoff" || a["queue"] != "agents" {
		t.Errorf("dtmf 0: %v", lines[3])
	}
}

func TestSimulateBadInput(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no flow", []string{"--flow", ""}, "usage"},
		{"bad lang", []string{"--lang", "fr"}, `--lang "fr"`},
		{"bad script line", []string{"--script", writeTemp(t, "b.jsonl", "{\"say\": \"hi\"}\n{\"shout\": 1}\n")}, "b.jsonl:2:"},
		{"bad arousal", []string{"--script", writeTemp(t, "a.jsonl", "{\"say\": \"hi\", \"arousal\": 3}\n")}, "outside 0..1"},
		{"bad customer", []string{"--customer", writeTemp(t, "c.json", "[1,2]")}, "not a customer profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := simulate(t, "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
		})
	}
}
