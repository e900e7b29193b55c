package webrtc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// startServer runs a webrtc.Server with h on a loopback HTTP server.
func startServer(t *testing.T, cfg webrtc.Config, h webrtc.Handler, opts ...webrtc.Option) (*webrtc.Server, string) {
	t.Helper()
	if cfg.HostIPs == nil {
		cfg.HostIPs = []string{"127.0.0.1"}
	}
	s, err := webrtc.New(cfg, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, hs.URL
}

// serve runs s's routes on a loopback HTTP server for the benchmark or test.
func serve(tb testing.TB, s *webrtc.Server) string {
	mux := http.NewServeMux()
	s.Routes(mux)
	hs := httptest.NewServer(mux)
	tb.Cleanup(hs.Close)
	return hs.URL
}

// waitEvents collects events until every wanted type has been seen.
func waitEvents(t *testing.T, c *webrtctest.Client, want ...string) map[string]telephony.Event {
	t.Helper()
	got := map[string]telephony.Event{}
	deadline := time.After(15 * time.Second)
	for {
		missing := false
		for _, w := range want {
			if _, ok := got[w]; !ok {
				missing = true
			}
		}
		if !missing {
			return got
		}
		select {
		case ev := <-c.Events():
			if _, seen := got[ev.Type]; !seen {
				got[ev.Type] = ev
			}
		case <-deadline:
			t.Fatalf("events: got %v, want all of %v", keys(got), want)
		}
	}
}

func keys(m map[string]telephony.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// noLeaks checks, after every other cleanup of the test, that no goroutine is left.
// Register it first: cleanups run last-in first-out.
func noLeaks(t *testing.T) {
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t)
	})
}

func TestCallLoopback(t *testing.T) {
	noLeaks(t)
	_, speech := webrtctest.Speech(t, "Hello, I have been waiting for my refund for two weeks.", 48000, 0.5)
	srv, base := startServer(t, webrtc.Config{}, webrtctest.Bot(webrtctest.BotOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Query: "lang=en-GB&caller_id=alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].CallerID != "alice" || calls[0].Lang != "en" || calls[0].Channel != telephony.ChannelWebRTC {
		t.Fatalf("calls = %+v, want one webrtc call from alice in en", calls)
	}
	c.Speak(speech)
	evs := waitEvents(t, c, "state", "transcript", "emotion", "reply")
	if evs["transcript"].CallID != calls[0].ID {
		t.Errorf("transcript call id %q, want %q", evs["transcript"].CallID, calls[0].ID)
	}
	em, _ := evs["emotion"].Data.(map[string]any)
	if a, _ := em["arousal"].(float64); a <= 0 || a > 1 {
		t.Errorf("emotion arousal %v, want in (0,1] from the speech's loudness", em["arousal"])
	}
	// The reply is 400 ms of 440 Hz; wait for most of it and check it is that tone.
	var audio []int16
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if audio, _ = c.Received(); len(audio) >= 6000 {
			break
		}
	}
	if len(audio) < 6000 {
		t.Fatalf("received %d samples of reply audio, want >= 6000", len(audio))
	}
	voiced := audio[1600:6000] // skip the codec's start-up
	if f := webrtctest.Frequency(voiced); f < 400 || f > 480 {
		t.Errorf("reply frequency %.0f Hz, want about 440", f)
	}
	if r := webrtctest.RMS(voiced); r < 2000 {
		t.Errorf("reply RMS %.0f, want a loud tone (sent at 5657)", r)
	}
	if err := c.Hangup(ctx, base); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(srv.Calls()) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls left after hangup", n)
	}
}

// Keys pressed on the page arrive on Leg.DTMF (invalid ones are dropped); when the
// handler returns, the page gets a hangup event and the call is gone.
func TestDTMFAndHandlerHangup(t *testing.T) {
	noLeaks(t)
	h := func(ctx context.Context, leg telephony.Leg) {
		select {
		case d := <-leg.DTMF():
			leg.(telephony.Notifier).Notify(telephony.Event{Type: "dtmf", Data: string(d)})
		case <-ctx.Done():
		}
	}
	srv, base := startServer(t, webrtc.Config{}, h)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []map[string]string{{"type": "dtmf", "digit": "x"}, {"type": "dtmf", "digit": "55"}, {"type": "dtmf", "digit": "#"}} {
		if err := c.SendJSON(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	evs := waitEvents(t, c, "dtmf", "hangup")
	if evs["dtmf"].Data != "#" {
		t.Errorf("dtmf event %v, want #", evs["dtmf"].Data)
	}
	if d, _ := evs["hangup"].Data.(map[string]any); d["reason"] != "handler returned" {
		t.Errorf("hangup event %v, want reason \"handler returned\"", evs["hangup"].Data)
	}
	for deadline := time.Now().Add(5 * time.Second); len(srv.Calls()) > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls after the handler returned", n)
	}
}
