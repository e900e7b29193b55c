package webrtc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// maxQueuedEvents bounds events kept for a data channel that is not open yet.
const maxQueuedEvents = 64

// peer is one browser PeerConnection (caller, agent or supervisor): pion callbacks
// turned into a context that ends when the peer goes away, plus its data channel.
type peer struct {
	id        string
	kind      PeerKind
	pc        *webrtc.PeerConnection
	out       *sender // nil when we send no audio to this peer
	ctx       context.Context
	cancel    context.CancelFunc
	connected chan struct{}
	log       *slog.Logger

	connOnce  sync.Once
	closeOnce sync.Once
	reasonMu  sync.Mutex
	reason    string

	dcMu      sync.Mutex
	dc        *webrtc.DataChannel
	dcOpen    bool
	queued    [][]byte
	onMessage func(msg []byte) // set before the answer is returned; called on the data channel goroutine
}

// send delivers one JSON message over the data channel, queueing a few while it opens.
func (p *peer) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		p.log.Warn("webrtc: event not sendable", "err", err)
		return
	}
	p.dcMu.Lock()
	defer p.dcMu.Unlock()
	if !p.dcOpen {
		if len(p.queued) < maxQueuedEvents {
			p.queued = append(p.queued, b)
		}
		return
	}
	if err := p.dc.SendText(string(b)); err != nil {
		p.log.Debug("webrtc: data channel send failed", "err", err)
	}
}

// attachDataChannel adopts the data channel the browser opened.
func (p *peer) attachDataChannel(dc *webrtc.DataChannel) {
	p.dcMu.Lock()
	p.dc = dc
	p.dcMu.Unlock()
	dc.OnOpen(func() {
		p.dcMu.Lock()
		defer p.dcMu.Unlock()
		p.dcOpen = true
		for _, b := range p.queued {
			if err := dc.SendText(string(b)); err != nil {
				break
			}
		}
		p.queued = nil
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if p.onMessage != nil && len(m.Data) <= 64<<10 {
			p.onMessage(m.Data)
		}
	})
	dc.OnClose(func() { p.close("data channel closed") })
}

// close ends the peer once; the first reason wins.
func (p *peer) close(reason string) {
	p.closeOnce.Do(func() {
		p.reasonMu.Lock()
		p.reason = reason
		p.reasonMu.Unlock()
		// Cancelling is all: the server's exit goroutine for this peer closes the
		// PeerConnection, since pion may call us from inside its own callbacks.
		p.cancel()
		p.log.Info("webrtc: peer closed", "reason", reason)
	})
}

// closeReason is why the peer ended ("" while it runs).
func (p *peer) closeReason() string {
	p.reasonMu.Lock()
	defer p.reasonMu.Unlock()
	return p.reason
}

// checkOffer parses an SDP offer and requires an audio section offering Opus.
// Everything in it is hostile until parsed.
func checkOffer(offer string) error {
	if strings.TrimSpace(offer) == "" {
		return fmt.Errorf("%w: empty body", ErrBadOffer)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToLower(a.Value), "opus/48000") {
				return nil
			}
		}
	}
	return ErrNoOpus
}
