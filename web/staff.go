package web

import (
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/calmline/calmline/staff"
)

// staffCookie carries the console session. HttpOnly keeps it from page
// scripts; SameSite=Strict keeps other sites from using a signed-in browser.
const staffCookie = "calmline_staff"

// rule says who may use the routes under a path prefix once staff sign-in is
// on: a signed-in role, or (for machine clients such as a CRM) the API token.
type rule struct {
	prefix string
	role   staff.Role
	token  bool
}

// agentOfferPath is the agent console's WebRTC offer, authorised by the agent
// token that POST /v1/agents/login returned.
const agentOfferPath = "/v1/agents/offer"

// staffRules is the one place that says which routes the consoles guard.
// Longer prefixes come first; a path no rule covers is open (the pages, the
// caller's softphone signalling, health and metrics).
func staffRules() []rule {
	return []rule{
		{"/v1/supervisor/", staff.RoleSupervisor, false}, // listen-in from the browser
		{"/v1/agents", staff.RoleAgent, false},           // agent console sign-in, calls, roster
		{"/v1/calls/live/", staff.RoleAgent, true},       // one live call and its handoff report (by unguessable id)
		{"/v1/calls/live", staff.RoleSupervisor, true},   // every live call
		{"/v1/events", staff.RoleSupervisor, true},       // every call's live events (agents get theirs over WebRTC)
		{"/v1/feedback", staff.RoleAgent, true},          // agents correct readings
		{"/v1/calls", staff.RoleSupervisor, true},        // call history, transcripts
		{"/v1/heatmap", staff.RoleSupervisor, true},      // dashboards
		{"/v1/ab", staff.RoleSupervisor, true},           // script A/B results
		{"/v1/audit", staff.RoleSupervisor, true},        // who listened to whom
	}
}

// guard applies staffRules when staff sign-in is configured. A request that
// passes carries the signer's identity in its context, so handlers (the
// listen-in audit, agent sign-in) take the name from the session, not the body.
func (s *Server) guard(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	var need *rule
	for i, ru := range s.rules {
		if strings.HasPrefix(r.URL.Path, ru.prefix) {
			need = &s.rules[i]
			break
		}
	}
	if s.o.Staff == nil {
		// No console accounts: an API token, when set, guards the console-only
		// routes too (the rest go through auth), or anyone who can reach the
		// server could sign in as an agent or listen in to a call. An agent's
		// offer carries the agent token its sign-in returned, which is proof enough.
		if need != nil && !need.token && s.o.APIToken != "" && r.URL.Path != agentOfferPath && !s.hasToken(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="calmline"`)
			Error(w, http.StatusUnauthorized, "missing or wrong API token")
			return r, false
		}
		return r, true
	}
	if need == nil {
		return r, true
	}
	if need.token && s.o.APIToken != "" && (s.hasToken(r) || s.hasTicket(r)) {
		return r, true
	}
	c, err := r.Cookie(staffCookie)
	if err != nil {
		Error(w, http.StatusUnauthorized, "sign in first (POST /v1/staff/login)")
		return r, false
	}
	id, err := s.o.Staff.Session(c.Value)
	if err != nil {
		Error(w, http.StatusUnauthorized, "session expired: sign in again")
		return r, false
	}
	if !id.Role.Allows(need.role) {
		Error(w, http.StatusForbidden, need.role.String()+"s only")
		return r, false
	}
	return r.WithContext(staff.NewContext(r.Context(), id)), true
}

// hasToken reports whether r carries the API token in its Authorization header.
// Never in the URL: a URL is kept by proxies, access logs and browser history
// (the event stream takes a short-lived ticket instead, see hasTicket).
func (s *Server) hasToken(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	return subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+s.o.APIToken)) == 1
}

// me tells a console page whether it must sign in, and as whom it is signed in.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if s.o.Staff == nil {
		// token: the consoles must send the API token (no accounts to sign in with).
		JSON(w, http.StatusOK, map[string]any{"auth": false, "token": s.o.APIToken != ""})
		return
	}
	if c, err := r.Cookie(staffCookie); err == nil {
		if id, err := s.o.Staff.Session(c.Value); err == nil {
			JSON(w, http.StatusOK, map[string]any{"auth": true, "name": id.Name, "role": id.Role.String()})
			return
		}
	}
	JSON(w, http.StatusUnauthorized, map[string]any{"auth": true, "error": "not signed in"})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Staff == nil {
		Error(w, http.StatusNotFound, "staff sign-in is not configured (config: staff)")
		return
	}
	// A JSON body cannot be sent by a plain cross-site form, so no site can
	// sign a browser into an account of its choosing.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		Error(w, http.StatusUnsupportedMediaType, "send JSON {\"name\": ..., \"password\": ...}")
		return
	}
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := DecodeJSON(r, &req, 4096); err != nil {
		Error(w, http.StatusBadRequest, "sign in: "+err.Error())
		return
	}
	tok, id, err := s.o.Staff.Login(req.Name, req.Password)
	switch {
	case errors.Is(err, staff.ErrTooManyTries):
		Error(w, http.StatusTooManyRequests, err.Error())
		return
	case errors.Is(err, staff.ErrBadCredentials):
		s.o.Logger.Warn("staff sign-in refused", "name", req.Name, "remote", r.RemoteAddr)
		Error(w, http.StatusUnauthorized, "wrong name or password")
		return
	case err != nil:
		Error(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	s.o.Logger.Info("staff signed in", "name", id.Name, "role", id.Role.String(), "remote", r.RemoteAddr)
	http.SetCookie(w, &http.Cookie{
		Name: staffCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	})
	JSON(w, http.StatusOK, map[string]any{"auth": true, "name": id.Name, "role": id.Role.String()})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(staffCookie); err == nil && s.o.Staff != nil {
		s.o.Staff.Logout(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: staffCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}
