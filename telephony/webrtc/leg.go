package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/calmline/calmline/telephony"
)

// Leg is one browser caller. It implements telephony.Leg, telephony.Switch (handoff
// to an agent logged in at /agent) and telephony.Notifier (events to the page, and to
// the agent once bridged).
type Leg struct {
	srv  *Server
	p    *peer
	info telephony.CallInfo
	in   *frameQueue
	dtmf chan rune

	playMu sync.Mutex // one Play at a time
	frame  []int16    // Play's pacing scratch

	mu        sync.Mutex
	agent     *agent             // the human the caller talks to, once bridged
	listeners map[*listener]bool // supervisors listening in
}

var (
	_ telephony.Leg      = (*Leg)(nil)
	_ telephony.Switch   = (*Leg)(nil)
	_ telephony.Notifier = (*Leg)(nil)
)

// Info describes the call.
func (l *Leg) Info() telephony.CallInfo { return l.info }

// ReadFrame fills frame with the next 20 ms of the caller's voice (16 kHz mono);
// io.EOF once the caller has gone.
func (l *Leg) ReadFrame(ctx context.Context, frame []int16) error {
	if len(frame) < telephony.FrameSamples {
		return fmt.Errorf("webrtc: read frame: buffer of %d samples, want %d", len(frame), telephony.FrameSamples)
	}
	return l.in.pop(ctx, frame[:telephony.FrameSamples], l.p.ctx.Done())
}

// Play sends 16 kHz PCM to the caller as Opus, paced at 20 ms; cancel ctx to stop
// it (barge-in). While the caller is bridged to an agent it returns ErrBridged.
func (l *Leg) Play(ctx context.Context, pcm []int16) error {
	l.playMu.Lock()
	defer l.playMu.Unlock()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(l.p.ctx, stop)()
	err := pace(ctx, pcm, l.frame, func(f []int16) error {
		if l.bridged() {
			return ErrBridged
		}
		return l.p.out.writeFrame(f)
	})
	if err != nil && l.p.ctx.Err() != nil && !errors.Is(err, ErrBridged) {
		return fmt.Errorf("webrtc: play: caller gone: %w", ErrClosed)
	}
	return err
}

// DTMF delivers keys the page sends as {"type":"dtmf","digit":"5"}.
func (l *Leg) DTMF() <-chan rune { return l.dtmf }

// Done is closed when the call has ended.
func (l *Leg) Done() <-chan struct{} { return l.p.ctx.Done() }

// Hangup ends the call; idempotent. The page gets a "hangup" event first.
func (l *Leg) Hangup(_ context.Context, reason string) error {
	if l.p.ctx.Err() == nil {
		l.p.send(telephony.Event{Type: "hangup", CallID: l.info.ID, Time: time.Now(), Data: map[string]string{"reason": reason}})
		// Let the data channel flush the last event before the connection goes.
		time.AfterFunc(200*time.Millisecond, func() { l.p.close("hangup: " + reason) })
	}
	return nil
}

// Notify shows an event on the caller's page and, once bridged, on the agent's
// console; the session keeps calling it after a handoff so the agent sees the
// caller's live emotion. It never blocks on the network.
func (l *Leg) Notify(ev telephony.Event) {
	if ev.CallID == "" {
		ev.CallID = l.info.ID
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	l.p.send(ev)
	l.mu.Lock()
	a := l.agent
	l.mu.Unlock()
	if a != nil {
		a.notify(agentMsg{Type: "call_event", CallID: l.info.ID, Event: &ev})
	}
}

func (l *Leg) bridged() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.agent != nil
}

// onCallerFrame is the caller's decoded audio: to the session, to a bridged agent,
// to supervisors listening in.
func (l *Leg) onCallerFrame(f []int16) {
	if l.in.push(f) {
		l.srv.m.dropped.Inc()
	}
	l.mu.Lock()
	a := l.agent
	for ls := range l.listeners {
		_ = ls.caller.push(f) // a lagging listen-in just skips audio
	}
	l.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	ap := a.p
	a.mu.Unlock()
	if ap != nil && ap.out != nil {
		if err := ap.out.writeFrame(f); err != nil {
			l.p.log.Debug("webrtc: relay to agent", "err", err)
		}
	}
}

// onSentFrame sees what the caller hears (bot or agent), for supervisors.
func (l *Leg) onSentFrame(f []int16) {
	l.mu.Lock()
	for ls := range l.listeners {
		_ = ls.other.push(f)
	}
	l.mu.Unlock()
}

// callerMsg is what the softphone page may send on the data channel.
type callerMsg struct {
	Type  string `json:"type"`
	Digit string `json:"digit"`
}

func (l *Leg) onMessage(b []byte) {
	var m callerMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return // hostile page: ignore what we do not understand
	}
	switch m.Type {
	case "dtmf":
		r := []rune(m.Digit)
		if len(r) == 1 && isDTMF(r[0]) {
			select {
			case l.dtmf <- r[0]:
			default:
			}
		}
	case "hangup":
		l.p.close("caller hung up")
	}
}

func isDTMF(r rune) bool {
	return (r >= '0' && r <= '9') || r == '*' || r == '#' || (r >= 'A' && r <= 'D')
}

// newCall answers a caller's offer and, once connected, runs the handler.
func (s *Server) newCall(ctx context.Context, offer string, info telephony.CallInfo) (*Leg, string, error) {
	l := &Leg{srv: s, in: newFrameQueue(queueFrames), dtmf: make(chan rune, 16),
		frame: make([]int16, telephony.FrameSamples), listeners: map[*listener]bool{}}
	p, answer, err := s.accept(ctx, peerSpec{
		kind: PeerCaller, offer: offer, send: true, label: info.CallerID,
		onFrame: l.onCallerFrame, onMsg: l.onMessage,
		setup: func(p *peer) {
			l.p = p
			info.ID = p.id
			info.Started = time.Now()
			l.info = info
			p.out.setTap(l.onSentFrame)
		},
	})
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	s.calls[l.info.ID] = l
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.calls, l.info.ID)
			s.mu.Unlock()
			l.endBridge()
			l.endListeners()
		}()
		select {
		case <-p.connected:
		case <-p.ctx.Done():
			return
		}
		s.h(p.ctx, l)
		_ = l.Hangup(context.Background(), "handler returned")
		<-p.ctx.Done()
	}()
	return l, answer, nil
}
