package ari

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/ari/sipptest"
)

// auditModes lists the audit entries as mode:action.
func auditModes(l *auditLog) string {
	var s []string
	for _, e := range l.list() {
		s = append(s, e.Mode.String()+":"+e.Action)
	}
	return strings.Join(s, " ")
}

// expertsFromEnv parses CALMLINE_SIP_EXPERTS, "PJSIP/agent1=5071 PJSIP/agent2=5072":
// endpoints rung in order, each with the 127.0.0.1 port of its static contact.
func expertsFromEnv(t *testing.T) (eps []string, ports []int) {
	v := os.Getenv("CALMLINE_SIP_EXPERTS")
	if v == "" {
		t.Skip(`CALMLINE_SIP_EXPERTS not set: give two expert endpoints whose pjsip.conf aor has a static contact on 127.0.0.1, ` +
			`e.g. "PJSIP/agent1=5071 PJSIP/agent2=5072" (the first rings unanswered, the second answers)`)
	}
	for _, f := range strings.Fields(v) {
		ep, p, ok := strings.Cut(f, "=")
		port, err := strconv.Atoi(p)
		if !ok || err != nil {
			t.Fatalf("CALMLINE_SIP_EXPERTS entry %q: want ENDPOINT=PORT", f)
		}
		eps, ports = append(eps, ep), append(ports, port)
	}
	if len(eps) < 2 {
		t.Fatal("CALMLINE_SIP_EXPERTS needs two endpoints (ring timeout, then answer)")
	}
	return eps, ports
}

// TestIntegrationRealAsteriskHandoffAndSupervisor runs a whole SIP call
// through a real Asterisk: a sipp caller talks, calmline replies, the
// caller presses 0, calmline rings the first expert (who does not answer),
// then the second (a sipp phone that answers and talks), bridges them and
// leaves; a sipp supervisor dials the supervisor extension, enters the PIN
// and the call by DTMF (RFC 4733) and listens, whispers and barges. Needs,
// beyond TestIntegrationRealAsterisk's variables, CALMLINE_SIP_EXPERTS and
// CALMLINE_SIP_SUPERVISOR (+ _PASSWORD, _EXTEN default 800); the PIN is 4711.
func TestIntegrationRealAsteriskHandoffAndSupervisor(t *testing.T) {
	ariURL := os.Getenv("CALMLINE_ARI_URL")
	if ariURL == "" {
		t.Skip("CALMLINE_ARI_URL not set: no real Asterisk to test against (see docs/asterisk.md)")
	}
	eps, ports := expertsFromEnv(t)
	supUser := os.Getenv("CALMLINE_SIP_SUPERVISOR")
	if supUser == "" {
		t.Skip("CALMLINE_SIP_SUPERVISOR not set: the pjsip endpoint a supervisor dials from (e.g. supervisor, with CALMLINE_SIP_SUPERVISOR_PASSWORD)")
	}
	u, err := url.Parse(ariURL)
	if err != nil {
		t.Fatal(err)
	}
	target := envOr("CALMLINE_SIP_TARGET", u.Hostname()+":5060")
	speech := sipptest.Speech(t, "I have called three times and nobody helps me")
	expertSpeech := sipptest.Speech(t, "Hello, this is the expert desk, how can I help you today")
	supSpeech := sipptest.Speech(t, "This is your supervisor speaking, please offer the refund now")

	type result struct {
		voiced, afterTransfer int
		transferErr, playErr  error
		playAfter             error
	}
	resc := make(chan result, 1)
	transferred := make(chan error, 1)
	handler := func(ctx context.Context, leg telephony.Leg) {
		var r result
		defer func() { resc <- r }()
		frame := make([]int16, telephony.FrameSamples)
		played, asked := false, false
		for {
			select {
			case d := <-leg.DTMF():
				if d == '0' && !asked {
					asked = true
					r.transferErr = leg.(telephony.Switch).Transfer(ctx, telephony.Transfer{
						Queue: "agents", Endpoints: eps, RingFor: 3 * time.Second, Priority: 3,
						ReportURL: "http://127.0.0.1:8080/calls/x/report",
						Vars:      map[string]string{"CALMLINE_LEVEL": "severe"},
					})
					transferred <- r.transferErr
					r.playAfter = leg.Play(ctx, tone(10*telephony.FrameSamples))
				}
			default:
			}
			if err := leg.ReadFrame(ctx, frame); err != nil {
				return
			}
			if loud(frame) {
				if asked && r.transferErr == nil {
					r.afterTransfer++
				} else {
					r.voiced++
				}
			}
			if r.voiced >= 25 && !played {
				played = true
				r.playErr = leg.Play(ctx, tone(50*telephony.FrameSamples))
			}
		}
	}
	audit := &auditLog{}
	app, ctx, logs := startRealApp(t, Config{SupervisorPINs: map[string]string{"4711": "dana"}}, handler, WithAuditor(audit))

	away := sipptest.Answer(t, ctx, ports[0], false, nil)
	expert := sipptest.AnswerWithPhone(t, ctx, ports[len(ports)-1])
	caller := sipptest.Dial(t, ctx, target, envOr("CALMLINE_SIP_EXTEN", "100"), envOr("CALMLINE_SIP_USER", "caller"),
		os.Getenv("CALMLINE_SIP_PASSWORD"), 40*time.Second)
	if _, err := caller.Answered(ctx); err != nil {
		t.Fatal(err)
	}
	ph := caller.Phone
	ph.StreamSilence(ctx)
	if _, err := ph.Speak(ctx, speech); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = ph.WaitLoud(wctx, time.Time{}, 25)
	wcancel()
	if err != nil {
		t.Fatalf("calmline's reply did not reach the caller: %v", err)
	}
	if err := ph.DTMF(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	pressed := time.Now()
	select {
	case err := <-transferred:
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no transfer result 20 s after pressing 0")
	}
	t.Logf("handoff: 0 pressed -> expert bridged in %v (first expert rang 3 s unanswered)", time.Since(pressed).Round(time.Millisecond))
	if err := away.Wait(ctx); err != nil {
		t.Errorf("the unanswered expert's phone: %v", err)
	}
	// The expert's channel carries the report variables.
	var chans []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := app.rest.do(ctx, http.MethodGet, "/channels", nil, nil, &chans); err != nil {
		t.Fatal(err)
	}
	expertChan := ""
	for _, c := range chans {
		if strings.HasPrefix(c.Name, eps[len(eps)-1]+"-") {
			expertChan = c.ID
		}
	}
	if expertChan == "" {
		t.Fatalf("no %s channel in Asterisk: %+v", eps[len(eps)-1], chans)
	}
	for k, want := range map[string]string{"CALMLINE_LEVEL": "severe", "CALMLINE_REPORT_URL": "http://127.0.0.1:8080/calls/x/report", "CALMLINE_QUEUE": "agents"} {
		var v struct {
			Value string `json:"value"`
		}
		if err := app.rest.do(ctx, http.MethodGet, "/channels/"+expertChan+"/variable", url.Values{"variable": {k}}, nil, &v); err != nil || v.Value != want {
			t.Errorf("expert channel %s = %q (%v), want %q", k, v.Value, err, want)
		}
	}
	// The caller and the expert hear each other; the bot is gone.
	if err := expert.Answered(ctx); err != nil {
		t.Fatal(err)
	}
	ep := expert.Phone
	ep.StreamSilence(ctx)
	heard := func(who string, p *sipptest.Phone, since time.Time) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
		defer wcancel()
		if _, err := p.WaitLoud(wctx, since, 25); err != nil {
			t.Errorf("%s: %v", who, err)
		}
	}
	silent := func(who string, p *sipptest.Phone, since time.Time) {
		t.Helper()
		if n, _ := p.LoudSince(since); n > 5 {
			t.Errorf("%s: heard %d voiced packets, want none", who, n)
		}
	}
	t0 := time.Now()
	if _, err := ep.Speak(ctx, expertSpeech); err != nil {
		t.Fatal(err)
	}
	heard("caller hears the expert", ph, t0)
	t0 = time.Now()
	if _, err := ph.Speak(ctx, speech); err != nil { // calmline keeps measuring it (snoop)
		t.Fatal(err)
	}
	heard("expert hears the caller", ep, t0)

	// Supervisor: PIN, pick the call (# = most urgent), listen, whisper, barge.
	sup := sipptest.Dial(t, ctx, target, envOr("CALMLINE_SIP_SUPERVISOR_EXTEN", "800"), supUser,
		os.Getenv("CALMLINE_SIP_SUPERVISOR_PASSWORD"), 18*time.Second)
	if _, err := sup.Answered(ctx); err != nil {
		t.Fatal(err)
	}
	sp := sup.Phone
	sp.StreamSilence(ctx)
	if err := sp.Silence(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := sp.DTMF(ctx, "4711##"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "listen-in audited", func() bool { return strings.Contains(auditModes(audit), "listen:start") })
	t0 = time.Now()
	if _, err := ph.Speak(ctx, speech); err != nil {
		t.Fatal(err)
	}
	heard("supervisor listening hears the caller", sp, t0)
	// Whisper: only the expert hears the supervisor.
	if err := sp.DTMF(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "whisper audited", func() bool { return strings.Contains(auditModes(audit), "whisper:start") })
	t0 = time.Now()
	if _, err := sp.Speak(ctx, supSpeech); err != nil {
		t.Fatal(err)
	}
	heard("expert hears the whispering supervisor", ep, t0)
	silent("caller while the supervisor whispers", ph, t0)
	// Barge: the supervisor joins the call; both hear them.
	if err := sp.DTMF(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "barge audited", func() bool { return strings.Contains(auditModes(audit), "barge:start") })
	t0 = time.Now()
	if _, err := sp.Speak(ctx, supSpeech); err != nil {
		t.Fatal(err)
	}
	heard("caller hears the barging supervisor", ph, t0)
	heard("expert hears the barging supervisor", ep, t0)
	if err := sup.Wait(ctx); err != nil {
		t.Errorf("supervisor phone: %v", err)
	}
	if err := caller.Wait(ctx); err != nil {
		t.Errorf("caller phone: %v", err)
	}
	if err := expert.Wait(ctx); err != nil {
		t.Errorf("expert phone (hung up by Asterisk after the caller's BYE): %v", err)
	}
	var r result
	select {
	case r = <-resc:
	case <-time.After(10 * time.Second):
		t.Fatal("handler did not end after the BYE")
	}
	if r.voiced < 25 {
		t.Errorf("calmline heard %d voiced frames before the handoff, want >= 25", r.voiced)
	}
	if r.playErr != nil {
		t.Errorf("reply: %v", r.playErr)
	}
	if !errors.Is(r.playAfter, ErrTransferred) {
		t.Errorf("Play after the handoff = %v, want ErrTransferred", r.playAfter)
	}
	if r.afterTransfer < 25 {
		t.Errorf("calmline heard %d voiced caller frames during the human part (snoop), want >= 25", r.afterTransfer)
	}
	waitFor(t, "supervisor line closed", func() bool { return strings.Contains(logs.String(), "supervisor line closed") })
	if got := auditModes(audit); got != "listen:start listen:stop whisper:start whisper:stop barge:start barge:stop" {
		t.Errorf("audit = %s", got)
	}
	assertNoLeftovers(t, app)
}

// assertNoLeftovers checks that Asterisk holds no channel or bridge calmline created.
func assertNoLeftovers(t *testing.T, app *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var left []string
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		left = left[:0]
		var chans []struct{ ID, Name string }
		var bridges []struct{ ID, Name string }
		if err := app.rest.do(ctx, http.MethodGet, "/channels", nil, nil, &chans); err != nil {
			t.Fatal(err)
		}
		if err := app.rest.do(ctx, http.MethodGet, "/bridges", nil, nil, &bridges); err != nil {
			t.Fatal(err)
		}
		for _, c := range chans {
			left = append(left, "channel "+c.Name)
		}
		for _, b := range bridges {
			if strings.HasPrefix(b.ID, "calmline-") {
				left = append(left, "bridge "+b.ID)
			}
		}
		if len(left) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("left in Asterisk after the call: %v", left)
}
