package main

import (
	"context"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/telephony"
)

// handleCall runs one call on a leg from any ingress (Asterisk or the browser). It
// is the telephony handler both call paths are given: admit, run, forget.
func (s *server) handleCall(ctx context.Context, leg telephony.Leg) {
	s.calls.Add(1)
	defer s.calls.Done()
	// The call ends when the ingress cancels ctx (hang-up) or when the server's
	// drain time is over, whichever comes first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.callsCtx, cancel)
	defer stop()

	sess := call.New(leg, s.deps, s.callConfig())
	if _, ok := s.registry.Add(sess); !ok {
		s.log.Warn("refusing a call: at capacity", "max_calls", s.cfg.Call.MaxCalls, "caller", leg.Info().CallerID)
		if err := leg.Hangup(ctx, "server at capacity"); err != nil {
			s.log.Warn("hang up refused call", "err", err)
		}
		return
	}
	defer s.registry.Remove(leg.Info().ID)
	s.callsTotal.WithLabelValues(leg.Info().Channel.String()).Inc()
	sess.Run(ctx)
}

func (s *server) callConfig() call.Config {
	return call.Config{
		NoInput:     s.cfg.Call.NoInput,
		MaxDuration: s.cfg.Call.MaxDuration,
		ASRTimeout:  s.cfg.Call.ASRTimeout,
		TTSTimeout:  s.cfg.Call.TTSTimeout,
		Logger:      s.log,
	}
}
