package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/staff"
	"golang.org/x/crypto/bcrypt"
)

func staffServer(t *testing.T, token string) *Server {
	t.Helper()
	h := func(pw string) []byte {
		b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	auth, err := staff.New([]staff.Account{
		{Name: "lin", Role: staff.RoleSupervisor, Hash: h("lin-password")},
		{Name: "amy", Role: staff.RoleAgent, Hash: h("amy-password")},
	}, staff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Staff: auth, APIToken: token, Registry: call.NewRegistry(1), Hub: call.NewHub(nil, nil)})
	// Stand-ins for routes other packages mount, answering who they saw.
	for _, p := range []string{"POST /v1/agents/login", "GET /v1/agents", "POST /v1/supervisor/calls/{id}/listen", "GET /v1/calls", "POST /v1/feedback", "GET /v1/webrtc/config"} {
		s.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := staff.FromContext(r.Context())
			w.Write([]byte("as:" + id.Name))
		}), p == "GET /v1/calls")
	}
	return s
}

// signIn returns the session cookie for name, or fails the test.
func signIn(t *testing.T, s *Server, name, pw string) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/staff/login", strings.NewReader(`{"name":"`+name+`","password":"`+pw+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("sign in %s: %d %s", name, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == staffCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
			}
			return c
		}
	}
	t.Fatalf("sign in %s: no session cookie", name)
	return nil
}

func TestStaffGuard(t *testing.T) {
	s := staffServer(t, "crm-token")
	lin := signIn(t, s, "lin", "lin-password")
	amy := signIn(t, s, "amy", "amy-password")
	tests := []struct {
		method, path string
		cookie       *http.Cookie
		bearer       string
		want         int
		body         string
	}{
		// Pages, health and the caller's softphone stay open.
		{"GET", "/healthz", nil, "", 200, ""},
		{"GET", "/v1/webrtc/config", nil, "", 200, "as:"},
		// Consoles need a session; the name comes from it.
		{"POST", "/v1/agents/login", nil, "", 401, ""},
		{"POST", "/v1/agents/login", amy, "", 200, "as:amy"},
		{"POST", "/v1/agents/login", lin, "", 200, "as:lin"},
		{"GET", "/v1/agents", amy, "", 200, "as:amy"},
		{"POST", "/v1/supervisor/calls/c1/listen", nil, "", 401, ""},
		{"POST", "/v1/supervisor/calls/c1/listen", amy, "", 403, ""},
		{"POST", "/v1/supervisor/calls/c1/listen", lin, "", 200, "as:lin"},
		{"POST", "/v1/supervisor/calls/c1/listen", nil, "crm-token", 401, ""}, // machines do not listen in
		// The live list and event stream: supervisors or the API token; an agent
		// reads the one call handed to them.
		{"GET", "/v1/calls/live", nil, "", 401, ""},
		{"GET", "/v1/calls/live", amy, "", 403, ""},
		{"GET", "/v1/calls/live", lin, "", 200, "[]"},
		{"GET", "/v1/calls/live", nil, "crm-token", 200, "[]"},
		{"GET", "/v1/calls/live", nil, "wrong", 401, ""},
		{"GET", "/v1/calls/live/c9/report", amy, "", 404, "no such live call"},
		{"GET", "/v1/calls/live/c9/report", nil, "", 401, ""},
		{"GET", "/v1/events", amy, "", 403, ""},
		// History and dashboards: supervisors or the API token.
		{"GET", "/v1/calls", amy, "", 403, ""},
		{"GET", "/v1/calls", lin, "", 200, "as:lin"},
		{"GET", "/v1/calls", nil, "crm-token", 200, "as:"},
		{"GET", "/v1/calls?x=1", &http.Cookie{Name: staffCookie, Value: "forged"}, "", 401, ""},
		{"POST", "/v1/feedback", amy, "", 200, "as:amy"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.cookie != nil {
			req.AddCookie(tt.cookie)
		}
		if tt.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tt.bearer)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.body) {
			who := "nobody"
			if tt.cookie != nil {
				who = tt.cookie.Value[:4]
			}
			t.Errorf("%s %s (%s, bearer %q) = %d %q, want %d %q", tt.method, tt.path, who, tt.bearer, rec.Code, rec.Body, tt.want, tt.body)
		}
	}
}

func TestStaffLoginEndpoint(t *testing.T) {
	s := staffServer(t, "")
	tests := []struct {
		ctype, body string
		want        int
	}{
		{"application/json", `{"name":"lin","password":"lin-password"}`, 200},
		{"application/json", `{"name":"lin","password":"nope"}`, 401},
		{"application/x-www-form-urlencoded", `name=lin&password=lin-password`, 415}, // no cross-site form sign-in
		{"application/json", `{"name":"lin"`, 400},
		{"application/json", `{"name":"lin","password":"x","admin":true}`, 400},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("POST", "/v1/staff/login", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.ctype)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("login %s %q = %d %s, want %d", tt.ctype, tt.body, rec.Code, rec.Body, tt.want)
		}
	}

	me := func(c *http.Cookie) (int, string) {
		req := httptest.NewRequest("GET", "/v1/staff/me", nil)
		if c != nil {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := me(nil); code != 401 || !strings.Contains(body, `"auth": true`) {
		t.Errorf("me signed out = %d %s", code, body)
	}
	c := signIn(t, s, "lin", "lin-password")
	if code, body := me(c); code != 200 || !strings.Contains(body, `"name": "lin"`) || !strings.Contains(body, `"role": "supervisor"`) {
		t.Errorf("me = %d %s", code, body)
	}
	req := httptest.NewRequest("POST", "/v1/staff/logout", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 204 {
		t.Errorf("logout = %d", rec.Code)
	}
	if code, _ := me(c); code != 401 {
		t.Errorf("me after logout = %d", code)
	}
}

// Without staff accounts the consoles stay open, as on a 127.0.0.1 install.
func TestNoStaffKeepsConsolesOpen(t *testing.T) {
	s := New(Options{Registry: call.NewRegistry(1)})
	s.Handle("POST /v1/supervisor/calls/{id}/listen", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), false)
	for _, p := range []string{"/v1/staff/me", "/v1/calls/live"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 {
			t.Errorf("GET %s = %d %s", p, rec.Code, rec.Body)
		}
		if p == "/v1/staff/me" && !strings.Contains(rec.Body.String(), `"auth": false`) {
			t.Errorf("me = %s", rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/supervisor/calls/c1/listen", nil))
	if rec.Code != 200 {
		t.Errorf("listen without staff config = %d", rec.Code)
	}
}

// TestTokenWithoutStaffGuardsConsoles: an operator who set an API token and no
// console accounts has locked the API; signing in as an agent and listening in
// must not stay open beside it, and the pages must learn they need the token.
func TestTokenWithoutStaffGuardsConsoles(t *testing.T) {
	s := New(Options{APIToken: "s3cret", Registry: call.NewRegistry(1)})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	for _, p := range []string{"POST /v1/agents/login", "POST /v1/agents/offer", "GET /v1/agents", "POST /v1/supervisor/calls/{id}/listen"} {
		s.Handle(p, ok, false)
	}
	tests := []struct {
		method, path, auth string
		want               int
	}{
		{"POST", "/v1/agents/login", "", 401},
		{"POST", "/v1/agents/login", "Bearer s3cret", 200},
		{"GET", "/v1/agents", "", 401},
		{"GET", "/v1/agents?access_token=s3cret", "", 401}, // never a token in a URL
		{"POST", "/v1/supervisor/calls/c1/listen", "Bearer wrong", 401},
		{"POST", "/v1/supervisor/calls/c1/listen", "Bearer s3cret", 200},
		{"POST", "/v1/agents/offer", "Bearer agent-token", 200}, // the agent token is checked by the offer handler
		{"GET", "/v1/calls/live", "", 401},
		{"GET", "/v1/calls/live", "Bearer s3cret", 200},
		{"GET", "/v1/staff/me", "", 200},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s %s (%q) = %d %s, want %d", tt.method, tt.path, tt.auth, rec.Code, rec.Body, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/staff/me", nil))
	if !strings.Contains(rec.Body.String(), `"token": true`) {
		t.Errorf("me = %s, want token: true", rec.Body)
	}
}
