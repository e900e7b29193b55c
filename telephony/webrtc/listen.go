package webrtc

import (
	"context"
	"fmt"
	"time"

	"github.com/calmline/calmline/telephony"
)

// listener is one supervisor listening in on a call: a small mixer that adds what
// the caller says to what the caller hears (bot or agent) and sends it to the
// supervisor only. Nothing the supervisor says reaches the call.
type listener struct {
	p      *peer
	caller *frameQueue
	other  *frameQueue
}

// mixFrames is how far (in 20 ms frames) either side may run ahead of the mixer clock.
const mixFrames = 10

// run mixes every 20 ms until the supervisor or the call goes away.
func (ls *listener) run(ctx context.Context) {
	a := make([]int16, telephony.FrameSamples)
	b := make([]int16, telephony.FrameSamples)
	t := time.NewTicker(telephony.FrameDuration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !ls.caller.tryPop(a) {
			clear(a)
		}
		if ls.other.tryPop(b) {
			mixInto(a, b)
		}
		if err := ls.p.out.writeFrame(a); err != nil {
			ls.p.log.Debug("webrtc: listen-in write", "err", err)
		}
	}
}

// listen answers a supervisor's offer to hear call callID. The listen-in is audited
// before any audio flows, and its end is audited too.
func (s *Server) listen(ctx context.Context, callID, supervisor, remote, offer string) (*peer, string, error) {
	if s.auditor == nil {
		return nil, "", ErrNoAuditor
	}
	l, ok := s.Leg(callID)
	if !ok {
		return nil, "", fmt.Errorf("listen in on call %q: %w", callID, ErrNotFound)
	}
	if err := checkOffer(offer); err != nil {
		return nil, "", err
	}
	start := time.Now()
	if err := s.auditor.Audit(ctx, AuditEntry{Time: start, Actor: supervisor, Action: "listen_in.start",
		CallID: callID, Remote: remote}); err != nil {
		return nil, "", fmt.Errorf("audit listen-in: %w", err)
	}
	p, answer, err := s.accept(ctx, peerSpec{kind: PeerSupervisor, offer: offer, send: true, label: supervisor})
	if err != nil {
		return nil, "", err
	}
	s.m.listens.Inc()
	ls := &listener{p: p, caller: newFrameQueue(mixFrames), other: newFrameQueue(mixFrames)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-p.connected:
		case <-p.ctx.Done():
		case <-l.p.ctx.Done():
		}
		if p.ctx.Err() == nil && l.p.ctx.Err() == nil {
			l.mu.Lock()
			l.listeners[ls] = true
			l.mu.Unlock()
			mctx, stop := context.WithCancel(p.ctx)
			context.AfterFunc(l.p.ctx, stop)
			ls.run(mctx)
			stop()
			l.mu.Lock()
			delete(l.listeners, ls)
			l.mu.Unlock()
		}
		p.close("listen-in over")
		if err := s.auditor.Audit(context.Background(), AuditEntry{Time: time.Now(), Actor: supervisor,
			Action: "listen_in.stop", CallID: callID, Remote: remote,
			Details: fmt.Sprintf("listened %s", time.Since(start).Round(time.Second))}); err != nil {
			s.log.Error("webrtc: audit listen-in stop", "call", callID, "supervisor", supervisor, "err", err)
		}
	}()
	return p, answer, nil
}

// endListeners drops every supervisor when the call ends.
func (l *Leg) endListeners() {
	l.mu.Lock()
	ls := make([]*listener, 0, len(l.listeners))
	for x := range l.listeners {
		ls = append(ls, x)
	}
	l.mu.Unlock()
	for _, x := range ls {
		x.p.close("call ended")
	}
}
