package ari

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/ari/aritest"
	"github.com/calmline/calmline/telephony/rtp"
)

// An Asterisk that refuses externalMedia: the failure is logged with
// Asterisk's reason, the caller is hung up, the handler never runs.
func TestRefusedExternalMediaEndsCallCleanly(t *testing.T) {
	ran := make(chan struct{}, 1)
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) { ran <- struct{}{} })
	h.f.SetRefuseExternalMedia(true)
	h.f.CallerArrives("c1")
	h.f.WaitRequest(t, "DELETE /channels/c1", 0)
	waitFor(t, "everything released", func() bool {
		c, b := h.f.Counts()
		return c == 0 && b == 0
	})
	select {
	case <-ran:
		t.Fatal("handler ran without media")
	default:
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "Asterisk refused externalMedia") || !strings.Contains(logs, "Failed to create external media channel") {
		t.Fatalf("log does not say why:\n%s", logs)
	}
	waitFor(t, "call gone from the directory", func() bool { return len(h.app.LiveCalls()) == 0 })
}

// Without channelvars in the externalMedia answer calmline reads
// UNICASTRTP_LOCAL_ADDRESS/PORT with GET .../variable, and replies reach
// Asterisk's socket.
func TestExternalMediaAddressFromVariables(t *testing.T) {
	played := make(chan error, 1)
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) {
		played <- leg.Play(ctx, tone(2*telephony.FrameSamples))
		<-ctx.Done()
	})
	h.f.SetOmitChannelVars(true)
	h.f.CallerArrives("c1")
	em := h.f.WaitRequest(t, "POST /channels/externalMedia", 0)
	id := em.Query.Get("channelId")
	h.f.WaitRequest(t, "GET /channels/"+id+"/variable", 1)
	select {
	case err := <-played:
		if err != nil {
			t.Fatalf("Play: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call never reached its handler (setup failed?)")
	}
	if p, err := waitChan(t, h.f, id).ReadRTP(time.Now().Add(2 * time.Second)); err != nil || p.PayloadType != 0 {
		t.Fatalf("reply at Asterisk: pt %d, %v", p.PayloadType, err)
	}
	h.f.Hangup("c1", true)
}

// A StasisEnd sent while the WebSocket was down is not lost: after the
// reconnect the App finds the caller gone and ends the call. A malformed
// hangup event still ends the call it names.
func TestReconnectEndsCallsAsteriskNoLongerHas(t *testing.T) {
	started := make(chan telephony.Leg, 2)
	ended := make(chan error, 2)
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) {
		started <- leg
		frame := make([]int16, telephony.FrameSamples)
		for {
			if err := leg.ReadFrame(ctx, frame); err != nil {
				ended <- err
				return
			}
		}
	})
	f := h.f
	f.CallerArrives("c1")
	var leg telephony.Leg
	select {
	case leg = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("call did not start")
	}
	f.DropWS()
	f.Hangup("c1", false) // the caller leaves while calmline is not listening
	f.WaitConnected(t)    // calmline reconnects with backoff
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("call not ended after reconnect")
	}
	if err := <-ended; !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadFrame after hangup = %v", err)
	}
	if !strings.Contains(h.logs.String(), "reconnecting") {
		t.Error("reconnect not logged")
	}

	// Malformed StasisEnd (creationtime of the wrong type) for a live call.
	f.CallerArrives("c2")
	leg = <-started
	f.WaitRequest(t, "POST /bridges/", 1)
	f.SendRaw([]byte(`{"type":"StasisEnd","application":"calmline","channel":{"id":"c2","creationtime":42}}`))
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("malformed StasisEnd did not end the call")
	}
	if err := leg.Hangup(context.Background(), "again"); err != nil {
		t.Errorf("Hangup after end = %v, want nil (idempotent)", err)
	}
	if err := leg.Play(context.Background(), make([]int16, 320)); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Play after end = %v", err)
	}
	waitFor(t, "all released", func() bool {
		c, b := f.Counts()
		return c == 0 && b == 0
	})
}

// DTMF reaches the handler; Hangup from calmline's side ends the call.
func TestDTMFAndHangup(t *testing.T) {
	got := make(chan string, 1)
	reg := prometheus.NewRegistry()
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) {
		var s []rune
		for len(s) < 3 {
			select {
			case r := <-leg.DTMF():
				s = append(s, r)
			case <-ctx.Done():
				return
			}
		}
		got <- string(s)
		_ = leg.Hangup(ctx, "menu done")
	}, WithRegistry(reg))
	h.f.CallerArrives("c1")
	h.f.WaitRequest(t, "POST /bridges/", 0)
	waitBridgeWith(t, h.f, "c1")
	h.f.DTMF("c1", "1#*")
	select {
	case s := <-got:
		if s != "1#*" {
			t.Fatalf("DTMF = %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no DTMF")
	}
	h.f.WaitRequest(t, "DELETE /channels/c1", 0)
	waitFor(t, "all released", func() bool {
		c, b := h.f.Counts()
		return c == 0 && b == 0
	})
	waitFor(t, "metrics", func() bool { return testutil.ToFloat64(h.app.m.active) == 0 })
	if n := testutil.ToFloat64(h.app.m.calls); n != 1 {
		t.Errorf("calls_total = %v", n)
	}
	if n := testutil.ToFloat64(h.app.m.events.WithLabelValues("ChannelDtmfReceived")); n != 3 {
		t.Errorf("DTMF events counted = %v", n)
	}
	if n, err := testutil.GatherAndCount(reg, "calmline_rtp_packets_total"); err != nil || n == 0 {
		t.Errorf("rtp packet metrics not registered: %d %v", n, err)
	}
}

// Waiting transfers ring a queue highest priority first (emergencies), then
// in arrival order.
func TestAgentQueuePriority(t *testing.T) {
	var q agentQueue
	ctx := context.Background()
	release, err := q.acquire(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	start := func(prio, tag int) {
		go func() {
			rel, err := q.acquire(ctx, nil, prio)
			if err != nil {
				t.Error(err)
				return
			}
			order <- tag
			rel()
		}()
	}
	start(1, 1)
	waitFor(t, "waiter 1", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 1 })
	start(1, 2)
	waitFor(t, "waiter 2", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 2 })
	start(9, 3) // emergency
	waitFor(t, "waiter 3", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 3 })
	// A waiter that gives up leaves the line.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := q.acquire(cctx, nil, 100); errc <- err }()
	waitFor(t, "waiter 4", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 4 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	release()
	var got []int
	for i := 0; i < 3; i++ {
		got = append(got, <-order)
	}
	if got[0] != 3 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("order = %v, want [3 1 2]", got)
	}
	waitFor(t, "queue free after all released", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return !q.busy })
}

func TestNoAnswerKeepsCallWithBot(t *testing.T) {
	res := make(chan error, 1)
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) {
		err := leg.(telephony.Switch).Transfer(ctx, telephony.Transfer{Queue: "q", Endpoints: []string{"PJSIP/nobody"}, RingFor: 100 * time.Millisecond})
		res <- err
		if err == nil {
			return
		}
		// The bot still owns the call: it can play.
		if perr := leg.Play(ctx, make([]int16, telephony.FrameSamples)); perr != nil {
			t.Errorf("Play after failed transfer: %v", perr)
		}
		_ = leg.Hangup(ctx, "done")
	})
	h.f.CallerArrives("c1")
	select {
	case err := <-res:
		if !errors.Is(err, ErrNoAnswer) {
			t.Fatalf("Transfer = %v, want ErrNoAnswer", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("transfer did not return")
	}
	h.f.WaitRequest(t, "DELETE /channels/c1", 0)
	if h.f.Requests("POST /channels/c1/snoop") != nil {
		t.Fatal("snooped without a transfer")
	}
}

func TestConfigErrors(t *testing.T) {
	h := func(context.Context, telephony.Leg) {}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no url", Config{User: "u"}},
		{"bad url", Config{URL: "ftp://x", User: "u"}},
		{"no user", Config{URL: "http://127.0.0.1:8088/ari"}},
		{"bad bind", Config{URL: "http://127.0.0.1:8088/ari", User: "u", RTPBind: "example.com"}},
		{"bad ports", Config{URL: "http://127.0.0.1:8088/ari", User: "u", RTPPorts: [2]int{20000, 10000}}},
		{"bad pin", Config{URL: "http://127.0.0.1:8088/ari", User: "u", SupervisorPINs: map[string]string{"12a": "x"}}},
		// Asterisk drops slin16's dynamic payload type on an ExternalMedia channel.
		{"slin16", Config{URL: "http://127.0.0.1:8088/ari", User: "u", Format: rtp.CodecSlin16}},
	} {
		if _, err := New(tc.cfg, h); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", tc.name, err)
		}
	}
	if _, err := New(Config{URL: "http://127.0.0.1:8088/ari", User: "u"}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil handler: %v", err)
	}
}

// Channels an earlier calmline process left in the app are hung up on the
// first connect; a caller arriving at that moment is not.
func TestOrphansFromEarlierRunAreHungUp(t *testing.T) {
	f := aritest.New(t)
	f.AddChannel(&aritest.Channel{ID: "old", Name: "PJSIP/old-1", State: "Up", Vars: map[string]string{}, Created: time.Now().Add(-time.Hour)})
	f.AddChannel(&aritest.Channel{ID: "new", Name: "PJSIP/new-1", State: "Ring", Vars: map[string]string{}, Created: time.Now()})
	f.AddBridge("calmline-bridge-old", time.Now().Add(-time.Hour))
	f.AddBridge("calmline-bridge-busy", time.Now().Add(-time.Hour), "someone")
	f.AddBridge("operator-bridge", time.Now().Add(-time.Hour))
	app, err := New(Config{URL: f.URL(), User: aritest.User, Password: aritest.Password}, func(context.Context, telephony.Leg) {},
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	f.WaitConnected(t)
	f.WaitRequest(t, "DELETE /channels/old", 0)
	time.Sleep(50 * time.Millisecond)
	if f.Requests("DELETE /channels/new") != nil {
		t.Error("a channel created now was hung up as an orphan")
	}
	f.WaitRequest(t, "DELETE /bridges/calmline-bridge-old", 0)
	if !f.HasBridge("calmline-bridge-busy") || !f.HasBridge("operator-bridge") {
		t.Error("destroyed a bridge with channels in it, or one calmline did not create")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type fixedDirectory []LiveCall

func (d fixedDirectory) LiveCalls() []LiveCall { return d }

// Supervisors pick calls by the Directory's numbers; "#" alone takes the
// most urgent; an unknown number is refused; "*" leaves a call.
func TestSupervisorPicksFromDirectory(t *testing.T) {
	dir := fixedDirectory{{Number: 7, CallID: "ari-c1", Urgency: 0.2}, {Number: 9, CallID: "ari-c2", Urgency: 0.9}}
	h := startApp(t, func(ctx context.Context, leg telephony.Leg) { <-ctx.Done() }, WithDirectory(dir))
	f := h.f
	f.CallerArrives("c1")
	f.CallerArrives("c2")
	f.WaitRequest(t, "POST /bridges/", 1)
	waitBridgeWith(t, f, "c1")
	waitBridgeWith(t, f, "c2")
	f.CallerArrives("sup", "supervise")
	f.WaitRequest(t, "POST /channels/sup/answer", 0)
	f.DTMF("sup", "1234#")
	f.WaitRequest(t, "POST /channels/sup/play/", 0) // beep: authenticated
	f.DTMF("sup", "#")
	f.WaitRequest(t, "POST /channels/c2/snoop/", 0) // most urgent
	f.DTMF("sup", "5#")                             // ignored while on a call: "*" leaves first
	f.DTMF("sup", "*")
	f.WaitRequest(t, "DELETE /channels/calmline-snoop-", 0)
	f.DTMF("sup", "5#")
	f.WaitRequest(t, "POST /channels/sup/play/", 2) // beep for '*', then "invalid" for 5
	if got := f.Requests("POST /channels/sup/play/")[2].Query.Get("media"); got != "sound:invalid" {
		t.Errorf("unknown number prompt = %q", got)
	}
	f.DTMF("sup", "7#")
	f.WaitRequest(t, "POST /channels/c1/snoop/", 0)
	f.Hangup("sup", true)
	waitFor(t, "supervisor released", func() bool {
		_, b := f.Counts()
		return b == 2 // the two calls' own bridges remain
	})
	var calls []string
	for _, e := range h.audit.list() {
		if e.Action == "start" {
			calls = append(calls, e.CallID)
		}
	}
	if strings.Join(calls, ",") != "ari-c2,ari-c1" {
		t.Errorf("audited starts = %v", calls)
	}
}

// A connection whose Asterisk stops answering REST is replaced: two failed
// keepalives close the WebSocket and calmline reconnects.
func TestKeepaliveReplacesWedgedConnection(t *testing.T) {
	f := aritest.New(t)
	logs := &syncBuffer{}
	app, err := New(Config{URL: f.URL(), User: aritest.User, Password: aritest.Password, ReconnectMin: 20 * time.Millisecond},
		func(context.Context, telephony.Leg) {}, WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	app.keepEvery = 30 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	f.WaitConnected(t)
	f.SetFailInfo(true)
	waitFor(t, "keepalive failures", func() bool { return strings.Contains(logs.String(), "in_a_row=2") })
	f.SetFailInfo(false)
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	f.WaitConnected(t) // a second connection
	waitFor(t, "reconnected", func() bool { return strings.Count(logs.String(), "ARI connected") >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
