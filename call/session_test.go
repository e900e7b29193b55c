package call

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony"
	"go.uber.org/goleak"
)

type harness struct {
	leg      telephony.Leg
	fl       *fakeLeg
	asr      *fakeASR
	listener *fakeListener
	dialog   *scriptDialog
	rec      *recorder
	done     chan Outcome
	session  *Session
}

func (h *harness) report() Report { return h.session.Report() }

func start(t *testing.T, leg telephony.Leg, fl *fakeLeg, d *scriptDialog, asr *fakeASR, cfg Config, with ...func(*Deps)) *harness {
	t.Helper()
	h := &harness{leg: leg, fl: fl, asr: asr, listener: &fakeListener{}, dialog: d, rec: &recorder{}, done: make(chan Outcome, 1)}
	deps := Deps{
		NewEar:      func() Ear { return &fakeEar{} },
		NewListener: func() Listener { return h.listener },
		NewDialog:   func(context.Context, telephony.CallInfo) (Dialog, error) { return d, nil },
		Recognizer:  asr,
		Synth:       fakeSynth{},
		Recorder:    h.rec,
	}
	for _, f := range with {
		f(&deps)
	}
	s := New(leg, deps, cfg)
	h.session = s
	go func() { h.done <- s.Run(context.Background()) }()
	return h
}

func (h *harness) wait(t *testing.T, within time.Duration) Outcome {
	t.Helper()
	select {
	case o := <-h.done:
		return o
	case <-time.After(within):
		t.Fatalf("call did not end within %v; events %v", within, h.rec.types())
		return Outcome{}
	}
}

// speakFor makes the caller talk (noise) for frames [from, from+n) and be silent otherwise.
func speakAt(from, n int) func(int, []int16) []int16 {
	talk := noise(1, 3000)
	return func(i int, p []int16) []int16 {
		if i >= from && i < from+n {
			return talk(i, p)
		}
		return nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSessionTurnThenHangup(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	d := &scriptDialog{
		greet:   Reply{Say: "hello how can I help", Lang: "en"},
		replies: []Reply{{Say: "sorry to hear that, bye", Lang: "en", Next: HangupCall}},
	}
	h := start(t, fl, fl, d, &fakeASR{answers: []string{"I am angry about my refund"}}, Config{})
	// Speak after the greeting (5 words = 250 ms) has been played.
	fl.setSource(speakAt(20, 25))
	out := h.wait(t, 10*time.Second)

	if out.Reason != "bot_hangup" {
		t.Errorf("reason = %q, want bot_hangup", out.Reason)
	}
	if len(d.inputs) != 1 || d.inputs[0].Text != "I am angry about my refund" || d.inputs[0].Reading.Category.String() != "angry" {
		t.Fatalf("dialog inputs = %+v", d.inputs)
	}
	if !slices.Equal(h.asr.expects[0], []string{"refund", "agent"}) {
		t.Errorf("recogniser was not given the node's phrases: %v", h.asr.expects)
	}
	if fl.hungup != "bot_hangup" {
		t.Errorf("leg hang-up reason = %q", fl.hungup)
	}
	if d.ended == nil || d.ended.Reason != "bot_hangup" {
		t.Errorf("dialog not told the outcome: %+v", d.ended)
	}
	want := []string{"call.started", "reply", "action", "transcript", "emotion", "reply", "action", "call.ended"}
	got := slices.DeleteFunc(h.rec.types(), func(s string) bool { return s == "state" })
	if !slices.Equal(got, want) {
		t.Errorf("recorded events = %v, want %v", got, want)
	}
	var ns []int
	for _, ev := range h.rec.events {
		if a, ok := ev.Data.(ActionEvent); ok {
			ns = append(ns, a.N)
		}
	}
	if !slices.Equal(ns, []int{1, 2}) {
		t.Errorf("action ordinals = %v, want [1 2]", ns)
	}
	// Webhooks and the event stream send these payloads as they are: every key is
	// snake_case (call.started and call.ended once sent Go field names).
	for _, ev := range h.rec.events {
		b, err := json.Marshal(ev.Data)
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		for _, k := range regexp.MustCompile(`"([^"]+)":`).FindAllStringSubmatch(string(b), -1) {
			if strings.ToLower(k[1]) != k[1] {
				t.Errorf("%s payload key %q is not snake_case: %s", ev.Type, k[1], b)
			}
		}
	}
	rep := h.report()
	if len(rep.Transcript) != 3 || rep.Transcript[1].Speaker != "caller" || rep.Transcript[1].Reading == nil || rep.Transcript[1].Reading.Category.String() != "angry" {
		t.Errorf("report transcript = %+v", rep.Transcript)
	}
	if len(fl.played) != 2 || len(fl.played[0]) != 5*800 {
		t.Errorf("played %d replies (first %d samples)", len(fl.played), len(fl.played[0]))
	}
}

func TestSessionBargeInStopsReply(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	long := "this is a very long reply " + "that goes on and on " + "and on and on and on and on and on and on and on and on and on"
	d := &scriptDialog{greet: Reply{Say: long, Lang: "en"}}
	h := start(t, fl, fl, d, &fakeASR{answers: []string{"stop"}}, Config{})
	// The caller interrupts 400 ms into a ~1.5 s reply.
	fl.setSource(speakAt(20, 25))
	began := time.Now()
	waitFor(t, "the reply to stop", func() bool {
		fl.mu.Lock()
		defer fl.mu.Unlock()
		return len(fl.playStopped) > 0
	})
	fl.mu.Lock()
	stopped := fl.playStopped[0].Sub(began)
	playedSamples := len(fl.played[0])
	fl.mu.Unlock()
	speechAt := 400 * time.Millisecond
	if lag := stopped - speechAt; lag > 200*time.Millisecond {
		t.Errorf("reply stopped %v after the caller began (want < 200 ms)", lag)
	}
	if playedSamples >= 800*len(splitWords(long)) {
		t.Errorf("reply was not cut short: played %d samples", playedSamples)
	}
	h.wait(t, 10*time.Second)
	if h.rec.count("bargein") != 1 {
		t.Errorf("bargein events = %d", h.rec.count("bargein"))
	}
}

func splitWords(s string) []string {
	var out []string
	word := false
	for _, r := range s {
		if r == ' ' {
			word = false
		} else if !word {
			word = true
			out = append(out, "")
		}
	}
	return out
}

func TestSessionEchoDoesNotBargeIn(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	d := &scriptDialog{greet: Reply{Say: "one two three four five six seven eight nine ten eleven twelve", Lang: "en"}}
	// The line echoes the bot back, 6 dB down: that is not the caller speaking.
	fl.setSource(func(_ int, playing []int16) []int16 {
		out := make([]int16, len(playing))
		for i, v := range playing {
			out[i] = v / 2
		}
		return out
	})
	h := start(t, fl, fl, d, &fakeASR{}, Config{NoInput: 300 * time.Millisecond})
	out := h.wait(t, 10*time.Second)
	if h.rec.count("bargein") != 0 {
		t.Errorf("the reply's own echo barged in")
	}
	if len(fl.played[0]) != 12*800 {
		t.Errorf("greeting cut to %d samples, want all %d", len(fl.played[0]), 12*800)
	}
	if len(d.inputs) != 1 || !d.inputs[0].NoInput {
		t.Errorf("echo became a caller turn: %+v", d.inputs)
	}
	if out.Reason != "bot_hangup" {
		t.Errorf("reason %q", out.Reason)
	}
}

func TestSessionFallbacks(t *testing.T) {
	tests := []struct {
		name  string
		asr   []string
		check func(t *testing.T, in Input, voiceTurns int)
	}{
		{"asr failure still reads the voice", []string{"ERR"}, func(t *testing.T, in Input, voice int) {
			if !in.ASRFailed || in.Text != "" || voice != 1 {
				t.Errorf("input %+v, voice turns %d", in, voice)
			}
		}},
		{"no match", nil, func(t *testing.T, in Input, _ int) {
			if !in.NoMatch || in.ASRFailed {
				t.Errorf("input %+v", in)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := newFakeLeg()
			d := &scriptDialog{greet: Reply{Say: "hi", Lang: "en"}}
			h := start(t, fl, fl, d, &fakeASR{answers: tt.asr}, Config{})
			fl.setSource(speakAt(10, 20))
			h.wait(t, 10*time.Second)
			if len(d.inputs) != 1 {
				t.Fatalf("inputs %+v", d.inputs)
			}
			tt.check(t, d.inputs[0], h.listener.voice)
		})
	}
}

func TestSessionDTMFDigits(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	d := &scriptDialog{greet: Reply{Say: "enter your order number", Lang: "en"}}
	h := start(t, fl, fl, d, &fakeASR{}, Config{DigitTimeout: 300 * time.Millisecond})
	for _, k := range "4711#" {
		fl.dtmf <- k
	}
	h.wait(t, 10*time.Second)
	if len(d.inputs) != 1 || d.inputs[0].DTMF != "4711" {
		t.Errorf("inputs %+v", d.inputs)
	}
}

// TestSessionNumberKeys: where the dialog wants a number, a caller looking digits
// up between presses still keys one number, and the run ends at the number's length;
// at a menu the same pause ends the run.
func TestSessionNumberKeys(t *testing.T) {
	tests := []struct {
		name       string
		numberKeys int
		keys       string
		want       []string // the DTMF of each turn
	}{
		{"number with pauses", 8, "123", []string{"123"}},
		{"a closing # after a full number", 3, "123#", []string{"123"}},
		{"an over-long number is kept whole for the flow to refuse", 3, "1234", []string{"1234"}},
		{"menu: a pause ends the run", 0, "12", []string{"1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			fl := newFakeLeg()
			d := &scriptDialog{greet: Reply{Say: "enter your order number", Lang: "en"}, numberKeys: tt.numberKeys}
			for range tt.want[1:] {
				d.replies = append(d.replies, Reply{Say: "and?", Lang: "en"})
			}
			h := start(t, fl, fl, d, &fakeASR{}, Config{DigitTimeout: 150 * time.Millisecond, NumberDigitTimeout: 2 * time.Second})
			go func() {
				for i, k := range tt.keys {
					if i > 0 && tt.numberKeys != 3 { // keys of a full number come quickly
						time.Sleep(500 * time.Millisecond) // longer than a menu's gap, shorter than a number's
					}
					fl.dtmf <- k
				}
			}()
			h.wait(t, 15*time.Second)
			var got []string
			for _, in := range d.inputs {
				got = append(got, in.DTMF)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("turns keyed %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSessionTransfer(t *testing.T) {
	tests := []struct {
		name       string
		canSwitch  bool
		err        error
		wantReason string
		wantSorry  bool
	}{
		{"answered", true, nil, "transferred", false},
		{"nobody answers", true, errors.New("no answer"), "bot_hangup", true},
		{"leg cannot transfer", false, nil, "bot_hangup", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			fl := newFakeLeg()
			fl.transferErr = tt.err
			var leg telephony.Leg = fl
			if tt.canSwitch {
				leg = switchLeg{fl}
			}
			d := &scriptDialog{greet: Reply{
				Say: "connecting you", Lang: "en", Next: TransferCall,
				Transfer: &telephony.Transfer{Queue: "experts", Priority: 9},
			}}
			h := start(t, leg, fl, d, &fakeASR{}, Config{NoInput: 200 * time.Millisecond})
			if tt.wantReason == "transferred" {
				time.Sleep(300 * time.Millisecond)
				fl.callerHangsUp()
			}
			out := h.wait(t, 10*time.Second)
			if out.Reason != tt.wantReason || out.HandedOff != (tt.wantReason == "transferred") {
				t.Errorf("outcome %+v", out)
			}
			if tt.canSwitch && (len(fl.transfers) != 1 || fl.transfers[0].Queue != "experts") {
				t.Errorf("transfers %+v", fl.transfers)
			}
			if got := len(fl.played) >= 2; got != tt.wantSorry {
				t.Errorf("apology played = %v, want %v", got, tt.wantSorry)
			}
		})
	}
}

// TestSessionAfterHandoff: what the caller says to the human is recorded as a turn
// of its own, with its voice read; the call stays "transferred"; the bot's grammar
// is never asked (matched against it, every such turn was a blank no-match), and its
// words are written down only by a Transcriber, with no grammar.
func TestSessionAfterHandoff(t *testing.T) {
	tests := []struct {
		name        string
		transcriber *fakeASR // nil: none configured (the offline recogniser)
		wantText    string
	}{
		{"offline: voice only", nil, ""},
		{"remote transcriber", &fakeASR{answers: []string{"I want my money back"}}, "I want my money back"},
		{"remote transcriber fails", &fakeASR{answers: []string{"ERR"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			fl := newFakeLeg()
			d := &scriptDialog{greet: Reply{
				Say: "connecting you", Lang: "en", Next: TransferCall, Transfer: &telephony.Transfer{Queue: "experts"},
			}}
			var with []func(*Deps)
			if tt.transcriber != nil {
				with = append(with, func(deps *Deps) { deps.Transcriber = tt.transcriber })
			}
			bot := &fakeASR{answers: []string{"should not be asked"}}
			h := start(t, switchLeg{fl}, fl, d, bot, Config{NoInput: 200 * time.Millisecond}, with...)
			fl.setSource(speakAt(20, 25))
			waitFor(t, "the caller's turn after the handoff", func() bool { return h.rec.count("emotion") == 1 })
			if st := h.session.Status().State; st != StateTransferred {
				t.Errorf("state after the caller spoke = %q, want %q", st, StateTransferred)
			}
			fl.callerHangsUp()
			if out := h.wait(t, 10*time.Second); out.Reason != "transferred" {
				t.Errorf("outcome %+v", out)
			}
			if len(bot.expects) != 0 {
				t.Errorf("the bot's recogniser was asked %d times after the handoff", len(bot.expects))
			}
			if tt.transcriber != nil && (len(tt.transcriber.expects) != 1 || tt.transcriber.expects[0] != nil) {
				t.Errorf("transcriber asked with %v, want once with no grammar", tt.transcriber.expects)
			}
			var turn *TurnEvent
			for _, e := range h.rec.snapshot() {
				if te, ok := e.Data.(TurnEvent); ok && e.Type == "transcript" {
					turn = &te
				}
			}
			want := TurnEvent{Seq: 1, Text: tt.wantText, AfterHandoff: true, VoiceOnly: tt.wantText == ""}
			if turn != nil {
				want.DurationS, want.Lang, want.Confidence = turn.DurationS, turn.Lang, turn.Confidence
			}
			if turn == nil || *turn != want || turn.DurationS <= 0 {
				t.Errorf("transcript event %+v, want %+v", turn, want)
			}
			if got := h.listener.turns; len(got) != 1 || got[0] != tt.wantText || h.listener.voice != 1 {
				t.Errorf("listener heard %q (voice %d), want %q with its voice", got, h.listener.voice, tt.wantText)
			}
			var lines []Line
			for _, l := range h.report().Transcript {
				if l.Speaker == "caller" {
					lines = append(lines, l)
				}
			}
			if n := len(lines); (tt.wantText == "" && n != 0) || (tt.wantText != "" && (n != 1 || lines[0].Text != tt.wantText)) {
				t.Errorf("caller lines in the report %+v, want only the written-down words", lines)
			}
		})
	}
}

// TestSessionTransferFailedBackToDialog: when nobody answers, the dialog takes the
// call back and says what comes next, and the conversation goes on: the caller's
// next turn reaches the dialog.
func TestSessionTransferFailedBackToDialog(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	fl.transferErr = errors.New("no answer")
	d := &scriptDialog{greet: Reply{
		Say: "connecting you", Lang: "en", Next: TransferCall, Transfer: &telephony.Transfer{Queue: "experts"},
	}}
	h := start(t, switchLeg{fl}, fl, d, &fakeASR{}, Config{NoInput: 200 * time.Millisecond})
	out := h.wait(t, 10*time.Second)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failed != 1 || len(d.inputs) == 0 {
		t.Errorf("TransferFailed called %d times, %d turns after it; want 1 and at least 1", d.failed, len(d.inputs))
	}
	if out.Reason != "bot_hangup" || out.HandedOff || len(fl.transfers) != 1 {
		t.Errorf("outcome %+v after %d transfers, want the bot to end the call it kept", out, len(fl.transfers))
	}
}

func TestSessionCallerHangsUp(t *testing.T) {
	defer goleak.VerifyNone(t)
	fl := newFakeLeg()
	d := &scriptDialog{greet: Reply{Say: "hello", Lang: "en"}}
	h := start(t, fl, fl, d, &fakeASR{}, Config{})
	time.Sleep(200 * time.Millisecond)
	fl.callerHangsUp()
	out := h.wait(t, 5*time.Second)
	if out.Reason != "caller_hangup" {
		t.Errorf("reason %q", out.Reason)
	}
	if h.rec.count("call.ended") != 1 {
		t.Errorf("call.ended not recorded: %v", h.rec.types())
	}
}

func TestSessionTTSFailureKeepsCallGoing(t *testing.T) {
	fl := newFakeLeg()
	d := &scriptDialog{greet: Reply{Say: "hello", Lang: "en"}}
	h := &harness{listener: &fakeListener{}, rec: &recorder{}, done: make(chan Outcome, 1)}
	deps := Deps{
		NewEar:      func() Ear { return &fakeEar{} },
		NewListener: func() Listener { return h.listener },
		NewDialog:   func(context.Context, telephony.CallInfo) (Dialog, error) { return d, nil },
		Recognizer:  &fakeASR{answers: []string{"hello"}},
		Synth:       fakeSynth{fail: true},
		Recorder:    h.rec,
	}
	go func() { h.done <- New(fl, deps, Config{}).Run(context.Background()) }()
	fl.setSource(speakAt(5, 20))
	out := h.wait(t, 10*time.Second)
	if out.Reason != "bot_hangup" || len(d.inputs) != 1 || h.rec.count("error") == 0 {
		t.Errorf("outcome %+v inputs %d events %v", out, len(d.inputs), h.rec.types())
	}
}

// BenchmarkEchoCheck is the per-frame cost of telling the reply's echo from the
// caller while a reply plays on a line that echoes it back 6 dB down after 60 ms:
// the first frame searches the whole 300 ms window, later ones track the delay.
func BenchmarkEchoCheck(b *testing.B) {
	pcm, _ := fakeSynth{}.Synthesize(context.Background(), "one two three four five six seven eight nine ten", "en", "")
	s := New(newFakeLeg(), Deps{}, Config{})
	p := &playback{pcm: pcm, echoDelay: -1}
	frame := make([]int16, telephony.FrameSamples)
	wire := telephony.SampleRate / 2            // 500 ms into the reply
	back := wire - 60*telephony.SampleRate/1000 // the echo is 60 ms behind
	for i := range frame {
		frame[i] = pcm[back+i] / 2
	}
	for _, tc := range []struct {
		name  string
		reset bool // forget the delay: the full-window search every frame used to do
	}{{"full-search", true}, {"tracked", false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tc.reset {
					p.echoDelay = -1
				}
				if !s.isEcho(p, frame, wire) {
					b.Fatal("echo not recognised")
				}
			}
		})
	}
}
