package webrtc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/telephony"
	calmrtc "github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// testReportURL is where the report link points: public_url, which names the
// server as the outside world knows it, not as the agent's page was opened.
const testReportURL = "https://calmline.example.invalid/v1/calls/x/report"

// handoffBot transfers the caller to an agent at once, then keeps reading the
// caller's audio and notifying a loudness "emotion" every 200 ms of speech, as
// call.Session keeps analysing after a handoff.
func handoffBot(result chan<- error) calmrtc.Handler {
	return func(ctx context.Context, leg telephony.Leg) {
		err := leg.(telephony.Switch).Transfer(ctx, telephony.Transfer{Queue: "billing", RingFor: 5 * time.Second,
			ReportURL: testReportURL, Vars: map[string]string{"category": "angry", "level": "severe"}})
		result <- err
		if err != nil {
			return
		}
		if perr := leg.Play(ctx, webrtctest.Tone(440, 100*time.Millisecond)); !errors.Is(perr, calmrtc.ErrBridged) {
			result <- perr
		}
		frame := make([]int16, telephony.FrameSamples)
		voiced := 0
		for leg.ReadFrame(ctx, frame) == nil {
			if webrtctest.RMS(frame) > 300 {
				voiced++
				if voiced == 10 {
					// what call.Session records of a turn said to the agent with the
					// offline recogniser: no words, its voice read
					leg.(telephony.Notifier).Notify(telephony.Event{Type: "transcript", Data: call.TurnEvent{Seq: 1, AfterHandoff: true, VoiceOnly: true}})
				}
				if voiced%10 == 0 {
					leg.(telephony.Notifier).Notify(telephony.Event{Type: "emotion", Data: map[string]any{"level": "moderate", "arousal": 0.7}})
				}
			}
		}
	}
}

func getAgents(t *testing.T, base string) []calmrtc.AgentStatus {
	t.Helper()
	resp, err := http.Get(base + "/v1/agents")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []calmrtc.AgentStatus
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// nextMsg returns the next agent-protocol message of type typ.
func nextMsg(t *testing.T, c *webrtctest.Client, typ string) map[string]any {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case b := <-c.Messages():
			var m map[string]any
			if json.Unmarshal(b, &m) == nil && m["type"] == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q message", typ)
		}
	}
}

func TestHandoffToAgent(t *testing.T) {
	noLeaks(t)
	_, speech := webrtctest.Speech(t, "I want to speak to a person right now.", 48000, 0.3)
	result := make(chan error, 2)
	srv, base := startServer(t, calmrtc.Config{}, handoffBot(result))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	code, body, _ := post(t, base+"/v1/agents/login", "application/json", `{"name":"alice","queues":["billing"]}`)
	var login struct{ ID, Token string }
	if code != 200 || json.Unmarshal([]byte(body), &login) != nil || login.Token == "" {
		t.Fatalf("login: %d %q", code, body)
	}
	agent, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Path: "/v1/agents/offer", Token: login.Token})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if as := getAgents(t, base); len(as) == 1 && as[0].State == "idle" {
			break
		}
	}
	if as := getAgents(t, base); len(as) != 1 || as[0].State != "idle" || as[0].Name != "alice" {
		t.Fatalf("agents = %+v, want alice idle", as)
	}

	caller, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Query: "caller_id=bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	ring := nextMsg(t, agent, "ring")
	tr, _ := ring["transfer"].(map[string]any)
	vars, _ := tr["vars"].(map[string]any)
	if tr["report_url"] != testReportURL || vars["category"] != "angry" || tr["queue"] != "billing" {
		t.Fatalf("ring = %v, want the transfer's report URL, queue and vars", ring)
	}
	if err := agent.SendJSON(ctx, map[string]string{"type": "accept"}); err != nil {
		t.Fatal(err)
	}
	nextMsg(t, agent, "connected")
	if err := <-result; err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if as := getAgents(t, base); as[0].State != "busy" || as[0].CallID != srv.Calls()[0].ID {
		t.Fatalf("agents = %+v, want alice busy on the call", as)
	}
	// Caller → agent: the speech arrives at the agent; events keep flowing to the agent.
	caller.Speak(speech)
	for {
		ev := nextMsg(t, agent, "call_event")
		if e, _ := ev["event"].(map[string]any); e["type"] == "emotion" {
			break
		}
	}
	if a, _ := agent.Received(); webrtctest.RMS(a) < 100 {
		t.Fatalf("agent heard RMS %.0f, want the caller's speech", webrtctest.RMS(a))
	}
	// Agent → caller: a 660 Hz tone from the agent reaches the caller.
	agent.Speak(webrtctest.ToneAt(48000, 660, 600*time.Millisecond))
	var loud []int16
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(loud) < 20*320; time.Sleep(50 * time.Millisecond) {
		got, _ := caller.Received()
		loud = loudFrames(got)
	}
	if len(loud) < 20*320 {
		t.Fatalf("caller received %d loud samples from the agent, want 6400", len(loud))
	}
	if f := webrtctest.Frequency(loud); f < 600 || f > 720 {
		t.Errorf("caller hears %.0f Hz, want the agent's 660", f)
	}
	select {
	case err := <-result:
		t.Fatalf("Play while bridged: %v, want ErrBridged", err)
	default:
	}
	// The agent hangs up: the caller gets a hangup event and the agent is idle again.
	if err := agent.SendJSON(ctx, map[string]string{"type": "hangup"}); err != nil {
		t.Fatal(err)
	}
	for found := false; !found; {
		select {
		case ev := <-caller.Events():
			if ev.Type == "hangup" {
				d, _ := ev.Data.(map[string]any)
				found = strings.Contains(d["reason"].(string), "agent")
			}
		case <-ctx.Done():
			t.Fatal("caller saw no hangup")
		}
	}
	nextMsg(t, agent, "ended")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(srv.Calls()) > 0; time.Sleep(20 * time.Millisecond) {
	}
	if as := getAgents(t, base); len(srv.Calls()) != 0 || as[0].State != "idle" {
		t.Fatalf("after hangup: calls %d, agents %+v", len(srv.Calls()), as)
	}
}

func TestTransferWithoutAgents(t *testing.T) {
	noLeaks(t)
	result := make(chan error, 2)
	_, base := startServer(t, calmrtc.Config{}, handoffBot(result))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := <-result; !errors.Is(err, calmrtc.ErrNoAgent) {
		t.Fatalf("Transfer with nobody logged in: %v, want ErrNoAgent", err)
	}
}

// fakeAuditor records audit entries; fail makes it refuse.
type fakeAuditor struct {
	mu      sync.Mutex
	entries []calmrtc.AuditEntry
	fail    bool
}

func (a *fakeAuditor) Audit(_ context.Context, e calmrtc.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return errors.New("audit log unavailable")
	}
	a.entries = append(a.entries, e)
	return nil
}

func (a *fakeAuditor) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		out = append(out, e.Action+":"+e.Actor+":"+e.CallID)
	}
	return out
}

func TestSupervisorListenIn(t *testing.T) {
	noLeaks(t)
	_, speech := webrtctest.Speech(t, "My internet has been down for three days.", 48000, 0.5)
	aud := &fakeAuditor{}
	srv, base := startServer(t, calmrtc.Config{}, webrtctest.Bot(webrtctest.BotOptions{}), calmrtc.WithAuditor(aud))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	id := srv.Calls()[0].ID
	if _, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Path: "/v1/supervisor/calls/nope/listen", Query: "supervisor=eve", RecvOnly: true}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("listen to unknown call: %v, want 404", err)
	}
	aud.fail = true
	if _, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Path: "/v1/supervisor/calls/" + id + "/listen", Query: "supervisor=eve", RecvOnly: true}); err == nil || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("listen with a failing audit log: %v, want refused", err)
	}
	aud.fail = false
	sup, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Path: "/v1/supervisor/calls/" + id + "/listen", Query: "supervisor=eve", RecvOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	caller.Speak(speech)
	waitEvents(t, caller, "reply")
	time.Sleep(700 * time.Millisecond) // the reply tone plays for 400 ms
	heard, _ := sup.Received()
	// The supervisor hears both the caller's speech and the bot's 440 Hz reply: look
	// for a loud stretch of each kind.
	var speechFrames, toneFrames int
	for i := 0; i+320 <= len(heard); i += 320 {
		f := heard[i : i+320]
		if webrtctest.RMS(f) < 1000 {
			continue
		}
		if hz := webrtctest.Frequency(f); hz > 400 && hz < 480 {
			toneFrames++
		} else {
			speechFrames++
		}
	}
	if speechFrames < 10 || toneFrames < 5 {
		t.Fatalf("supervisor heard %d speech and %d tone frames, want both sides of the call", speechFrames, toneFrames)
	}
	if err := sup.Hangup(ctx, base); err != nil {
		t.Fatal(err)
	}
	want := []string{"listen_in.start:eve:" + id, "listen_in.stop:eve:" + id}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(aud.actions()) < 2; time.Sleep(20 * time.Millisecond) {
	}
	if got := aud.actions(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %v, want %v", got, want)
	}
}

// loudFrames keeps the 20 ms frames of s with RMS above 1000.
func loudFrames(s []int16) []int16 {
	var out []int16
	for i := 0; i+320 <= len(s); i += 320 {
		if webrtctest.RMS(s[i:i+320]) > 1000 {
			out = append(out, s[i:i+320]...)
		}
	}
	return out
}
