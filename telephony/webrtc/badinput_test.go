package webrtc_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/calmline/calmline/telephony"
	calmrtc "github.com/calmline/calmline/telephony/webrtc"
)

// realOffer makes a browser-like offer (Opus audio + data channel) from a pion peer
// that will never apply the answer, so the server side never connects.
func realOffer(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel("events", nil); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

const pcmuOnly = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

func post(t *testing.T, url, ctype, body string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// idle is a handler that holds the call until the caller goes.
func idle(ctx context.Context, _ telephony.Leg) { <-ctx.Done() }

func TestBadOffers(t *testing.T) {
	noLeaks(t)
	_, base := startServer(t, calmrtc.Config{}, idle)
	offer := realOffer(t)
	tests := []struct {
		name, path, ctype, body string
		hdr                     []string
		code                    int
		reason                  string
	}{
		{"garbage", "/v1/webrtc/offer", "application/sdp", "hello, I am not SDP", nil, 400, "malformed SDP"},
		{"empty", "/v1/webrtc/offer", "application/sdp", "", nil, 400, "malformed SDP"},
		{"no opus", "/v1/webrtc/offer", "application/sdp", pcmuOnly, nil, 400, "no Opus"},
		{"video only", "/v1/webrtc/offer", "application/sdp", strings.ReplaceAll(pcmuOnly, "m=audio", "m=video"), nil, 400, "no Opus"},
		{"bad json", "/v1/webrtc/offer", "application/json", "{", nil, 400, "malformed SDP"},
		{"too big", "/v1/webrtc/offer", "application/sdp", strings.Repeat("a", 70000), nil, 400, "larger than"},
		{"agent without login", "/v1/agents/offer", "application/sdp", offer, nil, 401, "log in first"},
		{"agent bad token", "/v1/agents/offer", "application/sdp", offer, []string{"Authorization", "Bearer nope"}, 401, "log in first"},
		{"login without name", "/v1/agents/login", "application/json", `{"name":""}`, nil, 400, "name is required"},
		{"login garbage", "/v1/agents/login", "application/json", `[`, nil, 400, "want JSON"},
		{"listen without name", "/v1/supervisor/calls/x/listen", "application/sdp", offer, nil, 400, "name the supervisor"},
		{"listen without auditor", "/v1/supervisor/calls/x/listen?supervisor=bob", "application/sdp", offer, nil, 503, "auditor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := post(t, base+tt.path, tt.ctype, tt.body, tt.hdr...)
			if code != tt.code || !strings.Contains(body, tt.reason) {
				t.Errorf("POST %s: %d %q, want %d with %q", tt.path, code, body, tt.code, tt.reason)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/v1/webrtc/sessions/nope", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE unknown session: %d, want 404", resp.StatusCode)
	}
}

// A peer that never connects holds a pending slot until ConnectTimeout; beyond
// MaxPending offers get 503, and after the timeout the slot is free again.
func TestPendingLimitAndConnectTimeout(t *testing.T) {
	noLeaks(t)
	srv, base := startServer(t, calmrtc.Config{MaxPending: 2, ConnectTimeout: 700 * time.Millisecond}, idle)
	offer := realOffer(t)
	for i := 0; i < 2; i++ {
		code, body, hdr := post(t, base+"/v1/webrtc/offer", "application/sdp", offer)
		if code != http.StatusCreated || !strings.HasPrefix(hdr.Get("Location"), "/v1/webrtc/sessions/") ||
			!strings.Contains(body, "a=candidate") {
			t.Fatalf("offer %d: %d %q location %q, want 201 with candidates and a Location", i, code, body, hdr.Get("Location"))
		}
	}
	if n := len(srv.Calls()); n != 2 {
		t.Fatalf("%d pending calls, want 2", n)
	}
	code, body, hdr := post(t, base+"/v1/webrtc/offer", "application/sdp", offer)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "too many pending") || hdr.Get("Retry-After") == "" {
		t.Fatalf("third offer: %d %q, want 503 too many pending with Retry-After", code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Calls()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls left after ConnectTimeout, want 0", n)
	}
	if code, body, _ := post(t, base+"/v1/webrtc/offer", "application/sdp", offer); code != http.StatusCreated {
		t.Fatalf("offer after timeout: %d %q, want 201", code, body)
	}
}

// At capacity a caller's offer is turned away before any media is set up, with 503
// and a reason the page can show, instead of connecting to a call nobody runs.
func TestOfferRefusedWhenFull(t *testing.T) {
	noLeaks(t)
	var full atomic.Bool
	full.Store(true)
	srv, base := startServer(t, calmrtc.Config{}, idle, calmrtc.WithCapacity(full.Load))
	offer := realOffer(t)
	code, body, hdr := post(t, base+"/v1/webrtc/offer", "application/sdp", offer)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "busy") || hdr.Get("Retry-After") == "" {
		t.Fatalf("offer at capacity: %d %q, want 503 busy with Retry-After", code, body)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls after a refused offer, want 0", n)
	}
	full.Store(false)
	if code, body, _ := post(t, base+"/v1/webrtc/offer", "application/sdp", offer); code != http.StatusCreated {
		t.Fatalf("offer with room: %d %q, want 201", code, body)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  calmrtc.Config
		ok   bool
	}{
		{"zero", calmrtc.Config{}, true},
		{"full", calmrtc.Config{ICEServers: []string{"stun:stun.example.org:3478", "turn:t.example.org"}, UDPPortMin: 40000,
			UDPPortMax: 40100, MaxPending: 5, ConnectTimeout: time.Second, PublicIP: "203.0.113.7", HostIPs: []string{"127.0.0.1"}}, true},
		{"half port range", calmrtc.Config{UDPPortMin: 40000}, false},
		{"inverted port range", calmrtc.Config{UDPPortMin: 40100, UDPPortMax: 40000}, false},
		{"negative pending", calmrtc.Config{MaxPending: -1}, false},
		{"negative timeout", calmrtc.Config{ConnectTimeout: -time.Second}, false},
		{"http ice server", calmrtc.Config{ICEServers: []string{"http://x"}}, false},
		{"bad public ip", calmrtc.Config{PublicIP: "example.org"}, false},
		{"bad host ip", calmrtc.Config{HostIPs: []string{"localhost"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := calmrtc.New(tt.cfg, idle)
			if tt.ok != (err == nil) {
				t.Fatalf("New: err %v, want ok=%v", err, tt.ok)
			}
			if err == nil {
				_ = s.Close()
			} else if !errors.Is(err, calmrtc.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
	if _, err := calmrtc.New(calmrtc.Config{}, nil); !errors.Is(err, calmrtc.ErrConfig) {
		t.Fatalf("nil handler: %v, want ErrConfig", err)
	}
}

func TestPeerKindRoundTrip(t *testing.T) {
	for _, k := range []calmrtc.PeerKind{calmrtc.PeerUnknown, calmrtc.PeerCaller, calmrtc.PeerAgent, calmrtc.PeerSupervisor} {
		got, err := calmrtc.ParsePeerKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParsePeerKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := calmrtc.ParsePeerKind("robot"); err == nil {
		t.Error("ParsePeerKind(robot): no error")
	}
	if s := calmrtc.PeerKind(9).String(); s != "PeerKind(9)" {
		t.Errorf("PeerKind(9) = %q", s)
	}
}
