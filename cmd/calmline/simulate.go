package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

// listener is what the simulator needs from the emotion package: one call's
// readings and trajectory (emotion.Call has this shape).
type listener interface {
	Turn(text string, f *dsp.Features) emotion.Reading
	Trajectory() emotion.Trajectory
}

// scriptTurn is one line of a simulation script (JSONL).
type scriptTurn struct {
	Say     *string  `json:"say"`
	DTMF    string   `json:"dtmf"`
	Arousal *float64 `json:"arousal"` // 0..1, stands in for the voice
	NoInput bool     `json:"no_input"`
}

// simAction is the action part of a simulation line.
type simAction struct {
	Type         dialog.ActionType    `json:"type"`
	Queue        string               `json:"queue,omitempty"`
	Priority     int                  `json:"priority,omitempty"`
	Endpoints    []string             `json:"endpoints,omitempty"`
	Compensation *dialog.Compensation `json:"compensation,omitempty"`
	Report       *dialog.Report       `json:"report,omitempty"`
	Tier         string               `json:"tier,omitempty"`
	Node         string               `json:"node,omitempty"`
	Style        string               `json:"style,omitempty"`
	Webhook      *dialog.WebhookCall  `json:"webhook,omitempty"`
}

// simLine is one JSON object per turn on stdout.
type simLine struct {
	Turn     int              `json:"turn"`
	Caller   string           `json:"caller"`
	Emotion  *emotion.Reading `json:"emotion,omitempty"`
	Action   simAction        `json:"action"`
	Reply    string           `json:"reply"`
	Strategy string           `json:"strategy"`
	Variant  string           `json:"variant,omitempty"`
}

// runSimulate is `calmline simulate`: drive a flow with a scripted or typed caller,
// so an operator can test a flow and its emotion policy without a phone.
func runSimulate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flowPath := fs.String("flow", "", "flow file or directory (required)")
	script := fs.String("script", "", "JSONL caller turns: {\"say\": \"...\", \"arousal\": 0.8} or {\"dtmf\": \"1\"}; default: typed lines on stdin")
	customer := fs.String("customer", "", "customer profile JSON for personalisation")
	lang := fs.String("lang", "", "caller language: zh or en (default: the flow's first)")
	callID := fs.String("call-id", "sim-1", "call ID (decides the A/B variant)")
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	if *flowPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: calmline simulate --flow FILE [--script S.jsonl] [--customer C.json] [--lang zh|en]")
		return 2
	}
	if *lang != "" && *lang != "zh" && *lang != "en" {
		fmt.Fprintf(stderr, "simulate: --lang %q: use zh or en\n", *lang)
		return 2
	}
	eng, err := dialog.Load(*flowPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var prof *dialog.Profile
	if *customer != "" {
		data, err := os.ReadFile(*customer)
		if err != nil {
			fmt.Fprintf(stderr, "simulate: read customer: %v\n", err)
			return 2
		}
		prof = &dialog.Profile{}
		if err := json.Unmarshal(data, prof); err != nil {
			fmt.Fprintf(stderr, "simulate: %s is not a customer profile JSON object: %v\n", *customer, err)
			return 2
		}
	}
	in := stdin
	typed := true
	if *script != "" {
		f, err := os.Open(*script)
		if err != nil {
			fmt.Fprintf(stderr, "simulate: open script: %v\n", err)
			return 2
		}
		defer f.Close()
		in, typed = f, false
	}
	ear, err := newSimListener()
	if err != nil {
		fmt.Fprintf(stderr, "simulate: emotion model: %v\n", err)
		return 1
	}
	stats := &dialog.ABStats{}
	eng.SetRecorder(stats)
	conv := eng.NewConversation(dialog.Caller{CallID: *callID, CallerID: "simulator", Lang: *lang, Channel: "simulate", Profile: prof})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	emit := func(n int, caller string, r *emotion.Reading, a dialog.Action) error {
		return enc.Encode(simLine{Turn: n, Caller: caller, Emotion: r, Reply: a.Reply, Strategy: a.Strategy, Variant: a.Variant,
			Action: simAction{Type: a.Type, Queue: a.Queue, Priority: a.Priority, Endpoints: a.Endpoints, Compensation: a.Compensation,
				Report: a.Report, Tier: a.Tier, Node: a.Node, Style: a.Style, Webhook: a.Webhook}})
	}
	a := conv.Start()
	if err := emit(0, "", nil, a); err != nil {
		fmt.Fprintf(stderr, "simulate: write: %v\n", err)
		return 1
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n, lineNo := 0, 0
	outcome := dialog.Outcome{Reason: "script_end"}
	for a.Type == dialog.Say && ctx.Err() == nil && sc.Scan() {
		lineNo++
		st, err := parseTurn(sc.Text(), typed)
		if err != nil {
			fmt.Fprintf(stderr, "simulate: %s:%d: %v\n", *script, lineNo, err)
			return 2
		}
		if st == nil {
			continue
		}
		n++
		input := dialog.Input{DTMF: st.DTMF, NoInput: st.NoInput}
		caller := st.DTMF
		var r emotion.Reading
		if st.Say != nil || st.Arousal != nil {
			text := ""
			if st.Say != nil {
				text = *st.Say
			}
			input.Text, caller = text, text
			r = ear.Turn(text, voiceFor(st.Arousal))
			input.Reading, input.Trajectory = r, ear.Trajectory()
		}
		if st.NoInput {
			caller = "[silence]"
		}
		a = conv.Turn(input)
		var rp *emotion.Reading
		if st.Say != nil || st.Arousal != nil {
			rp = &r
		}
		if err := emit(n, caller, rp, a); err != nil {
			fmt.Fprintf(stderr, "simulate: write: %v\n", err)
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "simulate: read turns: %v\n", err)
		return 1
	}
	switch a.Type {
	case dialog.Handoff, dialog.Escalate:
		outcome = dialog.Outcome{Reason: "transferred", HandedOff: true, Queue: a.Queue}
	case dialog.Hangup:
		outcome = dialog.Outcome{Reason: "bot_hangup"}
	}
	conv.End(outcome)
	return 0
}

// parseTurn reads a JSONL script line, or (typed) a plain line: digits, * and # are
// DTMF, an empty line is silence, anything else is speech.
func parseTurn(line string, typed bool) (*scriptTurn, error) {
	line = strings.TrimSpace(line)
	if !typed || strings.HasPrefix(line, "{") {
		if line == "" || strings.HasPrefix(line, "#") && !typed {
			return nil, nil
		}
		var st scriptTurn
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			return nil, fmt.Errorf("want {\"say\": \"...\", \"arousal\": 0..1} or {\"dtmf\": \"1\"}: %w", err)
		}
		if st.Say == nil && st.DTMF == "" && !st.NoInput && st.Arousal == nil {
			return nil, errors.New(`empty turn: give "say", "dtmf" or "no_input": true`)
		}
		if st.Arousal != nil && (*st.Arousal < 0 || *st.Arousal > 1) {
			return nil, fmt.Errorf("arousal %v is outside 0..1", *st.Arousal)
		}
		if st.DTMF != "" && strings.Trim(st.DTMF, "0123456789*#") != "" {
			return nil, fmt.Errorf("dtmf %q: use digits, * and #", st.DTMF)
		}
		return &st, nil
	}
	if line == "" {
		return &scriptTurn{NoInput: true}, nil
	}
	if strings.Trim(line, "0123456789*#") == "" {
		return &scriptTurn{DTMF: line}, nil
	}
	return &scriptTurn{Say: &line}, nil
}

// voiceFor turns a script's arousal into prosody features around a typical
// speaking voice, so the acoustic path of the emotion model hears it. nil arousal
// means no voice evidence (typed text only).
func voiceFor(arousal *float64) *dsp.Features {
	if arousal == nil {
		return nil
	}
	a := *arousal
	return &dsp.Features{
		DurationS: 2.5, VoicedS: 1.6,
		PitchMeanHz: 170 + 90*a, PitchMedianHz: 168 + 88*a, PitchMinHz: 140 + 40*a, PitchMaxHz: 210 + 160*a,
		PitchRangeST: 4 + 8*a, PitchSDST: 1 + 3*a,
		LoudMeanDB: -30 + 14*a, LoudSDDB: 3 + 4*a, LoudMaxDB: -18 + 14*a, LoudPeakRate: 2 + 3*a,
		Syllables: int(10 + 6*a), SpeechRate: 4 + 2.4*a, ArticulationRate: 4.6 + 2.6*a,
		Pauses: 2, PauseMeanS: 0.3 - 0.15*a, PauseMaxS: 0.5 - 0.2*a, PauseRatio: 0.2 - 0.1*a,
	}
}
