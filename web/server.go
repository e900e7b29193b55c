// Package web is calmline's HTTP face: health and metrics for operators, the REST API
// and server-sent events for CRM systems and dashboards, and the mount point for the
// browser softphone and consoles.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/staff"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// BuildInfo is reported by /healthz so an operator can tell which build answers.
type BuildInfo struct {
	Version   string    `json:"version"`
	GoVersion string    `json:"go_version"`
	Started   time.Time `json:"started"`
}

// Options wires the server to the rest of calmline.
type Options struct {
	Logger   *slog.Logger
	Build    BuildInfo
	Registry *call.Registry
	Hub      *call.Hub
	Metrics  *prometheus.Registry
	// APIToken, when set, is required as "Authorization: Bearer <token>" on the REST
	// API and the event stream (a browser's EventSource, which cannot send headers,
	// opens the stream with a short-lived ticket from POST /v1/events/ticket instead).
	// Empty leaves them open, fit for 127.0.0.1 only.
	APIToken string
	// Staff, when set, makes the agent and supervisor consoles (and the routes
	// they use) require a signed-in person; nil leaves them open, which suits a
	// server on 127.0.0.1 only.
	Staff *staff.Auth
	// Checks report readiness problems for /healthz (e.g. store unreachable).
	Checks map[string]func() error
}

// Server is the HTTP handler; create it with New.
type Server struct {
	o       Options
	mux     *http.ServeMux
	rules   []rule
	tickets *ticketSigner
}

// New builds the handler with every route registered.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Build.GoVersion == "" {
		o.Build.GoVersion = runtime.Version()
	}
	s := &Server{o: o, mux: http.NewServeMux(), rules: staffRules(), tickets: newTicketSigner()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /v1/staff/me", s.me)
	s.mux.HandleFunc("POST /v1/staff/login", s.login)
	s.mux.HandleFunc("POST /v1/staff/logout", s.logout)
	if o.Metrics != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{Registry: o.Metrics}))
	}
	s.mux.Handle("GET /v1/calls/live", s.auth(http.HandlerFunc(s.liveCalls)))
	s.mux.Handle("GET /v1/calls/live/{id}", s.auth(http.HandlerFunc(s.liveCall)))
	s.mux.Handle("GET /v1/calls/live/{id}/report", s.auth(http.HandlerFunc(s.liveReport)))
	s.mux.Handle("GET /v1/events", s.auth(http.HandlerFunc(s.events)))
	s.mux.Handle("POST /v1/events/ticket", s.auth(http.HandlerFunc(s.streamTicket)))
	return s
}

// Mount lets another package register its own routes (WebRTC signaling, the pages).
func (s *Server) Mount(m func(mux *http.ServeMux)) { m(s.mux) }

// Handle registers an extra route (used by the store-backed API when a store exists).
func (s *Server) Handle(pattern string, h http.Handler, needsAuth bool) {
	if needsAuth {
		h = s.auth(h)
	}
	s.mux.Handle(pattern, h)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	r, ok := s.guard(w, r)
	if !ok {
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) auth(h http.Handler) http.Handler {
	if s.o.APIToken == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, signedIn := staff.FromContext(r.Context()); signedIn {
			h.ServeHTTP(w, r) // guard already checked the console session's role
			return
		}
		if !s.hasToken(r) && !s.hasTicket(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="calmline"`)
			Error(w, http.StatusUnauthorized, "missing or wrong API token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	status, code := "ok", http.StatusOK
	problems := map[string]string{}
	for name, check := range s.o.Checks {
		if err := check(); err != nil {
			problems[name] = err.Error()
			status, code = "degraded", http.StatusServiceUnavailable
		}
	}
	live := 0
	if s.o.Registry != nil {
		live = s.o.Registry.Len()
	}
	JSON(w, code, map[string]any{
		"status": status, "build": s.o.Build, "uptime_s": int(time.Since(s.o.Build.Started).Seconds()),
		"live_calls": live, "problems": problems,
	})
}

func (s *Server) liveCalls(w http.ResponseWriter, _ *http.Request) {
	if s.o.Registry == nil {
		JSON(w, http.StatusOK, []call.LiveCall{})
		return
	}
	JSON(w, http.StatusOK, s.o.Registry.Live())
}

func (s *Server) liveCall(w http.ResponseWriter, r *http.Request) {
	if sess := s.live(w, r); sess != nil {
		JSON(w, http.StatusOK, sess.Status())
	}
}

// liveReport is the handoff report a human expert opens (CALMLINE_REPORT_URL).
func (s *Server) liveReport(w http.ResponseWriter, r *http.Request) {
	if sess := s.live(w, r); sess != nil {
		JSON(w, http.StatusOK, sess.Report())
	}
}

// live finds the live call named in the path, or answers 404 and returns nil.
func (s *Server) live(w http.ResponseWriter, r *http.Request) *call.Session {
	if s.o.Registry != nil {
		if sess, ok := s.o.Registry.Get(r.PathValue("id")); ok {
			return sess
		}
	}
	Error(w, http.StatusNotFound, "no such live call (finished calls are under /v1/calls/{id})")
	return nil
}

// events streams call events as server-sent events; ?call=ID narrows to one call.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.o.Hub == nil {
		Error(w, http.StatusServiceUnavailable, "no event hub")
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		Error(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	evs, cancel := s.o.Hub.Subscribe(r.URL.Query().Get("call"), 256)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": calmline events\n\n")
	flusher.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		case ev, ok := <-evs:
			if !ok {
				return
			}
			b, err := json.Marshal(ev)
			if err != nil {
				s.o.Logger.Warn("encode event", "type", ev.Type, "err", err)
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", sanitizeEventName(ev.Type), b)
			flusher.Flush()
		}
	}
}

func sanitizeEventName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// JSON writes v with the status code; encoding failures are logged by the caller's
// middleware as a 500 would be too late.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Error writes a JSON error body {"error": msg}: API clients get a reason, not HTML.
func Error(w http.ResponseWriter, code int, msg string) {
	JSON(w, code, map[string]string{"error": msg})
}

// DecodeJSON reads a bounded JSON body into v, rejecting unknown fields, so a CRM
// integration with a typo fails loudly instead of being half-applied.
func DecodeJSON(r *http.Request, v any, maxBytes int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("body larger than %d bytes", maxBytes)
		}
		return fmt.Errorf("decode JSON body: %w", err)
	}
	if dec.More() {
		return errors.New("decode JSON body: trailing data after the object")
	}
	return nil
}
