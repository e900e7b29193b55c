package dialog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// base is a small valid flow; the validation cases break one thing in it.
const base = `flow: tiny
languages: [en]
start: hello
queues:
  agents: {endpoints: [PJSIP/agent1]}
nodes:
  hello:
    type: say
    say: {en: "Hi."}
    next: menu
  menu:
    type: menu
    say: "Press 1."
    intents:
      - intent: one
        dtmf: "1"
        goto: bye
  bye:
    type: hangup
    say: "Bye."
policy:
  moderate:
    level: moderate
`

func writeFlow(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lineOf(t *testing.T, body, marker string) int {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("marker %q not in flow", marker)
	}
	return strings.Count(body[:i], "\n") + 1
}

func TestBaseFlowLoads(t *testing.T) {
	if _, err := Load(writeFlow(t, "tiny.yaml", base)); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name, old, new, marker, msg, fix string
	}{
		{"unknown node", "    next: menu", "    next: mneu", "next: mneu", `goes to unknown node "mneu"`, `did you mean "menu"?`},
		{"missing target", "    next: menu\n", "", "  hello:", `has no next node`, "add next: NODE"},
		{"goto unknown node", "goto: bye", "goto: byebye", "goto: byebye", `unknown node "byebye"`, `did you mean "bye"?`},
		{"bad threshold level", "level: moderate", "level: furious", "level: furious", `bad threshold level "furious"`, "use one of calm, mild, moderate, severe"},
		{"bad threshold confidence", "level: moderate", "level: moderate\n    min_confidence: 1.5", "min_confidence", "bad threshold min_confidence 1.5", "between 0 and 1"},
		{"bad rising turns", "policy:\n", "policy:\n  rising: {turns: 1}\n", "rising:", "bad threshold turns 1", "use turns: 2 or more"},
		{"unknown key in node", "    next: menu", "    nxt: menu", "nxt:", `unknown key "nxt"`, `did you mean "next"?`},
		{"unknown top-level key", "start: hello", "start: hello\nqueus: {}", "queus:", `unknown key "queus"`, `did you mean "queues"?`},
		{"unknown node type", "type: menu", "type: menuu", "type: menuu", `unknown type "menuu"`, `did you mean "menu"?`},
		{"unknown queue", "    say: \"Bye.\"", "    say: \"Bye.\"\n  agent:\n    type: transfer\n    queue: agnets", "queue: agnets", `unknown queue "agnets"`, `did you mean "agents"?`},
		{"bad regex", `dtmf: "1"`, "dtmf: \"1\"\n        regex: ['(unclosed']", "regex:", "bad regex", "fix the regular expression"},
		{"missing language", "languages: [en]", "languages: [en, zh]", "say: {en: \"Hi.\"}", "has no zh text", "add zh:"},
		{"wrong type", "start: hello", "start: [hello]", "start:", "cannot unmarshal", "value of the type"},
		{"undeclared variant", `say: {en: "Hi."}`, "say: {variants: {c: Hi}}", "say: {variants", `variant "c" the flow does not declare`, "variants: list"},
		{"unknown pack", "start: hello", "start: hello\npack: retail", "pack: retail", `unknown pack "retail"`, "use one of"},
		// a bare "key:" or "- " decodes to nothing: an error, never a crash (found by FuzzParseFlow)
		{"empty queue", "  agents: {endpoints: [PJSIP/agent1]}", "  agents: {endpoints: [PJSIP/agent1]}\n  vip:", "queues:", `queue "vip" is empty`, "give it endpoints"},
		{"empty intent", "    intents:\n", "    intents:\n      -\n", "intents:", `empty node "menu" intent`, "remove the empty"},
		{"empty routing rule", "policy:\n", "routing:\n  -\npolicy:\n", "routing:", "empty routing rule", "remove the empty"},
		{"placeholder typo", "    say: \"Bye.\"", "    say: \"Bye, order {ordr_id}.\"\n  ask:\n    type: collect\n    say: \"Number?\"\n    collect: {kind: digits, var: order_id}\n    next: bye",
			"say: \"Bye, order", "unknown placeholder {ordr_id}", "did you mean {order_id}?"},
		{"same key twice", "        goto: bye\n", "        goto: bye\n      - intent: two\n        dtmf: \"1\"\n        goto: hello\n", "dtmf: \"1\"\n        goto: hello", `intent "two" uses dtmf "1" twice`, `intent "one"`},
		{"bad webhook method", "    say: \"Bye.\"", "    say: \"Bye.\"\n  hook:\n    type: webhook\n    webhook: {url: \"http://127.0.0.1:9/h\", method: FETCH}\n    next: bye", "webhook: {url", `webhook method "FETCH"`, "allowed: POST, PUT, PATCH"},
		{"bad webhook url", "    say: \"Bye.\"", "    say: \"Bye.\"\n  hook:\n    type: webhook\n    webhook: {url: \"crm.example.com/h\"}\n    next: bye", "webhook: {url", "is not an http(s) URL", "https://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("base lacks %q", tc.old)
			}
			body := strings.Replace(base, tc.old, tc.new, 1)
			path := writeFlow(t, "bad.yaml", body)
			errs := ValidateFiles(path)
			if len(errs) == 0 {
				t.Fatalf("no error for:\n%s", body)
			}
			want := fmt.Sprintf("%s:%d: ", path, lineOf(t, body, tc.marker))
			var all []string
			for _, err := range errs {
				all = append(all, err.Error())
				s := err.Error()
				if strings.HasPrefix(s, want) && strings.Contains(s, tc.msg) && strings.Contains(s, tc.fix) {
					if !errors.Is(err, ErrInvalidFlow) {
						t.Errorf("%v does not wrap ErrInvalidFlow", err)
					}
					return
				}
			}
			t.Errorf("want an error starting %q with %q and fix %q; got:\n%s", want, tc.msg, tc.fix, strings.Join(all, "\n"))
			if _, err := Load(path); err == nil {
				t.Errorf("Load accepted the bad flow")
			}
		})
	}
}

// TestEmptyFlowFile: an empty file got the decoder's bare "EOF".
func TestEmptyFlowFile(t *testing.T) {
	for _, body := range []string{"", "# a flow, one day\n", "\n\n"} {
		path := writeFlow(t, "empty.yaml", body)
		errs := ValidateFiles(path)
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), path+":1: the file is empty") || !errors.Is(errs[0], ErrInvalidFlow) {
			t.Errorf("%q: got %v, want one error %q", body, errs, path+":1: the file is empty…")
		}
	}
}

func TestFinanceForbidsMoneyPromises(t *testing.T) {
	body := strings.Replace(base, "start: hello", "start: hello\npack: finance", 1) +
		"  compensation:\n    limits: {coupon: 10}\n    rules:\n      - kind: coupon\n        amount: 10\n"
	errs := ValidateFiles(writeFlow(t, "fin.yaml", body))
	found := 0
	for _, err := range errs {
		if strings.Contains(err.Error(), "forbids promises about money") {
			found++
		}
	}
	if found != 2 {
		t.Errorf("want the limit and the rule rejected, got %v", errs)
	}
}

func TestPacksShapeTheConversation(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"finance", "healthcare"} {
		body := strings.Replace(base, "start: hello", "start: hello\npack: "+p, 1)
		body = strings.Replace(body, "flow: tiny", "flow: "+p, 1)
		if err := os.WriteFile(filepath.Join(dir, p+".yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Flows(); strings.Join(got, ",") != "finance,healthcare" {
		t.Fatalf("flows %v", got)
	}
	// Healthcare speaks gently by default.
	e.flows["healthcare"].Called = []string{"clinic"}
	c := e.NewConversation(Caller{CallID: "h", Called: "clinic"})
	if a := c.Start(); a.Style != "soothing" {
		t.Errorf("healthcare style %q", a.Style)
	}
	// Finance: fraud is always a human's job, and moderate anger gets a callback, never money.
	e.flows["finance"].Called = []string{"bank"}
	c = e.NewConversation(Caller{CallID: "f", Called: "bank"})
	c.Start()
	if a := c.Turn(Input{Text: "there is a stolen card charge"}); a.Type != Escalate || a.Tier != "forced:fraud" {
		t.Errorf("finance fraud: %+v", a)
	}
	c = e.NewConversation(Caller{CallID: "f2", Called: "bank"})
	c.Start()
	a := c.Turn(say("this fee is outrageous", rd(2+3, 2, 0.9))) // angry, moderate
	if a.Type != Handoff || a.Compensation == nil || a.Compensation.Kind != "callback" {
		t.Errorf("finance moderate: %+v", a)
	}
	for _, w := range []string{"refund", "money back", "compensat"} {
		if strings.Contains(strings.ToLower(a.Reply), w) {
			t.Errorf("finance reply promises money: %q", a.Reply)
		}
	}
}

func TestProfileSources(t *testing.T) {
	path := writeFlow(t, "profiles.yaml", `"+8613800000000": {customer_id: c1, name: 李雷, tier: gold, orders: 30, last_contact: 2026-11-01T10:00:00Z}`)
	fp, err := LoadProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := fp.Lookup(context.Background(), "+8613800000000")
	if p == nil || p.Name != "李雷" || p.Orders != 30 || p.LastContact.Day() != 1 {
		t.Errorf("file profile %+v", p)
	}
	if p, _ := fp.Lookup(context.Background(), "unknown"); p != nil {
		t.Errorf("unknown caller got %+v", p)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("caller_id") {
		case "good":
			fmt.Fprint(w, `{"customer_id":"c2","name":"Ann","tier":"platinum","orders":3}`)
		case "bad":
			fmt.Fprint(w, `<html>oops</html>`)
		case "slow":
			time.Sleep(300 * time.Millisecond)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	wh := &WebhookProfiles{URL: srv.URL + "/crm", Timeout: 100 * time.Millisecond}
	ctx := context.Background()
	if p, err := wh.Lookup(ctx, "good"); err != nil || p.Tier != "platinum" {
		t.Errorf("good: %+v %v", p, err)
	}
	if p, err := wh.Lookup(ctx, "nobody"); err != nil || p != nil {
		t.Errorf("unknown: %+v %v", p, err)
	}
	if _, err := wh.Lookup(ctx, "bad"); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "not a profile JSON") {
		t.Errorf("bad JSON: %v", err)
	}
	if _, err := wh.Lookup(ctx, "slow"); !errors.Is(err, ErrProfile) {
		t.Errorf("slow: %v", err)
	}
}

func TestDefaultFlowValidates(t *testing.T) {
	if errs := ValidateFiles("../config/flows/support.yaml"); len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrNoFlow) {
		t.Errorf("empty dir: %v", err)
	}
}

func FuzzParseFlow(f *testing.F) {
	seed, err := os.ReadFile("../config/flows/support.yaml")
	if err == nil {
		f.Add(seed)
	}
	f.Add([]byte(base))
	f.Add([]byte("flow: x\nnodes: {a: {type: say, say: {variants: {a: [1]}}}}"))
	f.Add([]byte("pack: p\nlines: {x: &a {en: hi}, y: *a}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, p, errs := parseFile("fuzz.yaml", data)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Error() == "" {
					t.Fatal("empty error")
				}
			}
			return
		}
		var flows []*Flow
		if fl != nil {
			flows = append(flows, fl)
		}
		packs := map[string]*Pack{}
		if p != nil {
			packs[p.Name] = p
		}
		if len(flows) == 0 {
			return
		}
		e, errs := build(flows, packs)
		if len(errs) > 0 {
			return
		}
		c := e.NewConversation(Caller{CallID: "fuzz"})
		c.Start()
		for _, in := range []Input{{Text: "hello"}, {DTMF: "1"}, {NoInput: true}, {ASRFailed: true}} {
			c.Turn(in)
		}
		c.Expect()
	})
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("flow: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	errs := ValidateFiles(writeFlow(t, "bomb.yaml", b.String()))
	if len(errs) == 0 {
		t.Fatal("alias bomb accepted")
	}
}

// TestPlaceholderNamesAllowed: names a profile note may supply load, even when they
// are a letter or two from a built-in one; only misspelt long names are refused.
func TestPlaceholderNamesAllowed(t *testing.T) {
	for _, name := range []string{"date", "page", "time", "order", "line", "count", "mind", "eta"} {
		body := strings.Replace(base, `    say: "Bye."`, `    say: "Bye, {`+name+`}."`, 1)
		if errs := ValidateFiles(writeFlow(t, "ok.yaml", body)); len(errs) > 0 {
			t.Errorf("{%s} refused: %v", name, errs)
		}
	}
	body := strings.Replace(base, `    say: "Bye."`, `    say: "Bye, {known_isue}."`, 1)
	if errs := ValidateFiles(writeFlow(t, "bad.yaml", body)); len(errs) == 0 || !strings.Contains(errs[0].Error(), "did you mean {known_issue}?") {
		t.Errorf("{known_isue}: %v, want a did-you-mean", errs)
	}
}
