package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony/ari/sipptest"
)

// TestIntegrationServeRealAsterisk is the product path against a real
// Asterisk: `calmline serve` with an ari: section, a sipp caller into the
// Stasis app whose media the test owns. It checks that the greeting (TTS)
// reaches the caller's RTP, that a spoken turn is heard and answered, that
// the turn and its reading are stored (/v1/calls), and that the BYE leaves
// nothing behind in Asterisk. With CALMLINE_SIP_EXPERTS naming the default
// flow's agents ("PJSIP/agent1=5071 PJSIP/agent2=5072") the caller then
// presses 0: agent1 rings unanswered, agent2 answers and talks. With
// CALMLINE_SIP_SUPERVISOR a supervisor listens in by DTMF and the audit row
// is checked (/v1/audit). Same variables as telephony/ari's integration tests.
func TestIntegrationServeRealAsterisk(t *testing.T) {
	ariURL, target := realAsterisk(t)
	var expertPorts []int
	if v := os.Getenv("CALMLINE_SIP_EXPERTS"); v != "" {
		for i, f := range strings.Fields(v) {
			var ep string
			var port int
			if ep0, p, ok := strings.Cut(f, "="); ok {
				ep = ep0
				fmt.Sscan(p, &port)
			}
			if want := fmt.Sprintf("PJSIP/agent%d", i+1); ep != want || port == 0 {
				t.Fatalf("CALMLINE_SIP_EXPERTS entry %q: the default flow rings PJSIP/agent1 then PJSIP/agent2; want %s=PORT", f, want)
			}
			expertPorts = append(expertPorts, port)
		}
	}
	supUser := os.Getenv("CALMLINE_SIP_SUPERVISOR")
	caller := sipptest.Speech(t, "refund")
	expertSpeech := sipptest.Speech(t, "Hello, this is the agent desk, how can I help you today")

	base, stderr := serveRealAsterisk(t, ariURL, `  supervisors: {dana: CALMLINE_SUPERVISOR_PIN_DANA}
queues:
  agents: {endpoints: [PJSIP/agent1, PJSIP/agent2], ring_for: 3s}
`, "CALMLINE_SUPERVISOR_PIN_DANA=4711")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var away, expert *sipptest.UAS
	hold := 35 * time.Second // the greeting and the menu alone take about 22 s
	if len(expertPorts) >= 2 {
		away = sipptest.Answer(t, ctx, expertPorts[0], false, nil)
		expert = sipptest.Answer(t, ctx, expertPorts[1], true, expertSpeech)
		hold = 50 * time.Second
	}
	dialed := time.Now()
	call := sipptest.Dial(t, ctx, target, envOr("CALMLINE_SIP_EXTEN", "100"), envOr("CALMLINE_SIP_USER", "caller"),
		os.Getenv("CALMLINE_SIP_PASSWORD"), hold)
	answered, err := call.Answered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ph := call.Phone
	ph.StreamSilence(ctx) // like a real phone, RTP never stops
	greeted, err := ph.WaitLoud(ctx, answered, 10)
	if err != nil {
		t.Fatalf("no greeting reached the caller: %v", err)
	}
	t.Logf("setup: INVITE sent -> 200 OK %v; 200 OK -> first greeting RTP at the caller %v",
		answered.Sub(dialed).Round(time.Millisecond), greeted.Sub(answered).Round(time.Millisecond))
	for _, l := range strings.Split(stderr.String(), "\n") {
		if i := strings.Index(l, " setup="); i >= 0 && strings.Contains(l, `msg="call up"`) {
			t.Logf("calmline: StasisStart -> answered, ExternalMedia up and bridged in %s", strings.Fields(l[i+1:])[0])
		}
	}
	// The greeting and the menu are two prompts; wait until both are over.
	waitQuiet(ctx, ph, 2*time.Second)

	endSpeech, err := ph.Speak(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	replied, err := ph.WaitLoud(wctx, endSpeech, 5)
	wcancel()
	if err != nil {
		t.Fatalf("no spoken reply reached the caller after its turn: %v", err)
	}
	t.Logf("turn: caller's end of speech -> first reply RTP at the caller %v", replied.Sub(endSpeech).Round(time.Millisecond))
	// The caller does not wait for the reply to finish: a key interrupts it.
	time.Sleep(time.Second)

	if expert != nil {
		if err := ph.DTMF(ctx, "0"); err != nil {
			t.Fatal(err)
		}
		pressed := time.Now()
		hctx, hcancel := context.WithTimeout(ctx, 20*time.Second)
		defer hcancel()
		if err := away.Wait(hctx); err != nil {
			t.Errorf("agent1 (rings unanswered): %v", err)
		}
		// The caller hears agent2's voice once bridged.
		heard, err := ph.WaitLoud(hctx, time.Now(), 25)
		if err != nil {
			t.Errorf("caller does not hear the agent: %v", err)
		} else {
			t.Logf("handoff: 0 pressed -> agent's voice at the caller %v (agent1 rang 3 s unanswered)", heard.Sub(pressed).Round(time.Millisecond))
		}
		// The agent's channel carries the report for the agent's phone or dialplan.
		var chans []struct{ ID, Name string }
		ariGet(t, ariURL+"/channels", &chans)
		for _, c := range chans {
			if !strings.HasPrefix(c.Name, "PJSIP/agent2-") {
				continue
			}
			for _, k := range []string{"CALMLINE_CALL_ID", "CALMLINE_REPORT_URL", "CALMLINE_QUEUE", "CALMLINE_LEVEL"} {
				var v struct{ Value string }
				ariGet(t, ariURL+"/channels/"+c.ID+"/variable?variable="+k, &v)
				t.Logf("agent2 channel %s=%q", k, v.Value)
				if v.Value == "" && k != "CALMLINE_LEVEL" {
					t.Errorf("agent2 channel lacks %s", k)
				}
				if k == "CALMLINE_REPORT_URL" && !strings.HasPrefix(v.Value, base+"/") {
					t.Errorf("agent2's report link %q is not on the server %s", v.Value, base)
				}
			}
		}
		go ph.Speak(ctx, caller)
		if supUser != "" && err == nil {
			sup := sipptest.Dial(t, ctx, target, envOr("CALMLINE_SIP_SUPERVISOR_EXTEN", "800"), supUser,
				os.Getenv("CALMLINE_SIP_SUPERVISOR_PASSWORD"), 8*time.Second)
			sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
			defer scancel()
			if _, err := sup.Answered(sctx); err != nil {
				t.Fatal(err)
			}
			sup.Phone.StreamSilence(sctx)
			_ = sup.Phone.Silence(sctx, 300*time.Millisecond)
			if err := sup.Phone.DTMF(sctx, "4711##"); err != nil {
				t.Fatal(err)
			}
			if _, err := sup.Phone.WaitLoud(sctx, time.Now(), 25); err != nil {
				t.Errorf("supervisor hears nothing: %v", err)
			}
			if err := sup.Phone.DTMF(sctx, "3"); err != nil {
				t.Fatal(err)
			}
			if err := sup.Wait(sctx); err != nil {
				t.Errorf("supervisor phone: %v", err)
			}
		}
	}
	if err := call.Wait(ctx); err != nil {
		t.Errorf("caller phone: %v", err)
	}
	if expert != nil {
		ectx, ecancel := context.WithTimeout(ctx, 10*time.Second)
		defer ecancel()
		if err := expert.Wait(ectx); err != nil {
			t.Errorf("agent2 phone: %v", err)
		}
	}

	t.Logf("what the caller heard (voiced spans, seconds after the answer): %s", spans(ph.Received(), answered))

	// The call is stored with its turn and reading.
	var calls []struct {
		ID, Channel, Outcome string
		HandoffQueue         string `json:"handoff_queue"`
		Ended                time.Time
	}
	waitUntil(t, 10*time.Second, "the call stored as ended", func() bool {
		getJSON(t, base+"/v1/calls", &calls)
		return len(calls) == 1 && !calls[0].Ended.IsZero()
	})
	var detail struct {
		Turns []struct {
			Speaker, Text string
		}
		Readings []struct {
			Category, Level string
		}
		Actions []struct {
			Type, Node, Queue string
		}
	}
	getJSON(t, base+"/v1/calls/"+calls[0].ID, &detail)
	t.Logf("stored turns %+v; readings %+v; actions %+v", detail.Turns, detail.Readings, detail.Actions)
	callerTurns, heardRefund := 0, false
	for _, tu := range detail.Turns {
		if tu.Speaker == "caller" {
			callerTurns++
			heardRefund = heardRefund || strings.Contains(strings.ToLower(tu.Text), "refund")
		}
	}
	if !heardRefund {
		t.Errorf("no stored caller turn says \"refund\": %+v", detail.Turns)
	}
	if calls[0].Channel != "sip" || callerTurns == 0 || len(detail.Readings) == 0 {
		t.Errorf("stored call %+v: %d caller turns, %d readings; want channel sip, >= 1 of each (detail %+v)", calls[0], callerTurns, len(detail.Readings), detail)
	}
	if expert != nil && calls[0].HandoffQueue != "agents" {
		t.Errorf("handoff_queue = %q, want agents", calls[0].HandoffQueue)
	}
	if supUser != "" && expert != nil {
		var audit []struct{ Who, Action, Mode string }
		getJSON(t, base+"/v1/audit", &audit)
		var got []string
		for _, a := range audit {
			got = append(got, a.Who+" "+a.Action+" "+a.Mode)
		}
		if s := strings.Join(got, ", "); !strings.Contains(s, "dana listen_in.start listen") || !strings.Contains(s, "dana listen_in.start barge") {
			t.Errorf("audit = %s", s)
		}
	}
	if resp, err := http.Get(base + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "calmline_ari_") {
				t.Log(l)
			}
		}
	}
	t.Logf("stored: %d turns (%d caller), %d readings, outcome %q", len(detail.Turns), callerTurns, len(detail.Readings), calls[0].Outcome)
	waitAsteriskEmpty(t, ariURL, 5*time.Second)
}

// waitAsteriskEmpty waits until Asterisk holds no channel and no calmline bridge:
// a finished call must leave nothing behind.
func waitAsteriskEmpty(t *testing.T, ariURL string, d time.Duration) {
	t.Helper()
	waitUntil(t, d, "no channel or calmline bridge left in Asterisk", func() bool {
		var chans, bridges []struct{ ID string }
		ariGet(t, ariURL+"/channels", &chans)
		ariGet(t, ariURL+"/bridges", &bridges)
		n := len(chans)
		for _, b := range bridges {
			if strings.HasPrefix(b.ID, "calmline-") {
				n++
			}
		}
		return n == 0
	})
}

// realAsterisk skips the test when CALMLINE_ARI_URL names no real Asterisk;
// otherwise it returns that URL and where sipp sends its INVITEs.
func realAsterisk(t *testing.T) (ariURL, target string) {
	t.Helper()
	ariURL = os.Getenv("CALMLINE_ARI_URL")
	if ariURL == "" {
		t.Skip("CALMLINE_ARI_URL not set: no real Asterisk to test against (see docs/asterisk.md)")
	}
	u, err := url.Parse(ariURL)
	if err != nil {
		t.Fatal(err)
	}
	return ariURL, envOr("CALMLINE_SIP_TARGET", u.Hostname()+":5060")
}

// serveRealAsterisk starts `calmline serve` with an ari: section for ariURL
// (more of it, and more config, in extra) and waits until it is connected to
// ARI. It returns the server's base URL and its stderr, whose tail is logged
// if the test fails.
func serveRealAsterisk(t *testing.T, ariURL, extra string, env ...string) (string, *lockedBuffer) {
	t.Helper()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: data
log: {level: debug}
ari:
  url: %s
  user: %s
  app: %s
  rtp_host: 127.0.0.1
  rtp_ports: [21000, 21199]
`, ariURL, os.Getenv("CALMLINE_ARI_USER"), envOr("CALMLINE_ARI_APP", "calmline")) + extra
	base, _, stderr := startServer(t, cfg, append(env, "CALMLINE_ARI_PASSWORD="+os.Getenv("CALMLINE_ARI_PASSWORD"))...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("calmline stderr:\n%s", lastN(stderr.String(), 120))
		}
	})
	waitUntil(t, 10*time.Second, "calmline connected to ARI", func() bool { return strings.Contains(stderr.String(), "ARI connected") })
	return base, stderr
}

// spans lists the runs of voiced packets (gaps under 300 ms joined).
func spans(pkts []sipptest.Packet, t0 time.Time) string {
	var b strings.Builder
	var start, last time.Time
	for _, p := range pkts {
		if !p.Loud {
			continue
		}
		if !last.IsZero() && p.At.Sub(last) > 300*time.Millisecond {
			fmt.Fprintf(&b, "%.1f-%.1f ", start.Sub(t0).Seconds(), last.Sub(t0).Seconds())
			start = time.Time{}
		}
		if start.IsZero() {
			start = p.At
		}
		last = p.At
	}
	if !start.IsZero() {
		fmt.Fprintf(&b, "%.1f-%.1f", start.Sub(t0).Seconds(), last.Sub(t0).Seconds())
	}
	return b.String()
}

// waitQuiet waits until the phone has received no voiced packet for d.
func waitQuiet(ctx context.Context, ph *sipptest.Phone, d time.Duration) {
	for ctx.Err() == nil {
		last := time.Time{}
		for _, p := range ph.Received() {
			if p.Loud {
				last = p.At
			}
		}
		if time.Since(last) >= d {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, b)
	}
}

func ariGet(t *testing.T, u string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth(os.Getenv("CALMLINE_ARI_USER"), os.Getenv("CALMLINE_ARI_PASSWORD"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func lastN(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
