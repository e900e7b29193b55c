package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
)

// LiveCall is a call a supervisor can pick.
type LiveCall struct {
	Number  int     // short number the supervisor dials (DTMF)
	CallID  string  // telephony.CallInfo.ID
	Urgency float64 // higher is more urgent; "#" alone picks the highest
}

// Directory lists live calls for supervisors; calmline implements it from
// its live sessions (emotion level → urgency).
type Directory interface {
	LiveCalls() []LiveCall
}

// AuditEntry is one supervisor action on a call.
type AuditEntry struct {
	Supervisor string    `json:"supervisor"`
	CallID     string    `json:"call_id"`
	Number     int       `json:"number"`
	Mode       Mode      `json:"mode"`
	Action     string    `json:"action"` // "start" (mode entered) or "stop" (mode left)
	At         time.Time `json:"at"`
}

// Auditor writes the listen-in audit log. It must not block for long: the
// supervisor's call waits for it.
type Auditor interface {
	AuditListen(ctx context.Context, e AuditEntry) error
}

// Supervisor DTMF: PIN then '#'; call number then '#' (just '#' = most
// urgent); then 1 listen, 2 whisper (to the expert), 3 barge, '*' leave the
// call and pick another.
const maxPINTries = 3

type supState int

const (
	supPIN supState = iota
	supPick
	supOn
)

// supervisor is one supervisor's SIP call in the app.
type supervisor struct {
	a     *App
	log   *slog.Logger
	id    string // supervisor's channel
	inbox *eventQueue

	mu      sync.Mutex
	waiters map[string]chan ari.Event

	name    string
	state   supState
	digits  []rune
	tries   int
	target  *callState
	number  int
	mode    Mode
	snoopID string
	spyBr   string
	inCall  bool // barged into the call's bridge
	ended   bool
}

func newSupervisor(a *App, ch ari.ChannelData) *supervisor {
	return &supervisor{a: a, log: a.log.With("supervisor_channel", ch.ID), id: ch.ID, inbox: newEventQueue(), waiters: map[string]chan ari.Event{}}
}

func (s *supervisor) deliver(ev ari.Event) {
	id := channelOf(ev)
	s.mu.Lock()
	w := s.waiters[id]
	s.mu.Unlock()
	if w != nil && id != s.id {
		select {
		case w <- ev:
		default:
		}
	}
	s.inbox.push(ev)
}

func (s *supervisor) shutdown(string) {
	s.inbox.push(&ari.StasisEnd{EventData: ari.EventData{Type: ari.Events.StasisEnd}, Channel: ari.ChannelData{ID: s.id}})
}

func (s *supervisor) run(ctx context.Context) {
	defer s.cleanup()
	if err := s.a.rest.do(ctx, http.MethodPost, "/channels/"+esc(s.id)+"/answer", nil, nil, nil); err != nil {
		s.log.Warn("supervisor answer failed", "err", err)
		return
	}
	s.log.Info("supervisor line: waiting for PIN")
	var batch []ari.Event
	for !s.ended {
		var targetDone <-chan struct{}
		if s.target != nil {
			targetDone = s.target.done
		}
		select {
		case <-ctx.Done():
			return
		case <-targetDone:
			s.log.Info("supervised call ended", "call", s.target.info.ID)
			s.detach(ctx)
			s.target = nil
			s.state = supPick
			s.beep(ctx)
			continue
		case <-s.inbox.signal:
		}
		batch = s.inbox.drain(batch)
		for _, ev := range batch {
			s.handle(ctx, ev)
		}
	}
}

func (s *supervisor) handle(ctx context.Context, ev ari.Event) {
	id := channelOf(ev)
	if id != s.id {
		if id == s.snoopID && isEnd(ev.GetType()) && s.target != nil {
			s.log.Info("snoop channel ended")
		}
		return
	}
	switch e := ev.(type) {
	case *ari.StasisEnd, *ari.ChannelDestroyed, *ari.ChannelHangupRequest:
		s.ended = true
	case *ari.ChannelDtmfReceived:
		if r := digit(e.Digit); r != 0 {
			s.key(ctx, r)
		}
	}
}

func (s *supervisor) key(ctx context.Context, r rune) {
	switch s.state {
	case supPIN:
		if r != '#' {
			if len(s.digits) < 16 {
				s.digits = append(s.digits, r)
			}
			return
		}
		pin := string(s.digits)
		s.digits = s.digits[:0]
		name, ok := s.a.cfg.SupervisorPINs[pin]
		if !ok {
			s.tries++
			s.log.Warn("supervisor PIN rejected", "tries", s.tries)
			if s.tries >= maxPINTries {
				s.ended = true
				return
			}
			s.play(ctx, "sound:vm-invalid-password")
			return
		}
		s.name = name
		s.log = s.log.With("supervisor", name)
		s.state = supPick
		s.log.Info("supervisor authenticated")
		s.beep(ctx)
	case supPick:
		if r != '#' {
			if r >= '0' && r <= '9' && len(s.digits) < 6 {
				s.digits = append(s.digits, r)
			}
			return
		}
		want := 0
		if len(s.digits) > 0 {
			want, _ = strconv.Atoi(string(s.digits))
		}
		s.digits = s.digits[:0]
		lc, c := s.pick(want)
		if c == nil {
			s.log.Info("no such live call", "number", want)
			s.play(ctx, "sound:invalid")
			return
		}
		s.target, s.number = c, lc.Number
		if err := s.setMode(ctx, ModeListen); err != nil {
			s.log.Warn("listen-in failed", "call", c.info.ID, "err", err)
			s.target = nil
			s.play(ctx, "sound:invalid")
			return
		}
		s.state = supOn
	case supOn:
		var m Mode
		switch r {
		case '1':
			m = ModeListen
		case '2':
			m = ModeWhisper
		case '3':
			m = ModeBarge
		case '*':
			s.detach(ctx)
			s.state = supPick
			s.beep(ctx)
			return
		default:
			return
		}
		if m == s.mode {
			return
		}
		if err := s.setMode(ctx, m); err != nil {
			s.log.Warn("mode switch failed", "mode", m, "err", err)
			s.play(ctx, "sound:invalid")
		}
	}
}

// pick finds a live call by number (0 = the most urgent).
func (s *supervisor) pick(number int) (LiveCall, *callState) {
	var calls []LiveCall
	if s.a.dir != nil {
		calls = s.a.dir.LiveCalls()
	} else {
		calls = s.a.LiveCalls()
	}
	sort.SliceStable(calls, func(i, j int) bool {
		if calls[i].Urgency != calls[j].Urgency {
			return calls[i].Urgency > calls[j].Urgency
		}
		return calls[i].Number < calls[j].Number
	})
	for _, lc := range calls {
		if number != 0 && lc.Number != number {
			continue
		}
		if c := s.a.callByID(lc.CallID); c != nil && !c.ended() {
			return lc, c
		}
	}
	return LiveCall{}, nil
}

// setMode attaches the supervisor to the target call in mode m:
// listen = snoop on the caller's channel (spy both: caller and whoever
// answers them); whisper = snoop on the expert's channel, spy both and
// whisper out, so only the expert hears the supervisor; barge = the
// supervisor joins the call's own bridge (Asterisk's addChannel departs the
// Stasis bridge a channel is in, see res/stasis/control.c). In
// res_stasis_snoop "out" is the audiohook's WRITE direction: audio toward
// the spied channel's device, i.e. the expert's phone.
func (s *supervisor) setMode(ctx context.Context, m Mode) error {
	c := s.target
	c.mu.Lock()
	expert, transferred := c.expertID, c.transferred
	c.mu.Unlock()
	if m == ModeWhisper && !transferred {
		return errors.New("whisper needs a human expert on the call; the bot is still talking")
	}
	s.detach(ctx)
	a := s.a
	switch m {
	case ModeBarge:
		if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(c.bridgeID)+"/addChannel", url.Values{"channel": {s.id}}, nil, nil); err != nil {
			return fmt.Errorf("barge: %w", err)
		}
		s.inCall = true
	default:
		spied, whisper := c.callerID, ari.DirectionNone
		if m == ModeWhisper {
			spied, whisper = expert, ari.DirectionOut
		}
		snoop := newID("snoop")
		w := make(chan ari.Event, 8)
		s.mu.Lock()
		s.waiters[snoop] = w
		s.mu.Unlock()
		a.register(snoop, s)
		s.snoopID = snoop
		opts := ari.SnoopOptions{App: a.cfg.App, AppArgs: argInternal + ",snoop", Spy: ari.DirectionBoth, Whisper: whisper}
		q := url.Values{"app": {opts.App}, "appArgs": {opts.AppArgs}, "spy": {string(opts.Spy)}, "whisper": {string(opts.Whisper)}}
		if err := a.rest.do(ctx, http.MethodPost, "/channels/"+esc(spied)+"/snoop/"+esc(snoop), q, nil, nil); err != nil {
			return fmt.Errorf("snoop: %w", err)
		}
		if err := waitStart(ctx, w, c.done, a.cfg.RequestTimeout); err != nil {
			return fmt.Errorf("snoop: %w", err)
		}
		if s.spyBr == "" {
			s.spyBr = newID("spy-bridge")
			if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(s.spyBr), url.Values{"type": {"mixing"}, "name": {"supervisor"}}, nil, nil); err != nil {
				return fmt.Errorf("spy bridge: %w", err)
			}
			if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(s.spyBr)+"/addChannel", url.Values{"channel": {s.id}}, nil, nil); err != nil {
				return fmt.Errorf("spy bridge: %w", err)
			}
		}
		if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(s.spyBr)+"/addChannel", url.Values{"channel": {snoop}}, nil, nil); err != nil {
			return fmt.Errorf("spy bridge: %w", err)
		}
	}
	s.mode = m
	a.m.listenIns.WithLabelValues(m.String()).Inc()
	s.auditf(ctx, "start")
	return nil
}

// detach undoes the current mode (snoop hung up, supervisor out of the
// call's bridge) and audits its end.
func (s *supervisor) detach(ctx context.Context) {
	if s.mode == ModeUnknown {
		return
	}
	a := s.a
	if s.snoopID != "" {
		a.hangupChannel(s.snoopID, "normal")
		a.unregister(s.snoopID)
		s.mu.Lock()
		delete(s.waiters, s.snoopID)
		s.mu.Unlock()
		s.snoopID = ""
	}
	if s.inCall && s.target != nil {
		rctx, cancel := context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
		if err := a.rest.do(rctx, http.MethodPost, "/bridges/"+esc(s.target.bridgeID)+"/removeChannel", url.Values{"channel": {s.id}}, nil, nil); err != nil && !errors.Is(err, ErrNotFound) {
			s.log.Warn("leave call bridge", "err", err)
		}
		cancel()
		s.inCall = false
		if s.spyBr != "" && !s.ended {
			rctx, cancel := context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
			_ = a.rest.do(rctx, http.MethodPost, "/bridges/"+esc(s.spyBr)+"/addChannel", url.Values{"channel": {s.id}}, nil, nil)
			cancel()
		}
	}
	s.auditf(ctx, "stop")
	s.mode = ModeUnknown
}

func (s *supervisor) auditf(ctx context.Context, action string) {
	if s.target == nil {
		return
	}
	e := AuditEntry{Supervisor: s.name, CallID: s.target.info.ID, Number: s.number, Mode: s.mode, Action: action, At: time.Now().UTC()}
	s.log.Info("listen-in", "call", e.CallID, "mode", e.Mode, "action", action)
	if s.a.audit == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.a.cfg.RequestTimeout)
	defer cancel()
	if err := s.a.audit.AuditListen(actx, e); err != nil {
		s.log.Error("audit log write failed", "err", err, "entry", e)
	}
}

func (s *supervisor) beep(ctx context.Context) { s.play(ctx, "sound:beep") }

// play is a best-effort prompt to the supervisor (Asterisk's sounds).
func (s *supervisor) play(ctx context.Context, media string) {
	if s.ended {
		return
	}
	if err := s.a.rest.do(ctx, http.MethodPost, "/channels/"+esc(s.id)+"/play/"+esc(newID("pb")), url.Values{"media": {media}}, nil, nil); err != nil {
		s.log.Debug("prompt failed", "media", media, "err", err)
	}
}

func (s *supervisor) cleanup() {
	s.ended = true
	s.detach(context.Background())
	a := s.a
	if s.spyBr != "" {
		a.destroyBridge(s.spyBr)
	}
	a.hangupChannel(s.id, "normal")
	a.unregister(s.id)
	s.log.Info("supervisor line closed")
}
