package ari

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/ari/aritest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a log sink tests can read while the App writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type auditLog struct {
	mu      sync.Mutex
	entries []AuditEntry
}

func (a *auditLog) AuditListen(_ context.Context, e AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *auditLog) list() []AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]AuditEntry(nil), a.entries...)
}

// speech makes a caller utterance with espeak-ng, resampled to 16 kHz by sox.
func speech(t *testing.T) []int16 {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps installs it)", tool)
		}
	}
	dir := t.TempDir()
	wav, raw := filepath.Join(dir, "caller.wav"), filepath.Join(dir, "caller.raw")
	if out, err := exec.Command("espeak-ng", "-v", "en", "-w", wav, "I have been waiting for an hour").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	if out, err := exec.Command("sox", wav, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-L", "-t", "raw", raw).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	if len(pcm) < telephony.SampleRate/2 {
		t.Fatalf("espeak-ng made only %d samples", len(pcm))
	}
	return pcm
}

// sendRTP plays pcm from Asterisk's ExternalMedia socket to calmline, paced
// at 20 ms, in the channel's format.
func sendRTP(t *testing.T, c *aritest.Channel, pcm []int16, seq uint16) uint16 {
	t.Helper()
	seq, err := c.SendAudio(pcm, seq)
	if err != nil {
		t.Error(err)
	}
	return seq
}

func rms(x []int16) float64 {
	var e float64
	for _, s := range x {
		e += float64(s) * float64(s)
	}
	return math.Sqrt(e / float64(max(len(x), 1)))
}

func energy(f []int16) bool {
	for _, s := range f {
		if s != 0 {
			return true
		}
	}
	return false
}

// voiced keeps the frames that are not all zero.
func voiced(pcm []int16) []int16 {
	var out []int16
	for i := 0; i+telephony.FrameSamples <= len(pcm); i += telephony.FrameSamples {
		if f := pcm[i : i+telephony.FrameSamples]; energy(f) {
			out = append(out, f...)
		}
	}
	return out
}

func tone(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(6000 * math.Sin(2*math.Pi*440*float64(i)/telephony.SampleRate))
	}
	return out
}

type harness struct {
	f      *aritest.Server
	app    *App
	logs   *syncBuffer
	audit  *auditLog
	cancel context.CancelFunc
	ran    chan error
}

func startApp(t *testing.T, h Handler, opts ...Option) *harness {
	t.Helper()
	f := aritest.New(t)
	logs := &syncBuffer{}
	au := &auditLog{}
	app, err := New(Config{
		URL: f.URL(), User: aritest.User, Password: aritest.Password,
		SupervisorPINs: map[string]string{"1234": "dana"},
		RingFor:        time.Second, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
	}, h, append([]Option{WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), WithAuditor(au)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{f: f, app: app, logs: logs, audit: au, cancel: cancel, ran: make(chan error, 1)}
	go func() { hs.ran <- app.Run(ctx) }()
	f.WaitConnected(t)
	t.Cleanup(func() {
		hs.stop(t)
		if t.Failed() {
			t.Logf("calmline log:\n%s\nrequests:\n%s", logs.String(), f.Dump())
		}
	})
	return hs
}

func (h *harness) stop(t *testing.T) {
	h.cancel()
	select {
	case err := <-h.ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return after cancel")
	}
	h.ran <- nil // later stops return at once
}

// TestCallEndToEnd drives one call the way Asterisk does: StasisStart →
// externalMedia → RTP both ways over loopback UDP → handoff to an expert
// (first one does not answer) → supervisor listen/whisper/barge → hangup,
// then checks every channel, bridge, port and goroutine is released.
func TestCallEndToEnd(t *testing.T) {
	utter := speech(t)
	reply := tone(25 * telephony.FrameSamples)

	type result struct {
		heard       []int16
		playErr     error
		transferErr error
		humanFrames int
		ctxDone     bool
	}
	resc := make(chan result, 1)
	transferred := make(chan struct{})
	heardAll := make(chan struct{})
	var legInfo telephony.CallInfo
	handler := func(ctx context.Context, leg telephony.Leg) {
		var r result
		defer func() { r.ctxDone = ctx.Err() != nil; resc <- r }()
		legInfo = leg.Info()
		frame := make([]int16, telephony.FrameSamples)
		// Listen until the utterance is over (speech, then 300 ms of silence).
		silent := 0
		for silent < 15 || len(r.heard) == 0 {
			if err := leg.ReadFrame(ctx, frame); err != nil {
				return
			}
			if energy(frame) || len(r.heard) > 0 {
				r.heard = append(r.heard, frame...)
			}
			if energy(frame) {
				silent = 0
			} else if len(r.heard) > 0 {
				silent++
			}
		}
		close(heardAll)
		r.playErr = leg.Play(ctx, reply)
		sw := leg.(telephony.Switch)
		r.transferErr = sw.Transfer(ctx, telephony.Transfer{
			Queue: "experts", Endpoints: []string{"PJSIP/expert1", "PJSIP/expert2"}, Priority: 1,
			RingFor: 300 * time.Millisecond, ReportURL: "http://calmline.local/calls/x/report",
			Vars: map[string]string{"CALMLINE_LEVEL": "severe"},
		})
		close(transferred)
		if err := leg.Play(ctx, reply); !errors.Is(err, ErrTransferred) {
			t.Errorf("Play after transfer = %v, want ErrTransferred", err)
		}
		// The human part: keep measuring the caller until they hang up.
		for {
			err := leg.ReadFrame(ctx, frame)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
					t.Errorf("ReadFrame at hangup = %v", err)
				}
				return
			}
			if energy(frame) {
				r.humanFrames++
			}
		}
	}
	h := startApp(t, handler)
	f := h.f
	f.SetAnswers("PJSIP/expert2", true)

	// Bad input first: events with unknown or missing fields never hurt.
	f.SendRaw([]byte(`not json`))
	f.SendRaw([]byte(`{"type":"NoSuchEvent","channel":{"id":"zz"}}`))
	f.SendRaw([]byte(`{"type":"StasisStart","application":"calmline"}`))
	f.SendRaw([]byte(`{"type":"StasisStart","channel":"not-an-object"}`))
	f.SendRaw([]byte(`{"type":"ChannelDtmfReceived","digit":"5"}`))

	f.CallerArrives("caller1")
	em := f.WaitRequest(t, "POST /channels/externalMedia", 0)
	for k, want := range map[string]string{"app": "calmline", "format": "ulaw", "encapsulation": "rtp", "transport": "udp", "direction": "both"} {
		if got := em.Query.Get(k); got != want {
			t.Errorf("externalMedia %s = %q, want %q", k, got, want)
		}
	}
	f.WaitRequest(t, "POST /bridges/", 0)
	ext := waitChan(t, f, em.Query.Get("channelId"))
	mainBridge := waitBridgeWith(t, f, "caller1", ext.ID)
	// The externalMedia answer carries chan_rtp's variables: no extra request.
	if r := f.Requests("GET /channels/" + ext.ID + "/variable"); len(r) != 0 {
		t.Errorf("calmline asked for variables the externalMedia answer had: %v", r)
	}

	// RTP from a stranger and a truncated packet are ignored.
	stranger, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	loud := make([]byte, 12+160)
	loud[0], loud[1] = 0x80, 0
	for i := 12; i < len(loud); i++ {
		loud[i] = 0x20
	}
	stranger.WriteToUDPAddrPort(loud, ext.Peer)
	stranger.Close()
	ext.UDP.WriteToUDPAddrPort(loud[:9], ext.Peer)

	// Caller speech → calmline; calmline's reply ← read at Asterisk's socket.
	replyc := make(chan []rtp.Packet, 1)
	go func() {
		var pkts []rtp.Packet
		deadline := time.Now().Add(10 * time.Second)
		for len(pkts) < 25 {
			p, err := ext.ReadRTP(deadline)
			if err != nil {
				t.Errorf("reply packet %d: %v", len(pkts), err)
				break
			}
			pkts = append(pkts, p)
		}
		replyc <- pkts
	}()
	seq := sendRTP(t, ext, utter, 1000)
	seq = sendRTP(t, ext, make([]int16, 20*telephony.FrameSamples), seq)
	select {
	case <-heardAll:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not hear the utterance end")
	}
	pkts := <-replyc
	if len(pkts) != 25 {
		t.Fatalf("Asterisk got %d reply packets, want 25", len(pkts))
	}
	var got []int16
	for i, p := range pkts {
		if p.PayloadType != 0 || len(p.Payload) != 160 {
			t.Fatalf("reply packet %d: pt %d, %d bytes; want μ-law (0), 160 bytes", i, p.PayloadType, len(p.Payload))
		}
		if i > 0 && (p.SequenceNumber != pkts[i-1].SequenceNumber+1 || p.Timestamp-pkts[i-1].Timestamp != 160) {
			t.Fatalf("reply packet %d: seq/ts not contiguous", i)
		}
		got = append(got, aritest.Decode(p)...)
	}
	// μ-law and 2:1 resampling are lossy: the reply's energy arrives, within 2 dB.
	if r := rms(got) / rms(reply); r < 0.8 || r > 1.25 {
		t.Fatalf("reply RMS at Asterisk %.0f, sent %.0f", rms(got), rms(reply))
	}

	// Transfer: expert1 does not answer, expert2 does.
	select {
	case <-transferred:
	case <-time.After(10 * time.Second):
		t.Fatal("transfer did not return")
	}
	orig := f.Requests("POST /channels/calmline-expert-")
	if len(orig) != 2 || orig[0].Query.Get("endpoint") != "PJSIP/expert1" || orig[1].Query.Get("endpoint") != "PJSIP/expert2" {
		t.Fatalf("originates = %+v", orig)
	}
	vars, _ := orig[1].Body["variables"].(map[string]any)
	for k, want := range map[string]string{"CALMLINE_LEVEL": "severe", "CALMLINE_REPORT_URL": "http://calmline.local/calls/x/report", "CALMLINE_CALL_ID": "ari-caller1", "CALMLINE_PRIORITY": "1"} {
		if vars[k] != want {
			t.Errorf("expert channel var %s = %v, want %q", k, vars[k], want)
		}
	}
	if orig[1].Query.Get("timeout") != "1" || orig[1].Query.Get("app") != "calmline" {
		t.Errorf("originate query = %v", orig[1].Query)
	}
	expertID := strings.TrimPrefix(orig[1].Path, "/channels/")
	waitBridgeWith(t, f, "caller1", expertID)
	if f.InBridge(mainBridge, ext.ID) {
		t.Error("the bot's media channel is still in the caller's bridge")
	}
	measure := f.WaitRequest(t, "POST /channels/caller1/snoop/", 0)
	if measure.Query.Get("spy") != "in" || measure.Query.Get("whisper") != "none" {
		t.Errorf("measuring snoop = %v", measure.Query)
	}
	measureID := strings.TrimPrefix(measure.Path, "/channels/caller1/snoop/")
	waitBridgeWith(t, f, measureID, ext.ID)
	// The snoop feeds the same ExternalMedia socket: the caller keeps being measured.
	seq = sendRTP(t, ext, utter[:10*telephony.FrameSamples], seq)

	// Supervisor: wrong PIN, right PIN, most urgent call, whisper, barge.
	f.CallerArrives("sup1", "supervise")
	f.WaitRequest(t, "POST /channels/sup1/answer", 0)
	f.DTMF("sup1", "9999#")
	f.WaitRequest(t, "POST /channels/sup1/play/", 0)
	f.DTMF("sup1", "1234#")
	f.WaitRequest(t, "POST /channels/sup1/play/", 1)
	f.DTMF("sup1", "#")
	listen := f.WaitRequest(t, "POST /channels/caller1/snoop/", 1)
	if listen.Query.Get("spy") != "both" || listen.Query.Get("whisper") != "none" {
		t.Errorf("listen snoop = %v", listen.Query)
	}
	waitBridgeWith(t, f, "sup1", strings.TrimPrefix(listen.Path, "/channels/caller1/snoop/"))
	f.DTMF("sup1", "2")
	whisper := f.WaitRequest(t, "POST /channels/"+expertID+"/snoop/", 0)
	if whisper.Query.Get("spy") != "both" || whisper.Query.Get("whisper") != "out" {
		t.Errorf("whisper snoop = %v", whisper.Query)
	}
	waitBridgeWith(t, f, "sup1", strings.TrimPrefix(whisper.Path, "/channels/"+expertID+"/snoop/"))
	f.DTMF("sup1", "3")
	waitBridgeWith(t, f, "caller1", expertID, "sup1")

	// The caller hangs up: everything is released.
	f.Hangup("caller1", true)
	var res result
	select {
	case res = <-resc:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not return after hangup")
	}
	if !res.ctxDone {
		t.Error("handler ctx not cancelled on StasisEnd")
	}
	if res.playErr != nil || res.transferErr != nil {
		t.Fatalf("play: %v, transfer: %v", res.playErr, res.transferErr)
	}
	if res.humanFrames < 3 {
		t.Errorf("only %d voiced frames measured during the human part", res.humanFrames)
	}
	// What the handler heard is the caller's speech through μ-law and
	// 8 kHz: frames are compared by energy, since G.711 is lossy. On a
	// loaded CI machine a reader stall longer than the jitter buffer (320 ms)
	// loses frames, so at least 80% of the voiced frames must arrive and
	// their energy must match the sent speech's within 2 dB.
	want, heard := voiced(utter[:len(utter)-len(utter)%telephony.FrameSamples]), voiced(res.heard)
	const n = telephony.FrameSamples
	if len(heard) < len(want)*8/10 {
		t.Fatalf("heard %d of %d voiced frames", len(heard)/n, len(want)/n)
	}
	if r := rms(heard) / rms(want); r < 0.8 || r > 1.25 {
		t.Fatalf("heard speech RMS %.0f, sent %.0f", rms(heard), rms(want))
	}
	t.Logf("heard %d of %d voiced frames", len(heard)/n, len(want)/n)
	if legInfo.CallerID != "1001" || legInfo.Channel != telephony.ChannelSIP || legInfo.Called != "100" || legInfo.Lang != "en" {
		t.Errorf("leg info = %+v", legInfo)
	}

	// Supervisor drops back to picking; then hangs up too.
	waitFor(t, "barge audit stop", func() bool {
		for _, e := range h.audit.list() {
			if e.Mode == ModeBarge && e.Action == "stop" {
				return true
			}
		}
		return false
	})
	f.Hangup("sup1", true)
	waitFor(t, "all bridges destroyed and channels hung up", func() bool {
		c, b := f.Counts()
		return c == 0 && b == 0
	})
	var modes []string
	for _, e := range h.audit.list() {
		if e.Supervisor != "dana" || e.CallID != "ari-caller1" || e.Number != 1 || e.At.IsZero() {
			t.Errorf("audit entry = %+v", e)
		}
		modes = append(modes, e.Mode.String()+":"+e.Action)
	}
	if got := strings.Join(modes, " "); got != "listen:start listen:stop whisper:start whisper:stop barge:start barge:stop" {
		t.Errorf("audit = %s", got)
	}
	// calmline's RTP port is free again.
	if c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(em.Query.Get("external_host")))); err != nil {
		t.Errorf("RTP port still held: %v", err)
	} else {
		c.Close()
	}
	if !strings.Contains(h.logs.String(), "ARI event not understood") {
		t.Error("bad event not logged")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func waitChan(t *testing.T, f *aritest.Server, id string) *aritest.Channel {
	t.Helper()
	var c *aritest.Channel
	waitFor(t, "channel "+id, func() bool { c = f.Channel(id); return c != nil })
	return c
}

// waitBridgeWith waits until one bridge holds all the channels and returns its id.
func waitBridgeWith(t *testing.T, f *aritest.Server, chans ...string) string {
	t.Helper()
	var id string
	waitFor(t, "a bridge with "+strings.Join(chans, ", "), func() bool {
		var ok bool
		id, ok = f.BridgeWith(chans...)
		return ok
	})
	return id
}
