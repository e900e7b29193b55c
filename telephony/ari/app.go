// Package ari runs calmline as an Asterisk Stasis application: each call that
// enters the app gets an ExternalMedia RTP channel (G.711 μ-law) in a mixing
// bridge with the caller, and is handed to a Handler as a telephony.Leg that
// can also transfer to human experts (telephony.Switch). Supervisors dial an
// extension that enters the app with the argument "supervise" to listen in.
//
// Events come from the ARI WebSocket; each call owns an unbounded, ordered
// inbox, so a slow handler never makes the reader drop a StasisEnd or hangup
// (ari/v5's stdbus drops events for lagging subscribers). The connection is
// re-established with exponential backoff; after a reconnect the App checks
// every call it holds against Asterisk and ends those Asterisk no longer has,
// and hangs up channels left in the app by an earlier calmline process.
package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"golang.org/x/net/websocket"
)

// App arguments that mark channels calmline creates for itself; a
// StasisStart carrying them is never treated as a new caller.
const (
	argSupervise = "supervise"
	argInternal  = "calmline-internal"
)

// App is a running Stasis application.
type App struct {
	cfg   Config
	h     Handler
	log   *slog.Logger
	dir   Directory
	audit Auditor
	reg   registerer
	m     *metrics
	rest  *rest

	mu         sync.Mutex
	routes     map[string]owner      // channel id -> who gets its events
	calls      map[string]*callState // caller channel id -> call
	nextNumber int
	portCursor int
	queues     map[string]*agentQueue
	busy       map[string]string // expert endpoint -> call id, while connected
	connected  bool
	keepEvery  time.Duration // keepalive interval; 20 s (tests shorten it)

	wg sync.WaitGroup // call and supervisor goroutines
}

// owner receives the events of the channels it registered.
type owner interface {
	deliver(ev ari.Event)
}

// New checks cfg and builds an App; Run connects it.
func New(cfg Config, h Handler, opts ...Option) (*App, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil Handler", ErrConfig)
	}
	a := &App{
		cfg:    cfg,
		h:      h,
		log:    slog.Default(),
		routes: make(map[string]owner),
		calls:  make(map[string]*callState),
		queues: make(map[string]*agentQueue),
		busy:   make(map[string]string),

		keepEvery: 20 * time.Second,
	}
	for _, o := range opts {
		o(a)
	}
	a.log = a.log.With("component", "ari", "app", cfg.App)
	a.rest = newREST(cfg)
	a.m, err = newMetrics(a.reg)
	if err != nil {
		return nil, fmt.Errorf("ari: register metrics: %w", err)
	}
	return a, nil
}

// Run connects to Asterisk and serves calls until ctx is done, reconnecting
// with backoff whenever the events WebSocket drops. On return every call
// has been ended and released.
func (a *App) Run(ctx context.Context) error {
	defer func() {
		a.endAll("calmline shutting down")
		a.wg.Wait()
		a.rest.close()
	}()
	backoff := a.cfg.ReconnectMin
	first := true
	for {
		start := time.Now()
		err := a.session(ctx, first)
		if ctx.Err() != nil {
			return nil
		}
		first = false
		a.m.reconnects.Inc()
		if time.Since(start) > 10*a.cfg.ReconnectMin+time.Minute/6 {
			backoff = a.cfg.ReconnectMin // it was up for a while: retry quickly
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		a.log.Warn("ARI connection lost; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, a.cfg.ReconnectMax)
	}
}

// session is one WebSocket connection: dial, reconcile, read until error.
func (a *App) session(ctx context.Context, first bool) error {
	wsURL, err := eventsURL(a.cfg)
	if err != nil {
		return err
	}
	// The Origin has no trailing slash: Asterisk compares it verbatim with
	// ari.conf's allowed_origins and logs a NOTICE on every connect otherwise.
	wc, err := websocket.NewConfig(wsURL, "http://localhost")
	if err != nil {
		return fmt.Errorf("ari: events config: %w", err)
	}
	wc.Header = http.Header{}
	req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
	req.SetBasicAuth(a.cfg.User, a.cfg.Password)
	wc.Header.Set("Authorization", req.Header.Get("Authorization"))
	dctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	ws, err := wc.DialContext(dctx)
	cancel()
	if err != nil {
		return fmt.Errorf("ari: connect events %s: %w", redact(wsURL), err)
	}
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	defer ws.Close()
	a.setConnected(true)
	defer a.setConnected(false)
	a.log.Info("ARI connected", "url", redact(wsURL))
	// Reconcile in the background so events keep flowing meanwhile.
	connectedAt := time.Now()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.reconcile(ctx, first, connectedAt)
	}()
	kctx, stopKeepalive := context.WithCancel(ctx)
	defer stopKeepalive()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.keepalive(kctx, ws)
	}()
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("ari: events: closed by Asterisk")
			}
			return fmt.Errorf("ari: events: %w", err)
		}
		a.dispatch(ctx, data)
	}
}

// keepalive asks Asterisk for its info every 20 s while the WebSocket is up;
// two failures in a row close the WebSocket, so a silently dead connection
// (no FIN, no RST) is replaced instead of waiting for events forever.
func (a *App) keepalive(ctx context.Context, ws *websocket.Conn) {
	t := time.NewTicker(a.keepEvery)
	defer t.Stop()
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.rest.do(ctx, http.MethodGet, "/asterisk/info", nil, nil, nil); err != nil {
			fails++
			a.log.Warn("ARI keepalive failed", "err", err, "in_a_row", fails)
			if fails >= 2 {
				ws.Close()
				return
			}
			continue
		}
		fails = 0
	}
}

func (a *App) setConnected(v bool) {
	a.mu.Lock()
	a.connected = v
	a.mu.Unlock()
}

// Connected reports whether the events WebSocket is up (for health checks).
func (a *App) Connected() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connected
}

func eventsURL(cfg Config) (string, error) {
	u, err := url.Parse(cfg.URL + "/events")
	if err != nil {
		return "", fmt.Errorf("ari: events URL: %w", err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.RawQuery = url.Values{"app": {cfg.App}, "subscribeAll": {"false"}}.Encode()
	return u.String(), nil
}

func redact(s string) string {
	if i := strings.Index(s, "api_key="); i >= 0 {
		return s[:i] + "api_key=REDACTED"
	}
	return s
}

// envelope is the part of every event the router needs, decoded leniently so
// a malformed event can still be attributed to its channel.
type envelope struct {
	Type        string `json:"type"`
	Application string `json:"application"`
	Channel     *struct {
		ID string `json:"id"`
		// Language is read here because ari/v5's ChannelData.UnmarshalJSON
		// drops it (found against a real Asterisk: every caller had no
		// language, so the flow fell back to its first one).
		Language string `json:"language"`
	} `json:"channel"`
	Args []string `json:"args"`
}

// dispatch routes one raw event. Unknown types are ignored; malformed ones
// are logged and, when they name a channel, still end it if they are a
// hangup, so a call is never left running on a bad event.
func (a *App) dispatch(ctx context.Context, data []byte) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.Type == "" {
		a.m.badEvents.Inc()
		a.log.Warn("ARI event not understood; ignored", "err", err, "bytes", len(data))
		return
	}
	ev, err := ari.DecodeEvent(data)
	if err != nil {
		if strings.HasPrefix(err.Error(), "unhandled type") {
			a.m.events.WithLabelValues("other").Inc()
			return
		}
		a.m.badEvents.Inc()
		a.log.Warn("malformed ARI event", "type", env.Type, "err", err)
		if env.Channel != nil && env.Channel.ID != "" && isEnd(env.Type) {
			a.route(env.Channel.ID, &ari.StasisEnd{EventData: ari.EventData{Type: ari.Events.StasisEnd}, Channel: ari.ChannelData{ID: env.Channel.ID}})
		}
		return
	}
	a.m.events.WithLabelValues(eventLabel(env.Type)).Inc()
	if env.Channel == nil || env.Channel.ID == "" {
		return // bridge/playback/endpoint events: nothing calmline waits for
	}
	if st, ok := ev.(*ari.StasisStart); ok && !a.known(st.Channel.ID) {
		if st.Channel.Language == "" {
			st.Channel.Language = env.Channel.Language
		}
		a.start(ctx, st)
		return
	}
	a.route(env.Channel.ID, ev)
}

func isEnd(t string) bool {
	return t == ari.Events.StasisEnd || t == ari.Events.ChannelDestroyed || t == ari.Events.ChannelHangupRequest
}

func eventLabel(t string) string {
	switch t {
	case ari.Events.StasisStart, ari.Events.StasisEnd, ari.Events.ChannelDestroyed, ari.Events.ChannelHangupRequest,
		ari.Events.ChannelDtmfReceived, ari.Events.ChannelStateChange:
		return t
	}
	return "other"
}

func (a *App) known(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.routes[id]
	return ok
}

func (a *App) route(id string, ev ari.Event) {
	a.mu.Lock()
	o := a.routes[id]
	a.mu.Unlock()
	if o != nil {
		o.deliver(ev)
	}
}

// register sends id's events to o from now on; call it before the request
// that creates the channel so no event is missed.
func (a *App) register(id string, o owner) {
	a.mu.Lock()
	a.routes[id] = o
	a.mu.Unlock()
}

func (a *App) unregister(ids ...string) {
	a.mu.Lock()
	for _, id := range ids {
		delete(a.routes, id)
	}
	a.mu.Unlock()
}

// start handles a StasisStart for a channel nobody owns.
func (a *App) start(ctx context.Context, st *ari.StasisStart) {
	args := st.Args
	switch {
	case len(args) > 0 && args[0] == argInternal:
		// A channel we created whose owner is gone (e.g. a late snoop): drop it.
		a.log.Info("hanging up orphan internal channel", "channel", st.Channel.ID)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.hangupChannel(st.Channel.ID, "normal")
		}()
	case len(args) > 0 && args[0] == argSupervise:
		s := newSupervisor(a, st.Channel)
		a.register(st.Channel.ID, s)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			s.run(ctx)
		}()
	default:
		c := newCall(a, ctx, st.Channel)
		a.mu.Lock()
		a.nextNumber++
		c.number = a.nextNumber
		a.calls[st.Channel.ID] = c
		a.routes[st.Channel.ID] = c
		a.mu.Unlock()
		a.m.calls.Inc()
		a.m.active.Inc()
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.m.active.Dec()
			c.run()
			a.mu.Lock()
			delete(a.calls, st.Channel.ID)
			a.mu.Unlock()
		}()
	}
}

// hangupChannel hangs up one channel with a fresh deadline (cleanup must
// work after the call's context is gone); a channel already gone is fine.
func (a *App) hangupChannel(id, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
	defer cancel()
	err := a.rest.do(ctx, http.MethodDelete, "/channels/"+esc(id), url.Values{"reason": {reason}}, nil, nil)
	if err != nil && !errors.Is(err, ErrNotFound) {
		a.log.Warn("hangup failed", "channel", id, "err", err)
	}
}

func (a *App) destroyBridge(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.RequestTimeout)
	defer cancel()
	if err := a.rest.do(ctx, http.MethodDelete, "/bridges/"+esc(id), nil, nil, nil); err != nil && !errors.Is(err, ErrNotFound) {
		a.log.Warn("bridge destroy failed", "bridge", id, "err", err)
	}
}

// reconcile runs after each (re)connect: calls whose caller Asterisk no
// longer has are ended (their StasisEnd may have been sent while we were
// away); on the first connect, channels a previous calmline process left in
// the app are hung up cleanly, since their media and state died with it.
func (a *App) reconcile(ctx context.Context, first bool, connectedAt time.Time) {
	a.mu.Lock()
	calls := make([]*callState, 0, len(a.calls))
	for _, c := range a.calls {
		calls = append(calls, c)
	}
	a.mu.Unlock()
	for _, c := range calls {
		var ch ari.ChannelData
		err := a.rest.do(ctx, http.MethodGet, "/channels/"+esc(c.callerID), nil, nil, &ch)
		if errors.Is(err, ErrNotFound) {
			a.log.Info("call ended while ARI was disconnected", "call", c.info.ID)
			c.deliver(&ari.StasisEnd{EventData: ari.EventData{Type: ari.Events.StasisEnd}, Channel: ari.ChannelData{ID: c.callerID}})
		} else if err != nil {
			a.log.Warn("reconcile: cannot check call", "call", c.info.ID, "err", err)
		}
	}
	if !first {
		return
	}
	var chans []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Created  string `json:"creationtime"`
		Dialplan struct {
			AppName string `json:"app_name"`
			AppData string `json:"app_data"`
		} `json:"dialplan"`
	}
	if err := a.rest.do(ctx, http.MethodGet, "/channels", nil, nil, &chans); err != nil {
		a.log.Warn("reconcile: cannot list channels", "err", err)
		return
	}
	for _, ch := range chans {
		inApp := strings.EqualFold(ch.Dialplan.AppName, "Stasis") &&
			(ch.Dialplan.AppData == a.cfg.App || strings.HasPrefix(ch.Dialplan.AppData, a.cfg.App+","))
		// Only channels older than this connection: a caller arriving right
		// now is in the list before its StasisStart reaches us.
		created, err := time.Parse("2006-01-02T15:04:05.000-0700", ch.Created)
		if err != nil || !created.Before(connectedAt.Add(-2*time.Second)) {
			continue
		}
		if inApp && !a.known(ch.ID) {
			a.log.Warn("hanging up channel left by an earlier calmline run", "channel", ch.ID, "name", ch.Name)
			a.hangupChannel(ch.ID, "normal")
		}
	}
	a.destroyOrphanBridges(ctx, connectedAt)
}

// destroyOrphanBridges removes the empty bridges an earlier calmline process
// created and could not destroy (it was killed mid-call: seen against a real
// Asterisk, which keeps an empty Stasis bridge forever). Only calmline's own
// bridge ids, created before this connection, with nobody in them.
func (a *App) destroyOrphanBridges(ctx context.Context, connectedAt time.Time) {
	var bridges []struct {
		ID       string   `json:"id"`
		Channels []string `json:"channels"`
		Created  string   `json:"creationtime"`
	}
	if err := a.rest.do(ctx, http.MethodGet, "/bridges", nil, nil, &bridges); err != nil {
		a.log.Warn("reconcile: cannot list bridges", "err", err)
		return
	}
	for _, b := range bridges {
		created, err := time.Parse("2006-01-02T15:04:05.000-0700", b.Created)
		if err != nil || !created.Before(connectedAt.Add(-2*time.Second)) || !strings.HasPrefix(b.ID, "calmline-") || len(b.Channels) > 0 {
			continue
		}
		a.log.Warn("destroying empty bridge left by an earlier calmline run", "bridge", b.ID)
		a.destroyBridge(b.ID)
	}
}

// endAll ends every call (shutdown).
func (a *App) endAll(reason string) {
	a.mu.Lock()
	var os []owner
	for _, o := range a.routes {
		os = append(os, o)
	}
	a.mu.Unlock()
	for _, o := range os {
		if c, ok := o.(interface{ shutdown(string) }); ok {
			c.shutdown(reason)
		}
	}
}

// LiveCalls lists the calls in progress with their short numbers, so the
// Directory behind the supervisor console can show the same numbers.
func (a *App) LiveCalls() []LiveCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]LiveCall, 0, len(a.calls))
	for _, c := range a.calls {
		out = append(out, LiveCall{Number: c.number, CallID: c.info.ID})
	}
	return out
}

func (a *App) callByID(callID string) *callState {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.calls {
		if c.info.ID == callID {
			return c
		}
	}
	return nil
}

// eventQueue is an unbounded FIFO of events: the reader never blocks and
// never drops, the owner drains in order.
type eventQueue struct {
	mu     sync.Mutex
	items  []ari.Event
	signal chan struct{}
}

func newEventQueue() *eventQueue { return &eventQueue{signal: make(chan struct{}, 1)} }

func (q *eventQueue) push(ev ari.Event) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *eventQueue) drain(dst []ari.Event) []ari.Event {
	q.mu.Lock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.mu.Unlock()
	return dst
}
