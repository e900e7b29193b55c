package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/calmline/calmline/staff"
	"github.com/calmline/calmline/telephony"
)

// maxSDP bounds an offer body; real offers are a few KiB.
const maxSDP = 64 << 10

// Routes registers the signaling endpoints:
//
//	POST   /v1/webrtc/offer                     caller offer (application/sdp) → 201 answer, Location: /v1/webrtc/sessions/{id}
//	DELETE /v1/webrtc/sessions/{id}             hang up any peer (caller, agent, supervisor)
//	GET    /v1/webrtc/config                    ICE servers for the pages
//	POST   /v1/agents/login                     {"name","queues"} → {"id","name","token"}
//	POST   /v1/agents/offer                     agent console offer, Authorization: Bearer <token>
//	GET    /v1/agents                           logged-in agents and their state
//	POST   /v1/supervisor/calls/{id}/listen     supervisor offer (?supervisor=NAME) → answer; audited
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/webrtc/offer", s.handleOffer)
	mux.HandleFunc("DELETE /v1/webrtc/sessions/{id}", s.handleDelete)
	mux.HandleFunc("GET /v1/webrtc/config", s.handleConfig)
	mux.HandleFunc("POST /v1/agents/login", s.handleAgentLogin)
	mux.HandleFunc("POST /v1/agents/offer", s.handleAgentOffer)
	mux.HandleFunc("GET /v1/agents", s.handleAgents)
	mux.HandleFunc("POST /v1/supervisor/calls/{id}/listen", s.handleListen)
}

// httpError writes err as a plain-text reason with the status its sentinel implies.
func (s *Server) httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadOffer), errors.Is(err, ErrNoOpus):
		code = http.StatusBadRequest
	case errors.Is(err, ErrTooManyPending):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "2")
	case errors.Is(err, ErrBusy):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "60")
	case errors.Is(err, ErrClosed), errors.Is(err, ErrNoAuditor):
		code = http.StatusServiceUnavailable
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	}
	if code == http.StatusInternalServerError {
		s.log.Error("webrtc: request failed", "err", err)
	}
	http.Error(w, err.Error(), code)
}

// readOffer reads an SDP offer body (application/sdp, or JSON {"type":"offer","sdp":...}).
func readOffer(r *http.Request) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxSDP+1))
	if err != nil {
		return "", fmt.Errorf("%w: read body: %v", ErrBadOffer, err)
	}
	if len(b) > maxSDP {
		return "", fmt.Errorf("%w: body larger than %d bytes", ErrBadOffer, maxSDP)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var d struct {
			SDP string `json:"sdp"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
		}
		return d.SDP, nil
	}
	return string(b), nil
}

// writeAnswer answers WHIP-style: 201, the SDP answer, Location of the session.
func writeAnswer(w http.ResponseWriter, id, answer string) {
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/webrtc/sessions/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// offerTimeout bounds answering an offer (ICE gathering included).
const offerTimeout = 10 * time.Second

func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request) {
	if s.full != nil && s.full() {
		s.m.offers.WithLabelValues(PeerCaller.String(), "busy").Inc()
		s.httpError(w, ErrBusy)
		return
	}
	offer, err := readOffer(r)
	if err != nil {
		s.httpError(w, err)
		return
	}
	info := telephony.CallInfo{
		Channel:  telephony.ChannelWebRTC,
		CallerID: clean(first(r.URL.Query().Get("caller_id"), r.Header.Get("X-Caller-ID")), 64),
		Called:   clean(first(r.URL.Query().Get("line"), r.Header.Get("X-Calmline-Line")), 64),
		Lang:     langHint(r),
	}
	ctx, cancel := context.WithTimeout(r.Context(), offerTimeout)
	defer cancel()
	l, answer, err := s.newCall(ctx, offer, info)
	if err != nil {
		s.httpError(w, err)
		return
	}
	writeAnswer(w, l.info.ID, answer)
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := s.peer(id)
	if !ok {
		s.httpError(w, fmt.Errorf("session %q: %w", clean(id, 64), ErrNotFound))
		return
	}
	if l, ok := s.Leg(id); ok {
		l.p.close("caller hung up")
	} else {
		p.close("hung up by DELETE")
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleConfig(w http.ResponseWriter, _ *http.Request) {
	type iceServer struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username,omitempty"`
		Credential string   `json:"credential,omitempty"`
	}
	out := struct {
		ICEServers []iceServer `json:"ice_servers"`
	}{ICEServers: []iceServer{}}
	if len(s.cfg.ICEServers) > 0 {
		out.ICEServers = append(out.ICEServers, iceServer{URLs: s.cfg.ICEServers, Username: s.cfg.ICEUsername, Credential: s.cfg.ICECredential})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAgentLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name   string   `json:"name"`
		Queues []string `json:"queues"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		http.Error(w, "login: want JSON {\"name\": \"...\", \"queues\": [...]}", http.StatusBadRequest)
		return
	}
	name := clean(req.Name, 64)
	if id, ok := staff.FromContext(r.Context()); ok {
		name = id.Name // signed in: the console session names the agent
	}
	if name == "" {
		http.Error(w, "login: name is required", http.StatusBadRequest)
		return
	}
	var queues []string
	for _, q := range req.Queues {
		if q = clean(q, 64); q != "" && len(queues) < 16 {
			queues = append(queues, q)
		}
	}
	a := s.agents.login(name, queues)
	writeJSON(w, http.StatusOK, map[string]any{"id": a.id, "name": a.name, "queues": a.queues, "token": a.token})
}

func (s *Server) handleAgentOffer(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.URL.Query().Get("token")
	}
	a, ok := s.agents.byTok(tok)
	if !ok {
		http.Error(w, "agent offer: log in first (POST /v1/agents/login) and send Authorization: Bearer <token>", http.StatusUnauthorized)
		return
	}
	offer, err := readOffer(r)
	if err != nil {
		s.httpError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), offerTimeout)
	defer cancel()
	p, answer, err := s.connectAgent(ctx, a, offer)
	if err != nil {
		s.httpError(w, err)
		return
	}
	writeAnswer(w, p.id, answer)
}

func (s *Server) handleAgents(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.agents.list())
}

func (s *Server) handleListen(w http.ResponseWriter, r *http.Request) {
	sup := clean(first(r.URL.Query().Get("supervisor"), r.Header.Get("X-Supervisor")), 64)
	if id, ok := staff.FromContext(r.Context()); ok {
		sup = id.Name // the audit names who signed in, not what the request claims
	}
	if sup == "" {
		http.Error(w, "listen-in: name the supervisor (?supervisor=NAME); every listen-in is audited", http.StatusBadRequest)
		return
	}
	offer, err := readOffer(r)
	if err != nil {
		s.httpError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), offerTimeout)
	defer cancel()
	p, answer, err := s.listen(ctx, r.PathValue("id"), sup, r.RemoteAddr, offer)
	if err != nil {
		s.httpError(w, err)
		return
	}
	writeAnswer(w, p.id, answer)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clean keeps printable characters of a client-supplied string, at most n runes.
func clean(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n--
		}
	}
	return strings.TrimSpace(b.String())
}

// langHint takes ?lang=, X-Calmline-Lang or the first Accept-Language tag and keeps its
// primary subtag ("zh-CN" → "zh"); anything odd is dropped.
func langHint(r *http.Request) string {
	v := first(r.URL.Query().Get("lang"), r.Header.Get("X-Calmline-Lang"))
	if v == "" {
		v, _, _ = strings.Cut(r.Header.Get("Accept-Language"), ",")
	}
	v, _, _ = strings.Cut(strings.TrimSpace(v), ";")
	v, _, _ = strings.Cut(v, "-")
	v = strings.ToLower(v)
	if len(v) < 2 || len(v) > 3 {
		return ""
	}
	for _, c := range v {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return v
}
