package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony/ari"
	"github.com/calmline/calmline/telephony/webrtc"
)

// startWebRTC opens the browser call path: signaling routes on the web server, the
// softphone, agent and supervisor pages.
func (s *server) startWebRTC() error {
	c := s.cfg.WebRTC
	wc := webrtc.Config{
		ICEServers:     c.ICEServers,
		UDPPortMin:     uint16(c.UDPPorts[0]),
		UDPPortMax:     uint16(c.UDPPorts[1]),
		MaxPending:     c.MaxPending,
		ConnectTimeout: c.ConnectTimeout,
		PublicIP:       c.PublicIP,
		HostIPs:        c.HostIPs,
		ICEUsername:    s.cfg.Secrets.TURNUsername,
		ICECredential:  s.cfg.Secrets.TURNCredential,
	}
	ws, err := webrtc.New(wc, s.handleCall,
		webrtc.WithLogger(s.log.With("ingress", "webrtc")),
		webrtc.WithMetrics(s.metrics),
		webrtc.WithCapacity(s.registry.Full),
		webrtc.WithAuditor(webrtcAuditor{s.db}))
	if err != nil {
		return fmt.Errorf("start webrtc: %w", err)
	}
	s.web.Mount(ws.Routes)
	s.closers = append(s.closers, ws.Close)
	return nil
}

// startARI connects to Asterisk when the configuration names it. The app runs until
// the server's calls context ends (after the drain).
func (s *server) startARI(ctx context.Context) error {
	c := s.cfg.ARI
	if c.URL == "" {
		return nil
	}
	queues := map[string]ari.Queue{}
	for name, q := range s.cfg.Queues {
		var eps []string
		for _, e := range q.Endpoints {
			if !strings.HasPrefix(e, "webrtc:") {
				eps = append(eps, e)
			}
		}
		if len(eps) > 0 {
			queues[name] = ari.Queue{Endpoints: eps, RingFor: q.RingFor}
		}
	}
	pins := map[string]string{}
	for name, pin := range s.cfg.Secrets.SupervisorPINs {
		pins[pin] = name
	}
	app, err := ari.New(ari.Config{
		URL: c.URL, User: c.User, Password: s.cfg.Secrets.ARIPassword, App: c.App,
		RTPHost: c.RTPHost, RTPPorts: c.RTPPorts, Queues: queues, SupervisorPINs: pins,
		RequestTimeout: c.ConnectTimeout,
	}, s.handleCall,
		ari.WithLogger(s.log.With("ingress", "ari")),
		ari.WithRegistry(s.metrics),
		ari.WithDirectory(ariDirectory{s}),
		ari.WithAuditor(ariAuditor{s.db}))
	if err != nil {
		return fmt.Errorf("start ARI: %w", err)
	}
	s.checks["ari"] = func() error {
		if !app.Connected() {
			return errors.New("not connected to Asterisk ARI (reconnecting)")
		}
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := app.Run(s.callsCtx); err != nil && s.callsCtx.Err() == nil {
			s.log.Error("ARI app stopped", "err", err)
		}
	}()
	s.closers = append(s.closers, func() error { s.endCalls(); <-done; return nil })
	return nil
}

// ariDirectory lets SIP supervisors pick live calls by the registry's short numbers.
type ariDirectory struct{ s *server }

func (d ariDirectory) LiveCalls() []ari.LiveCall {
	live := d.s.registry.Live()
	out := make([]ari.LiveCall, 0, len(live))
	for _, c := range live {
		var n int
		fmt.Sscan(c.Short, &n)
		out = append(out, ari.LiveCall{Number: n, CallID: c.ID, Urgency: c.Urgency})
	}
	return out
}

type ariAuditor struct{ db *store.DB }

func (a ariAuditor) AuditListen(ctx context.Context, e ari.AuditEntry) error {
	return a.db.Audit(ctx, store.AuditEntry{
		At: e.At, Who: e.Supervisor, Action: "listen_in." + e.Action, CallID: e.CallID, Mode: e.Mode.String(),
		Detail: fmt.Sprintf("sip supervisor, call number %d", e.Number),
	})
}

type webrtcAuditor struct{ db *store.DB }

func (a webrtcAuditor) Audit(ctx context.Context, e webrtc.AuditEntry) error {
	at := e.Time
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return a.db.Audit(ctx, store.AuditEntry{
		At: at, Who: e.Actor, Action: e.Action, CallID: e.CallID, Mode: "listen",
		Detail: strings.TrimSpace("browser supervisor from " + e.Remote + " " + e.Details),
	})
}
