package webrtc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/calmline/calmline/telephony"
)

// agentState is where a logged-in agent is in the handoff cycle.
type agentState int

const (
	agentOffline agentState = iota // logged in, no audio connection yet
	agentIdle
	agentRinging
	agentBusy
)

var agentStateNames = [...]string{"offline", "idle", "ringing", "busy"}

func (s agentState) String() string {
	if s < 0 || int(s) >= len(agentStateNames) {
		return fmt.Sprintf("agentState(%d)", int(s))
	}
	return agentStateNames[s]
}

// agent is a human logged in at /agent. Callers are bridged to its PeerConnection.
type agent struct {
	id, name, token string
	queues          []string

	mu        sync.Mutex
	p         *peer
	state     agentState
	call      *Leg
	idleSince time.Time
	answer    chan bool // accept/reject while ringing
}

// agentMsg is the agent console's data channel protocol, both ways.
type agentMsg struct {
	Type     string              `json:"type"` // to agent: ring, connected, call_event, ended; from agent: accept, reject, hangup
	CallID   string              `json:"call_id,omitempty"`
	Call     *telephony.CallInfo `json:"call,omitempty"`
	Transfer *transferView       `json:"transfer,omitempty"`
	Event    *telephony.Event    `json:"event,omitempty"`
	Reason   string              `json:"reason,omitempty"`
}

// transferView is the part of a telephony.Transfer the agent sees: the emotion
// report link and the session's variables (category, level, summary, ...).
type transferView struct {
	Queue     string            `json:"queue"`
	Priority  int               `json:"priority"`
	ReportURL string            `json:"report_url,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
}

func (a *agent) notify(m agentMsg) {
	a.mu.Lock()
	p := a.p
	a.mu.Unlock()
	if p != nil {
		p.send(m)
	}
}

// AgentStatus is one agent in GET /v1/agents.
type AgentStatus struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Queues []string `json:"queues,omitempty"`
	State  string   `json:"state"`
	CallID string   `json:"call_id,omitempty"`
}

func (a *agent) status() AgentStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := AgentStatus{ID: a.id, Name: a.name, Queues: a.queues, State: a.state.String()}
	if a.call != nil {
		st.CallID = a.call.info.ID
	}
	return st
}

// agentDesk holds the logged-in agents.
type agentDesk struct {
	mu      sync.Mutex
	byID    map[string]*agent
	byToken map[string]*agent
}

func newAgentDesk() *agentDesk {
	return &agentDesk{byID: map[string]*agent{}, byToken: map[string]*agent{}}
}

func (d *agentDesk) login(name string, queues []string) *agent {
	a := &agent{id: newID()[:8], name: name, token: newID(), queues: queues, answer: make(chan bool, 1)}
	d.mu.Lock()
	d.byID[a.id] = a
	d.byToken[a.token] = a
	d.mu.Unlock()
	return a
}

func (d *agentDesk) byTok(tok string) (*agent, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.byToken[tok]
	return a, ok
}

func (d *agentDesk) list() []AgentStatus {
	d.mu.Lock()
	as := make([]*agent, 0, len(d.byID))
	for _, a := range d.byID {
		as = append(as, a)
	}
	d.mu.Unlock()
	out := make([]AgentStatus, 0, len(as))
	for _, a := range as {
		out = append(out, a.status())
	}
	slices.SortFunc(out, func(x, y AgentStatus) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// candidates are the agents to ring for t, in order. Endpoints "webrtc/NAME" (or
// "agent/NAME") name agents explicitly; otherwise every idle agent serving t.Queue
// (or every queue), longest idle first.
func (d *agentDesk) candidates(t telephony.Transfer) []*agent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var named []string
	for _, e := range t.Endpoints {
		for _, pre := range []string{"webrtc/", "agent/"} {
			if n, ok := strings.CutPrefix(e, pre); ok {
				named = append(named, n)
			}
		}
	}
	var out []*agent
	if len(named) > 0 {
		for _, n := range named {
			for _, a := range d.byID {
				if a.name == n {
					out = append(out, a)
				}
			}
		}
		return out
	}
	for _, a := range d.byID {
		if len(a.queues) == 0 || t.Queue == "" || slices.Contains(a.queues, t.Queue) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y *agent) int { return x.idleSinceUnlocked().Compare(y.idleSinceUnlocked()) })
	return out
}

func (a *agent) idleSinceUnlocked() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.idleSince
}

// tryRing moves an idle, connected agent to ringing for l.
func (a *agent) tryRing(l *Leg) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != agentIdle || a.p == nil || a.p.ctx.Err() != nil {
		return false
	}
	a.state = agentRinging
	a.call = l
	select { // forget an answer left over from an earlier ring
	case <-a.answer:
	default:
	}
	return true
}

func (a *agent) setIdle() {
	a.mu.Lock()
	a.state = agentIdle
	a.call = nil
	a.idleSince = time.Now()
	a.mu.Unlock()
}

// onAgentFrame relays the agent's voice to the caller it is bridged to.
func (a *agent) onAgentFrame(f []int16) {
	a.mu.Lock()
	l := a.call
	busy := a.state == agentBusy
	a.mu.Unlock()
	if l != nil && busy {
		if err := l.p.out.writeFrame(f); err != nil {
			l.p.log.Debug("webrtc: relay to caller", "err", err)
		}
	}
}

func (a *agent) onMessage(b []byte) {
	var m agentMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return
	}
	switch m.Type {
	case "accept", "reject":
		select {
		case a.answer <- m.Type == "accept":
		default:
		}
	case "hangup":
		a.mu.Lock()
		l := a.call
		busy := a.state == agentBusy
		a.mu.Unlock()
		if l != nil && busy {
			_ = l.Hangup(context.Background(), "agent hung up")
		}
	}
}

// Transfer rings the logged-in agents for t one after another and bridges the
// caller to the first who accepts. On success the bot has left the call: Play
// returns ErrBridged, ReadFrame and Notify keep working so the session can follow
// the caller's emotion and show it to the agent. ErrNoAgent when nobody accepted.
func (l *Leg) Transfer(ctx context.Context, t telephony.Transfer) error {
	ringFor := t.RingFor
	if ringFor <= 0 {
		ringFor = DefaultRingFor
	}
	view := &transferView{Queue: t.Queue, Priority: t.Priority, ReportURL: t.ReportURL, Vars: t.Vars}
	info := l.info
	for _, a := range l.srv.agents.candidates(t) {
		if !a.tryRing(l) {
			continue
		}
		a.notify(agentMsg{Type: "ring", CallID: info.ID, Call: &info, Transfer: view})
		accepted, err := l.waitAnswer(ctx, a, ringFor)
		if accepted {
			l.mu.Lock()
			l.agent = a
			l.mu.Unlock()
			a.mu.Lock()
			a.state = agentBusy
			a.mu.Unlock()
			a.notify(agentMsg{Type: "connected", CallID: info.ID, Call: &info, Transfer: view})
			l.Notify(telephony.Event{Type: "state", Data: map[string]string{"state": "agent", "agent": a.name}})
			l.srv.log.Info("webrtc: caller bridged to agent", "call", info.ID, "agent", a.name)
			return nil
		}
		a.setIdle()
		a.notify(agentMsg{Type: "ended", CallID: info.ID, Reason: "not answered"})
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("transfer call %s to queue %q: %w", info.ID, t.Queue, ErrNoAgent)
}

// waitAnswer waits for the ringing agent; err is set when the caller or ctx ended.
func (l *Leg) waitAnswer(ctx context.Context, a *agent, ringFor time.Duration) (bool, error) {
	t := time.NewTimer(ringFor)
	defer t.Stop()
	a.mu.Lock()
	agentGone := a.p.ctx.Done()
	a.mu.Unlock()
	select {
	case ok := <-a.answer:
		if l.p.ctx.Err() != nil {
			return false, fmt.Errorf("transfer: %w", ErrClosed)
		}
		return ok, nil
	case <-t.C:
		return false, nil
	case <-agentGone:
		return false, nil
	case <-ctx.Done():
		return false, fmt.Errorf("transfer: %w", ctx.Err())
	case <-l.p.ctx.Done():
		return false, fmt.Errorf("transfer: caller gone: %w", ErrClosed)
	}
}

// endBridge releases the agent when the call ends.
func (l *Leg) endBridge() {
	l.mu.Lock()
	a := l.agent
	l.agent = nil
	l.mu.Unlock()
	if a == nil {
		return
	}
	a.setIdle()
	a.notify(agentMsg{Type: "ended", CallID: l.info.ID, Reason: l.p.closeReason()})
}

// connectAgent answers an agent console's offer; the agent becomes idle once connected.
func (s *Server) connectAgent(ctx context.Context, a *agent, offer string) (*peer, string, error) {
	p, answer, err := s.accept(ctx, peerSpec{kind: PeerAgent, offer: offer, send: true, label: a.name,
		onFrame: a.onAgentFrame, onMsg: a.onMessage})
	if err != nil {
		return nil, "", err
	}
	a.mu.Lock()
	old := a.p
	a.p = p
	a.mu.Unlock()
	if old != nil {
		old.close("agent reconnected")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-p.connected:
			a.mu.Lock()
			if a.p == p && a.state == agentOffline {
				a.state = agentIdle
				a.idleSince = time.Now()
			}
			a.mu.Unlock()
		case <-p.ctx.Done():
		}
		<-p.ctx.Done()
		a.mu.Lock()
		if a.p != p {
			a.mu.Unlock()
			return
		}
		l := a.call
		busy := a.state == agentBusy
		a.state = agentOffline
		a.call = nil
		a.mu.Unlock()
		if l != nil && busy {
			_ = l.Hangup(context.Background(), "agent left")
		}
	}()
	return p, answer, nil
}
