// Package webrtc lets browsers call calmline: one pion PeerConnection per call,
// WHIP-style signaling over HTTP, Opus decoded straight to the canonical 16 kHz
// frames, a data channel that streams call events to the page, handoff to human
// agents who log in from a browser, and audited supervisor listen-in.
//
// No codec, SRTP or ICE is written here: pion does WebRTC, libopus does Opus.
// What is calmline's own is the relay (caller <-> agent) and the listen-in mixer.
package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/calmline/calmline/telephony"
)

// Handler runs one browser call (call.Session in production). ctx is cancelled
// when the peer goes away or the server closes; when Handler returns the call is hung up.
type Handler func(ctx context.Context, leg telephony.Leg)

// Auditor records supervisor listen-ins. It is defined here, by its consumer;
// the store's audit log implements it. An error refuses the listen-in.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// AuditEntry is one audited action on a call.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`  // supervisor name as given at listen-in
	Action  string    `json:"action"` // "listen_in.start", "listen_in.stop"
	CallID  string    `json:"call_id"`
	Remote  string    `json:"remote"`            // HTTP remote address of the supervisor
	Details string    `json:"details,omitempty"` // e.g. how long the listen-in lasted
}

// Option configures a Server beyond its Config.
type Option func(*Server)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithAuditor enables supervisor listen-in; without one listen-in is refused.
func WithAuditor(a Auditor) Option { return func(s *Server) { s.auditor = a } }

// WithCapacity lets the server refuse a caller's offer while full reports true
// (the line is at its call limit), with 503 and ErrBusy before any media is set up,
// so the page can say the lines are busy instead of connecting to silence.
func WithCapacity(full func() bool) Option { return func(s *Server) { s.full = full } }

// WithMetrics registers the server's Prometheus metrics on reg.
func WithMetrics(reg prometheus.Registerer) Option { return func(s *Server) { s.reg = reg } }

// Server accepts browser calls, agents and supervisors over WebRTC.
type Server struct {
	cfg        Config
	h          Handler
	api        *webrtc.API
	iceServers []webrtc.ICEServer
	log        *slog.Logger
	auditor    Auditor
	full       func() bool
	reg        prometheus.Registerer
	m          metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending int
	peers   map[string]*peer // every live peer by session id
	calls   map[string]*Leg  // caller legs by call id (== session id)
	agents  *agentDesk
}

type metrics struct {
	offers  *prometheus.CounterVec
	peers   *prometheus.GaugeVec
	listens prometheus.Counter
	dropped prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		offers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calmline_webrtc_offers_total", Help: "WebRTC offers by peer kind and result.",
		}, []string{"kind", "result"}),
		peers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "calmline_webrtc_peers", Help: "Live WebRTC peers by kind.",
		}, []string{"kind"}),
		listens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calmline_webrtc_listen_ins_total", Help: "Supervisor listen-ins started.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calmline_webrtc_dropped_frames_total", Help: "Caller frames dropped because the call handler read too slowly.",
		}),
	}
}

// New builds a server; h runs each caller's call.
func New(cfg Config, h Handler, opts ...Option) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrConfig)
	}
	s := &Server{cfg: cfg, h: h, log: slog.Default(), m: newMetrics(),
		peers: map[string]*peer{}, calls: map[string]*Leg{}}
	for _, o := range opts {
		o(s)
	}
	s.agents = newAgentDesk()
	if s.reg != nil {
		for _, c := range []prometheus.Collector{s.m.offers, s.m.peers, s.m.listens, s.m.dropped} {
			if err := s.reg.Register(c); err != nil {
				return nil, fmt.Errorf("register webrtc metrics: %w", err)
			}
		}
	}
	if s.api, err = buildAPI(cfg); err != nil {
		return nil, err
	}
	if len(cfg.ICEServers) > 0 {
		s.iceServers = []webrtc.ICEServer{{URLs: cfg.ICEServers, Username: cfg.ICEUsername, Credential: cfg.ICECredential}}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// buildAPI sets up pion: Opus only, default interceptors (NACK, RTCP reports), ports and candidates from cfg.
func buildAPI(cfg Config) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: opusClock, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 2*time.Second)
	if cfg.UDPPortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return nil, fmt.Errorf("%w: udp port range: %v", ErrConfig, err)
		}
	}
	if len(cfg.HostIPs) > 0 {
		allowed := map[string]bool{}
		loop := false
		for _, ip := range cfg.HostIPs {
			p := net.ParseIP(ip)
			allowed[p.String()] = true
			loop = loop || p.IsLoopback()
		}
		se.SetIPFilter(func(ip net.IP) bool { return allowed[ip.String()] })
		se.SetIncludeLoopbackCandidate(loop)
	}
	if cfg.PublicIP != "" {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP}, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			return nil, fmt.Errorf("%w: public_ip: %v", ErrConfig, err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// newID returns a random session id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// peerSpec says what a new peer sends and receives.
type peerSpec struct {
	kind    PeerKind
	offer   string
	send    bool             // we send audio to this peer
	onFrame func([]int16)    // caller/agent audio in 16 kHz frames; nil to ignore incoming audio
	onMsg   func(msg []byte) // data channel messages from the page
	label   string           // for logs (caller id, agent name, supervisor name)
	setup   func(p *peer)    // runs before the answer is made, e.g. to register the peer
}

// accept answers an offer: it returns the peer and the SDP answer with all host
// candidates in it (no trickle), or an error wrapping one of the sentinels.
func (s *Server) accept(ctx context.Context, sp peerSpec) (p *peer, answer string, err error) {
	kind := sp.kind.String()
	defer func() {
		res := "ok"
		switch {
		case err == nil:
		case errors.Is(err, ErrBadOffer), errors.Is(err, ErrNoOpus):
			res = "bad_offer"
		case errors.Is(err, ErrTooManyPending):
			res = "busy"
		default:
			res = "error"
		}
		s.m.offers.WithLabelValues(kind, res).Inc()
	}()
	if err := checkOffer(sp.offer); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, "", ErrClosed
	}
	if s.pending >= s.cfg.MaxPending {
		s.mu.Unlock()
		return nil, "", ErrTooManyPending
	}
	s.pending++
	s.mu.Unlock()

	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.iceServers})
	if err != nil {
		s.unpend()
		return nil, "", fmt.Errorf("create peer connection: %w", err)
	}
	id := newID()
	pctx, cancel := context.WithCancel(s.ctx)
	p = &peer{id: id, kind: sp.kind, pc: pc, ctx: pctx, cancel: cancel, connected: make(chan struct{}),
		log: s.log.With("session", id, "kind", kind, "who", sp.label), onMessage: sp.onMsg}
	var pendOnce sync.Once
	unpend := func() { pendOnce.Do(s.unpend) }

	s.mu.Lock()
	s.peers[id] = p
	s.mu.Unlock()
	s.m.peers.WithLabelValues(kind).Inc()
	s.wg.Add(1)
	go func() { // one exit path: forget the peer when it ends
		defer s.wg.Done()
		<-pctx.Done()
		unpend()
		s.mu.Lock()
		delete(s.peers, id)
		s.mu.Unlock()
		s.m.peers.WithLabelValues(kind).Dec()
		if err := pc.Close(); err != nil {
			p.log.Debug("webrtc: close", "err", err)
		}
	}()
	fail := func(e error) (*peer, string, error) {
		p.close("offer failed")
		return nil, "", e
	}

	pc.OnDataChannel(p.attachDataChannel)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			p.connOnce.Do(func() { close(p.connected); unpend() })
		case webrtc.PeerConnectionStateFailed:
			p.close("connection failed")
		case webrtc.PeerConnectionStateClosed:
			p.close("connection closed")
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if sp.onFrame == nil || !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeOpus) {
			return
		}
		r, err := newReceiver(sp.onFrame)
		if err != nil {
			p.log.Error("webrtc: receiver", "err", err)
			return
		}
		r.run(tr) // pion runs OnTrack in its own goroutine, which ends with the track
	})

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sp.offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	if sp.send {
		track, err := webrtc.NewTrackLocalStaticSample(
			webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: opusClock, Channels: 2}, "audio", "calmline")
		if err != nil {
			return fail(fmt.Errorf("create track: %w", err))
		}
		rs, err := pc.AddTrack(track)
		if err != nil {
			return fail(fmt.Errorf("add track: %w", err))
		}
		if p.out, err = newSender(track); err != nil {
			return fail(err)
		}
		s.wg.Add(1)
		go func() { // drain RTCP so interceptors keep working
			defer s.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := rs.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	if sp.setup != nil {
		sp.setup(p)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(fmt.Errorf("set local description: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(fmt.Errorf("gather candidates: %w", ctx.Err()))
	case <-time.After(5 * time.Second):
		// answer with what we have; STUN servers that do not reply must not stall callers
	}
	timer := time.AfterFunc(s.cfg.ConnectTimeout, func() {
		select {
		case <-p.connected:
		default:
			p.close("connect timeout")
		}
	})
	context.AfterFunc(pctx, func() { timer.Stop() })
	return p, pc.LocalDescription().SDP, nil
}

func (s *Server) unpend() {
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
}

// peer returns a live peer by session id.
func (s *Server) peer(id string) (*peer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[id]
	return p, ok
}

// Calls lists the live browser calls (for tests and the lead's live view).
func (s *Server) Calls() []telephony.CallInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]telephony.CallInfo, 0, len(s.calls))
	for _, l := range s.calls {
		out = append(out, l.info)
	}
	return out
}

// Leg returns the live browser call with this id, so the session can keep notifying it.
func (s *Server) Leg(callID string) (*Leg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.calls[callID]
	return l, ok
}

// Close hangs up every peer and waits for their goroutines and handlers to end
// (a Handler must return once its ctx is cancelled). It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.close("server closing")
	}
	s.cancel()
	s.wg.Wait()
	return nil
}
