package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/memleg"
)

// speech makes 16 kHz caller audio with espeak-ng, as the tests' stand-in caller.
func speech(t testing.TB, voice, text string) []int16 {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed (make deps installs it)")
	}
	p := filepath.Join(t.TempDir(), "say.wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-w", p, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	pcm, err := audio.Load16k(p)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// testServer builds the real server (store, pipeline, ingress) on a temp data dir.
func testServer(t testing.TB, extra string) *server {
	t.Helper()
	return testServerEnv(t, extra, nil)
}

// testServerEnv is testServer with environment variables (secrets) for the config.
func testServerEnv(t testing.TB, extra string, env map[string]string) *server {
	t.Helper()
	if _, err := os.Stat("/usr/share/pocketsphinx/model/en-us/en-us"); err != nil {
		t.Skip("pocketsphinx-en-us not installed (make deps installs it)")
	}
	flows, _ := filepath.Abs("../../config/flows")
	dir := t.TempDir()
	body := "listen: 127.0.0.1:0\ndata_dir: " + dir + "\nflows: [" + flows + "]\n" + extra
	cfg, err := config.Parse(filepath.Join(dir, "c.yaml"), []byte(body), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := newServer(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shutdown(0) })
	return s
}

// TestPipelineEndToEnd runs one call through everything calmline has: the caller
// (espeak-ng speech on an in-memory leg) asks for a refund; the ear finds the
// utterance, pocketsphinx hears it in grammar mode, the emotion model reads it, the
// flow answers, espeak-ng speaks the reply, and the store keeps the call.
func TestPipelineEndToEnd(t *testing.T) {
	s := testServer(t, "")
	evs, cancel := s.hub.Subscribe("", 256)
	defer cancel()

	leg := memleg.New(telephony.CallInfo{ID: "e2e1", Channel: telephony.ChannelSimulated, CallerID: "1001", Lang: "en"}, false)
	replies := make(chan memleg.Reply, 16)
	leg.OnReply(func(r memleg.Reply) {
		if r.PCM != nil {
			replies <- r
		}
	})
	callDone := make(chan struct{})
	go func() { s.handleCall(context.Background(), leg); close(callDone) }()

	// The greeting (with the menu prompt) plays first.
	waitReply(t, replies, 20*time.Second)

	// The offline recogniser's channel normalisation is per process and settles over
	// the first utterances it hears, so like a caller who is not understood at once,
	// the test says its line again (at most three times) until it is heard.
	// The menu asks callers to "say delivery, refund, or agent": the caller does.
	pcm := speech(t, "en-us", "refund")
	var transcript call.TurnEvent
	var reading call.EmotionEvent
	for try := 1; try <= 3 && !strings.Contains(transcript.Text, "refund"); try++ {
		leg.Say(pcm)
		transcript, reading = call.TurnEvent{}, call.EmotionEvent{}
		deadline := time.After(30 * time.Second)
		for reading.Seq == 0 || transcript.Seq != reading.Seq {
			select {
			case ev := <-evs:
				switch d := ev.Data.(type) {
				case call.TurnEvent:
					if !d.NoInput {
						transcript = d
					}
				case call.EmotionEvent:
					reading = d
				}
			case <-deadline:
				t.Fatalf("try %d: no transcript/emotion: %+v %+v", try, transcript, reading)
			}
		}
		if try > 1 || !strings.Contains(transcript.Text, "refund") {
			t.Logf("try %d heard %q", try, transcript.Text)
		}
		if !strings.Contains(transcript.Text, "refund") {
			waitReply(t, replies, 20*time.Second) // the "didn't catch that" reprompt
		}
	}
	if !strings.Contains(transcript.Text, "refund") {
		t.Errorf("heard %q, want the refund phrase", transcript.Text)
	}
	if reading.Reading.Lang != "en" {
		t.Errorf("reading %+v", reading.Reading)
	}
	r := waitReply(t, replies, 20*time.Second)
	if len(r.PCM) < telephony.SampleRate/2 {
		t.Errorf("reply too short: %d samples", len(r.PCM))
	}
	leg.Hangup(context.Background(), "caller")
	select {
	case <-callDone:
	case <-time.After(10 * time.Second):
		t.Fatal("call did not end after hang-up")
	}
	c, err := s.db.Call(context.Background(), "e2e1")
	if err != nil {
		t.Fatal(err)
	}
	heardRefund := false
	for _, turn := range c.Turns {
		heardRefund = heardRefund || strings.Contains(turn.Text, "refund")
	}
	if !heardRefund || len(c.Readings) == 0 || len(c.Actions) < 2 || c.Result == nil {
		t.Errorf("stored call: turns %+v readings %d actions %d result %+v", c.Turns, len(c.Readings), len(c.Actions), c.Result)
	}
	// What fusion weighed is kept for refits: the words' evidence and the voice's
	// own judgement, and a supervisor's correction comes back with both.
	for _, r := range c.Readings {
		if r.Evidence == nil || r.Voice == nil || !r.Voice.Voiced || len(r.Voice.Classes) != 7 {
			t.Errorf("stored reading %d: evidence %+v, voice %+v", r.ID, r.Evidence, r.Voice)
		}
	}
	if len(c.Readings) > 0 {
		r := c.Readings[0]
		if _, err := s.db.AddFeedback(context.Background(), store.Feedback{CallID: "e2e1", TurnSeq: r.TurnSeq,
			Category: emotion.Neutral, Level: emotion.Calm, Who: "sup", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		fb, err := s.db.Feedback(context.Background(), time.Time{})
		if err != nil || len(fb) != 1 {
			t.Fatalf("feedback: %+v, %v", fb, err)
		}
		if l, ok := fb[0].Label(); !ok || l.Reading.Evidence == nil || l.Acoustic == nil || !l.Acoustic.Voiced {
			t.Errorf("label from a live call: %+v (ok %v)", l, ok)
		}
	}
}

func waitReply(t *testing.T, replies <-chan memleg.Reply, within time.Duration) memleg.Reply {
	t.Helper()
	select {
	case r := <-replies:
		return r
	case <-time.After(within):
		t.Fatal("no reply played")
		return memleg.Reply{}
	}
}

// TestPipelineBackendsFromConfig builds the server with the OpenAI-compatible backends
// (pointed at a local address; nothing is contacted at start-up) and with bad ones.
func TestPipelineBackendsFromConfig(t *testing.T) {
	s := testServer(t, "asr:\n  backend: openai\n  fallback: sphinx\n  openai: {base_url: \"http://127.0.0.1:9/v1\", model: whisper-1, timeout: 2s}\ntts:\n  backend: openai\n  openai: {base_url: \"http://127.0.0.1:9/v1\", model: tts-1, voice: alloy, timeout: 2s}\n")
	if s.deps.Recognizer == nil || s.deps.Synth == nil {
		t.Fatal("pipeline not built")
	}
	// The unreachable Whisper server fails; the sphinx fallback answers instead.
	pcm := speech(t, "en-us", "refund")
	heard, err := s.deps.Recognizer.Recognize(context.Background(), pcm, "en", []string{"refund", "agent"})
	if err != nil || heard.Text != "refund" {
		t.Errorf("fallback recognition = %+v, %v", heard, err)
	}
}

// failingASR fails until ok is set, like a remote recogniser that went away and came back.
type failingASR struct{ ok bool }

func (f *failingASR) Recognize(context.Context, []int16, asr.Options) (asr.Result, error) {
	if f.ok {
		return asr.Result{Text: "refund"}, nil
	}
	return asr.Result{}, errors.New("dial tcp 127.0.0.1:9: connection refused")
}

// TestRecognizerHealth: a remote recogniser without a fallback is checked by
// /healthz; it is unhealthy while its last answer was an error and healthy again
// after the next success; a caller hanging up mid-request says nothing about it.
func TestRecognizerHealth(t *testing.T) {
	s := &server{checks: map[string]func() error{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.cfg.ASR.Backend, s.cfg.ASR.Fallback = "openai", "none"
	s.cfg.ASR.OpenAI.BaseURL = "http://127.0.0.1:9/v1"
	s.cfg.TTS.Backend = "espeak"
	s.cfg.Flows = []string{"../../config/flows"}
	if err := s.buildPipeline(); err != nil {
		t.Fatal(err)
	}
	if s.checks["asr"] == nil {
		t.Fatal("no asr health check for a remote recogniser without a fallback")
	}
	f := &failingASR{}
	h := &asrHealth{}
	r := recognizer{r: f, health: h}
	if _, err := r.Recognize(context.Background(), nil, "en", nil); err == nil || h.check() == nil {
		t.Fatalf("after a failed recognition: err %v, health %v; want both failing", err, h.check())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.ok = true
	r.Recognize(ctx, nil, "en", nil)
	if h.check() == nil {
		t.Error("a cancelled request cleared the failure")
	}
	if _, err := r.Recognize(context.Background(), nil, "en", nil); err != nil || h.check() != nil {
		t.Errorf("after a success: err %v, health %v; want healthy", err, h.check())
	}
}
