package ari

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/calmline/calmline/telephony"
)

// Transfer implements telephony.Switch: ring the queue's experts in order,
// bridge the first who answers with the caller, take the bot's media
// channel out of the call, and keep hearing the caller through a snoop
// channel so the emotion readings stay live. Higher Priority transfers ring
// first when several wait for the same queue (emergency = top priority).
//
// After a nil return the bot is out of the call: Play returns ErrTransferred,
// ReadFrame keeps delivering the caller's voice (snoop) until Done closes,
// and Hangup would end the caller's talk with the expert too. If the
// Handler returns early the App keeps the call bridged until one side
// hangs up. On error (ErrNoAnswer, ctx) the bot still owns the call.
func (c *callState) Transfer(ctx context.Context, t telephony.Transfer) error {
	a := c.a
	endpoints, ring := t.Endpoints, t.RingFor
	if q, ok := a.cfg.Queues[t.Queue]; ok {
		if len(endpoints) == 0 {
			endpoints = q.Endpoints
		}
		if ring <= 0 {
			ring = q.RingFor
		}
	}
	if ring <= 0 {
		ring = a.cfg.RingFor
	}
	if len(endpoints) == 0 {
		a.m.transfers.WithLabelValues("no_endpoints").Inc()
		return fmt.Errorf("transfer to queue %q: no endpoints configured: %w", t.Queue, ErrNoAnswer)
	}
	c.mu.Lock()
	already := c.transferred
	c.mu.Unlock()
	if already {
		return fmt.Errorf("transfer: %w", ErrTransferred)
	}
	release, err := a.queue(t.Queue).acquire(ctx, c.done, t.Priority)
	if err != nil {
		return fmt.Errorf("transfer to queue %q: wait for turn: %w", t.Queue, err)
	}
	defer release()

	vars := map[string]string{}
	for k, v := range t.Vars {
		vars[k] = v
	}
	vars["CALMLINE_CALL_ID"] = c.info.ID
	vars["CALMLINE_QUEUE"] = t.Queue
	vars["CALMLINE_PRIORITY"] = strconv.Itoa(t.Priority)
	if t.ReportURL != "" {
		vars["CALMLINE_REPORT_URL"] = t.ReportURL
	}
	for _, ep := range endpoints {
		if a.endpointBusy(ep) {
			c.log.Info("expert busy; next", "endpoint", ep)
			continue
		}
		id, err := c.ring(ctx, ep, ring, vars)
		switch {
		case err == nil:
			if err := c.connect(ctx, id, ep); err != nil {
				a.m.transfers.WithLabelValues("failed").Inc()
				return err
			}
			a.m.transfers.WithLabelValues("connected").Inc()
			return nil
		case errors.Is(err, ErrNoAnswer):
			continue
		default:
			a.m.transfers.WithLabelValues("failed").Inc()
			return err
		}
	}
	a.m.transfers.WithLabelValues("no_answer").Inc()
	return fmt.Errorf("transfer to queue %q (%d endpoints): %w", t.Queue, len(endpoints), ErrNoAnswer)
}

// ring originates to one endpoint into the app and waits for the answer
// (its StasisStart). ErrNoAnswer means try the next one.
func (c *callState) ring(ctx context.Context, ep string, ring time.Duration, vars map[string]string) (string, error) {
	a := c.a
	id := newID("expert")
	w := c.own(id)
	req := ari.OriginateRequest{
		Endpoint:   ep,
		Timeout:    int(math.Ceil(ring.Seconds())),
		CallerID:   c.info.CallerID,
		App:        a.cfg.App,
		AppArgs:    argInternal + ",expert",
		Originator: c.callerID,
		Variables:  vars,
	}
	q := url.Values{"endpoint": {req.Endpoint}, "timeout": {strconv.Itoa(req.Timeout)}, "app": {req.App},
		"appArgs": {req.AppArgs}, "originator": {req.Originator}}
	if req.CallerID != "" {
		q.Set("callerId", req.CallerID)
	}
	c.log.Info("ringing expert", "endpoint", ep, "for", ring)
	if err := a.rest.do(ctx, http.MethodPost, "/channels/"+esc(id), q, map[string]any{"variables": req.Variables}, nil); err != nil {
		c.log.Warn("originate failed; next expert", "endpoint", ep, "err", err)
		return "", fmt.Errorf("originate %s: %v: %w", ep, err, ErrNoAnswer)
	}
	timer := time.NewTimer(ring + 3*time.Second) // Asterisk's own timeout normally fires first
	defer timer.Stop()
	for {
		select {
		case ev := <-w:
			switch ev.(type) {
			case *ari.StasisStart:
				return id, nil
			case *ari.StasisEnd, *ari.ChannelDestroyed, *ari.ChannelHangupRequest:
				c.log.Info("expert did not answer", "endpoint", ep)
				return "", fmt.Errorf("%s: %w", ep, ErrNoAnswer)
			}
		case <-timer.C:
			a.hangupChannel(id, "normal")
			return "", fmt.Errorf("%s: rang %v: %w", ep, ring, ErrNoAnswer)
		case <-ctx.Done():
			a.hangupChannel(id, "normal")
			return "", ctx.Err()
		case <-c.done:
			a.hangupChannel(id, "normal")
			return "", ErrCallEnded
		}
	}
}

// connect puts the expert in the caller's bridge, takes the bot's media out
// and starts measuring the caller through a snoop channel.
func (c *callState) connect(ctx context.Context, expertID, ep string) error {
	a := c.a
	if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(c.bridgeID)+"/addChannel", url.Values{"channel": {expertID}}, nil, nil); err != nil {
		a.hangupChannel(expertID, "normal")
		return fmt.Errorf("bridge expert %s: %w", ep, err)
	}
	c.mu.Lock()
	c.transferred = true
	c.expertID = expertID
	c.expertEP = ep
	c.mu.Unlock()
	a.mu.Lock()
	a.busy[ep] = c.info.ID
	a.mu.Unlock()
	if err := a.rest.do(ctx, http.MethodPost, "/bridges/"+esc(c.bridgeID)+"/removeChannel", url.Values{"channel": {c.extID}}, nil, nil); err != nil {
		c.log.Warn("could not take the bot out of the bridge", "err", err)
	}
	c.log.Info("caller connected to expert", "endpoint", ep)
	if err := c.measure(ctx); err != nil {
		c.log.Warn("emotion measurement stops at the handoff", "err", err)
	}
	return nil
}

// measure snoops on what the caller says (spy=in) and bridges the snoop
// with the bot's ExternalMedia channel, so ReadFrame keeps delivering the
// caller's voice (and only it) during the human part.
func (c *callState) measure(ctx context.Context) error {
	a := c.a
	snoop := newID("measure")
	w := c.own(snoop)
	opts := ari.SnoopOptions{App: a.cfg.App, AppArgs: argInternal + ",measure", Spy: ari.DirectionIn, Whisper: ari.DirectionNone}
	q := url.Values{"app": {opts.App}, "appArgs": {opts.AppArgs}, "spy": {string(opts.Spy)}, "whisper": {string(opts.Whisper)}}
	if err := a.rest.do(ctx, http.MethodPost, "/channels/"+esc(c.callerID)+"/snoop/"+esc(snoop), q, nil, nil); err != nil {
		return fmt.Errorf("snoop caller: %w", err)
	}
	if err := waitStart(ctx, w, c.done, a.cfg.RequestTimeout); err != nil {
		return fmt.Errorf("snoop caller: %w", err)
	}
	return c.createBridge(ctx, newID("measure-bridge"), snoop, c.extID)
}

// waitStart waits for a channel we created to enter the app.
func waitStart(ctx context.Context, w <-chan ari.Event, done <-chan struct{}, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev := <-w:
			switch ev.(type) {
			case *ari.StasisStart:
				return nil
			case *ari.StasisEnd, *ari.ChannelDestroyed:
				return errors.New("channel ended before entering the app")
			}
		case <-timer.C:
			return errors.New("channel did not enter the app in time")
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return ErrCallEnded
		}
	}
}

func (a *App) endpointBusy(ep string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.busy[ep]
	return ok
}

func (a *App) queue(name string) *agentQueue {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.queues[name]
	if q == nil {
		q = &agentQueue{}
		a.queues[name] = q
	}
	return q
}

// agentQueue lets one transfer at a time ring a queue's experts; waiting
// transfers go highest priority first, then first come first served.
type agentQueue struct {
	mu      sync.Mutex
	busy    bool
	seq     uint64
	waiting []*queueWaiter
}

type queueWaiter struct {
	prio  int
	seq   uint64
	ready chan struct{}
}

func (q *agentQueue) acquire(ctx context.Context, done <-chan struct{}, prio int) (func(), error) {
	q.mu.Lock()
	if !q.busy && len(q.waiting) == 0 {
		q.busy = true
		q.mu.Unlock()
		return q.release, nil
	}
	q.seq++
	w := &queueWaiter{prio: prio, seq: q.seq, ready: make(chan struct{})}
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
	var err error
	select {
	case <-w.ready:
		return q.release, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-done:
		err = ErrCallEnded
	}
	q.mu.Lock()
	for i, x := range q.waiting {
		if x == w {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			q.mu.Unlock()
			return nil, err
		}
	}
	q.mu.Unlock()
	// Granted while giving up: pass the turn on.
	q.release()
	return nil, err
}

func (q *agentQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.busy = false
		return
	}
	best := 0
	for i, w := range q.waiting {
		b := q.waiting[best]
		if w.prio > b.prio || (w.prio == b.prio && w.seq < b.seq) {
			best = i
		}
	}
	w := q.waiting[best]
	q.waiting = append(q.waiting[:best], q.waiting[best+1:]...)
	close(w.ready)
}
