package ari

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/rtp"
)

// callState is one caller in the app: the telephony.Leg and telephony.Switch
// handed to the Handler, and the owner of every channel and bridge created
// for the call.
type callState struct {
	a        *App
	log      *slog.Logger
	callerID string
	number   int
	info     telephony.CallInfo

	ctx    context.Context // the handler's; cancelled when the call ends
	cancel context.CancelFunc

	inbox    *eventQueue
	dtmf     chan rune
	done     chan struct{}
	finished chan struct{}
	endOnce  sync.Once

	media    *rtp.Endpoint
	bridgeID string
	extID    string

	mu          sync.Mutex
	endReason   string
	waiters     map[string]chan ari.Event
	owned       []string // internal channels to hang up at the end
	bridges     []string // bridges to destroy at the end
	expertID    string
	expertEP    string
	transferred bool
}

var _ telephony.Leg = (*callState)(nil)
var _ telephony.Switch = (*callState)(nil)

func newCall(a *App, parent context.Context, ch ari.ChannelData) *callState {
	ctx, cancel := context.WithCancel(parent)
	id := "ari-" + ch.ID
	c := &callState{
		a:        a,
		log:      a.log.With("call", id),
		callerID: ch.ID,
		ctx:      ctx,
		cancel:   cancel,
		inbox:    newEventQueue(),
		dtmf:     make(chan rune, 32),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		waiters:  make(map[string]chan ari.Event),
		info: telephony.CallInfo{
			ID:      id,
			Channel: telephony.ChannelSIP,
			Started: time.Now(),
		},
	}
	if ch.Caller != nil {
		c.info.CallerID = ch.Caller.Number
	}
	if ch.Dialplan != nil {
		c.info.Called = ch.Dialplan.Exten
	}
	if ch.Language != "" && len(ch.Language) >= 2 {
		c.info.Lang = ch.Language[:2]
	}
	return c
}

func newID(kind string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "calmline-" + kind + "-" + hex.EncodeToString(b[:])
}

func (c *callState) deliver(ev ari.Event) { c.inbox.push(ev) }

// shutdown ends the call from calmline's side (process stopping).
func (c *callState) shutdown(reason string) { c.end(reason) }

// end marks the call over once: the handler's context is cancelled, Done is
// closed and the media socket is released so ReadFrame returns io.EOF.
func (c *callState) end(reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.endReason = reason
		c.mu.Unlock()
		c.log.Info("call ending", "reason", reason)
		close(c.done)
		c.cancel()
		c.mu.Lock()
		media := c.media
		c.mu.Unlock()
		if media != nil {
			_ = media.Close()
		}
	})
}

func (c *callState) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// run is the call's one exit path: set up media, run the handler, release
// everything.
func (c *callState) run() {
	go c.events()
	defer close(c.finished)
	if err := c.setup(); err != nil {
		if c.ended() {
			c.log.Info("caller left during call setup", "err", err)
		} else {
			c.log.Error("call setup failed; hanging up", "err", err)
		}
		c.end("setup failed")
	} else {
		handled := make(chan struct{})
		go func() {
			defer close(handled)
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("handler panicked", "panic", r)
				}
			}()
			c.a.h(c.ctx, c)
		}()
		<-handled
		c.mu.Lock()
		transferred := c.transferred
		c.mu.Unlock()
		if transferred && !c.ended() {
			// The caller talks to an expert: keep the bridge until one hangs up.
			<-c.done
		}
		c.end("handler finished")
	}
	c.cleanup()
}

// setup answers the caller, opens the RTP socket, asks Asterisk for an
// ExternalMedia channel toward it and bridges the two.
func (c *callState) setup() error {
	ctx, a := c.ctx, c.a
	if err := a.rest.do(ctx, http.MethodPost, "/channels/"+esc(c.callerID)+"/answer", nil, nil, nil); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	bind, _ := netip.ParseAddr(a.cfg.RTPBind)
	a.mu.Lock()
	start := a.portCursor
	a.portCursor++
	a.mu.Unlock()
	media, err := rtp.ListenRange(bind, a.cfg.RTPPorts[0], a.cfg.RTPPorts[1], start, rtp.Config{Codec: a.cfg.Format, Logger: c.log})
	if err != nil {
		return fmt.Errorf("open RTP socket: %w", err)
	}
	c.mu.Lock()
	if c.ended() {
		c.mu.Unlock()
		_ = media.Close()
		return ErrCallEnded
	}
	c.media = media
	c.mu.Unlock()

	c.extID = newID("media")
	started := c.own(c.extID)
	opts := ari.ExternalMediaOptions{
		ChannelID:      c.extID,
		App:            a.cfg.App,
		ExternalHost:   net.JoinHostPort(a.cfg.RTPHost, strconv.Itoa(int(media.LocalAddr().Port()))),
		Encapsulation:  "rtp",
		Transport:      "udp",
		ConnectionType: "client",
		Format:         a.cfg.Format.String(),
		Direction:      "both",
	}
	q := url.Values{
		"channelId": {opts.ChannelID}, "app": {opts.App}, "external_host": {opts.ExternalHost},
		"encapsulation": {opts.Encapsulation}, "transport": {opts.Transport},
		"connection_type": {opts.ConnectionType}, "format": {opts.Format}, "direction": {opts.Direction},
	}
	var ext ari.ChannelData
	if err := a.rest.do(ctx, http.MethodPost, "/channels/externalMedia", q, map[string]any{"variables": map[string]string{"CALMLINE_CALL_ID": c.info.ID}}, &ext); err != nil {
		return fmt.Errorf("Asterisk refused externalMedia toward %s: %w", opts.ExternalHost, err)
	}
	remote, err := c.mediaRemote(ctx, ext)
	if err != nil {
		return err
	}
	media.SetRemote(remote)
	// Asterisk answers externalMedia before the channel has entered the app (its
	// StasisStart comes from another thread), and a bridge refuses a channel
	// outside the app: "422 Channel not in Stasis application", about one call in
	// ten against Asterisk 22 on a busy machine.
	if err := waitStart(ctx, started, c.done, a.cfg.RequestTimeout); err != nil {
		return fmt.Errorf("media channel %s: %w", c.extID, err)
	}
	c.bridgeID = newID("bridge")
	if err := c.createBridge(ctx, c.bridgeID, c.callerID, c.extID); err != nil {
		return err
	}
	c.log.Info("call up", "caller", c.info.CallerID, "rtp_local", media.LocalAddr(), "rtp_remote", remote,
		"setup", time.Since(c.info.Started).Round(time.Millisecond)) // StasisStart → answered, ExternalMedia bridged
	return nil
}

// mediaRemote reads where Asterisk's ExternalMedia socket is, from the
// channel variables chan_rtp sets.
func (c *callState) mediaRemote(ctx context.Context, ext ari.ChannelData) (netip.AddrPort, error) {
	addr, port := ext.ChannelVars["UNICASTRTP_LOCAL_ADDRESS"], ext.ChannelVars["UNICASTRTP_LOCAL_PORT"]
	var v struct {
		Value string `json:"value"`
	}
	if addr == "" {
		if err := c.a.rest.do(ctx, http.MethodGet, "/channels/"+esc(c.extID)+"/variable", url.Values{"variable": {"UNICASTRTP_LOCAL_ADDRESS"}}, nil, &v); err != nil {
			return netip.AddrPort{}, fmt.Errorf("read UNICASTRTP_LOCAL_ADDRESS: %w", err)
		}
		addr = v.Value
	}
	if port == "" {
		if err := c.a.rest.do(ctx, http.MethodGet, "/channels/"+esc(c.extID)+"/variable", url.Values{"variable": {"UNICASTRTP_LOCAL_PORT"}}, nil, &v); err != nil {
			return netip.AddrPort{}, fmt.Errorf("read UNICASTRTP_LOCAL_PORT: %w", err)
		}
		port = v.Value
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("UNICASTRTP_LOCAL_ADDRESS %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("UNICASTRTP_LOCAL_PORT %q is not a port", port)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

func (c *callState) createBridge(ctx context.Context, id string, channels ...string) error {
	c.mu.Lock()
	c.bridges = append(c.bridges, id)
	c.mu.Unlock()
	if err := c.a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(id), url.Values{"type": {"mixing"}, "name": {c.info.ID}}, nil, nil); err != nil {
		return fmt.Errorf("create bridge: %w", err)
	}
	for _, ch := range channels {
		if err := c.a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(id)+"/addChannel", url.Values{"channel": {ch}}, nil, nil); err != nil {
			return fmt.Errorf("add %s to bridge: %w", ch, err)
		}
	}
	return nil
}

// own registers an internal channel: its events come to this call and it is
// hung up at the end.
func (c *callState) own(id string) chan ari.Event {
	w := make(chan ari.Event, 16)
	c.mu.Lock()
	c.owned = append(c.owned, id)
	c.waiters[id] = w
	c.mu.Unlock()
	c.a.register(id, c)
	return w
}

// events drains the inbox in order until the call is finished.
func (c *callState) events() {
	var batch []ari.Event
	for {
		select {
		case <-c.inbox.signal:
		case <-c.finished:
			return
		}
		batch = c.inbox.drain(batch)
		for _, ev := range batch {
			c.handle(ev)
		}
	}
}

func (c *callState) handle(ev ari.Event) {
	id := channelOf(ev)
	if id == c.callerID {
		switch e := ev.(type) {
		case *ari.ChannelDtmfReceived:
			r := digit(e.Digit)
			if r == 0 {
				return
			}
			select {
			case c.dtmf <- r:
			default:
				c.log.Warn("DTMF dropped: nobody reading", "digit", e.Digit)
			}
		case *ari.StasisEnd:
			c.end("caller left")
		case *ari.ChannelDestroyed:
			c.end("caller hung up: " + e.CauseTxt)
		case *ari.ChannelHangupRequest:
			c.end("caller hung up")
		}
		return
	}
	c.mu.Lock()
	w := c.waiters[id]
	expert := c.transferred && id == c.expertID
	ext := id == c.extID && !c.transferred
	c.mu.Unlock()
	if isEnd(ev.GetType()) {
		switch {
		case expert:
			c.end("expert hung up")
		case ext:
			c.end("media channel ended")
		}
	}
	if w != nil {
		select {
		case w <- ev:
		default:
			c.log.Warn("event for internal channel dropped", "channel", id, "type", ev.GetType())
		}
	}
}

func channelOf(ev ari.Event) string {
	switch e := ev.(type) {
	case *ari.StasisStart:
		return e.Channel.ID
	case *ari.StasisEnd:
		return e.Channel.ID
	case *ari.ChannelDestroyed:
		return e.Channel.ID
	case *ari.ChannelHangupRequest:
		return e.Channel.ID
	case *ari.ChannelDtmfReceived:
		return e.Channel.ID
	case *ari.ChannelStateChange:
		return e.Channel.ID
	}
	return ""
}

func digit(s string) rune {
	if len(s) != 1 {
		return 0
	}
	r := rune(s[0])
	switch {
	case r >= '0' && r <= '9', r == '*', r == '#', r >= 'A' && r <= 'D':
		return r
	}
	return 0
}

// cleanup releases everything the call created, with fresh deadlines.
func (c *callState) cleanup() {
	a := c.a
	if c.media != nil {
		_ = c.media.Close()
	}
	c.mu.Lock()
	owned := append([]string(nil), c.owned...)
	bridges := append([]string(nil), c.bridges...)
	ep := c.expertEP
	reason := c.endReason
	c.mu.Unlock()
	a.hangupChannel(c.callerID, "normal")
	for _, id := range owned {
		a.hangupChannel(id, "normal")
	}
	for _, id := range bridges {
		a.destroyBridge(id)
	}
	a.unregister(append(owned, c.callerID)...)
	if ep != "" {
		a.mu.Lock()
		delete(a.busy, ep)
		a.mu.Unlock()
	}
	if c.media == nil {
		c.log.Info("call released", "reason", reason)
		return
	}
	st := c.media.Stats()
	a.m.rtp(st)
	c.log.Info("call released", "reason", reason, "rtp", st)
}

// Info implements telephony.Leg.
func (c *callState) Info() telephony.CallInfo { return c.info }

// ReadFrame implements telephony.Leg: caller audio from ExternalMedia.
func (c *callState) ReadFrame(ctx context.Context, frame []int16) error {
	if c.media == nil || c.ended() {
		return io.EOF
	}
	err := c.media.ReadFrame(ctx, frame)
	if errors.Is(err, rtp.ErrClosed) {
		return io.EOF
	}
	return err
}

// Play implements telephony.Leg: paced RTP toward Asterisk.
func (c *callState) Play(ctx context.Context, pcm []int16) error {
	c.mu.Lock()
	transferred := c.transferred
	c.mu.Unlock()
	switch {
	case c.ended() || c.media == nil:
		return ErrCallEnded
	case transferred:
		return ErrTransferred
	}
	err := c.media.Play(ctx, pcm)
	if errors.Is(err, rtp.ErrClosed) {
		return ErrCallEnded
	}
	return err
}

// DTMF implements telephony.Leg.
func (c *callState) DTMF() <-chan rune { return c.dtmf }

// Done implements telephony.Leg.
func (c *callState) Done() <-chan struct{} { return c.done }

// Hangup implements telephony.Leg; idempotent.
func (c *callState) Hangup(ctx context.Context, reason string) error {
	if c.ended() {
		return nil
	}
	c.end("calmline hung up: " + reason)
	err := c.a.rest.do(ctx, http.MethodDelete, "/channels/"+esc(c.callerID), url.Values{"reason": {"normal"}}, nil, nil)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("hang up %s: %w", c.info.ID, err)
	}
	return nil
}
