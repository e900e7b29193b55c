package ari

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// fakeAsterisk speaks enough of Asterisk 22's ARI (REST paths and JSON
// bodies of rest-api/api-docs, the events WebSocket) to drive calls:
// channels, externalMedia with a real UDP socket, originate, snoop, bridges.
type fakeAsterisk struct {
	t   *testing.T
	srv *httptest.Server
	app string

	mu       sync.Mutex
	reqs     []fakeReq
	channels map[string]*fakeChan
	bridges  map[string]map[string]bool
	conns    []*websocket.Conn
	wsUp     chan struct{}

	refuseExternalMedia bool
	answers             map[string]bool // endpoint -> answers when originated
}

type fakeReq struct {
	Method, Path string
	Query        url.Values
	Body         map[string]any
}

type fakeChan struct {
	ID, Name, State string
	Created         time.Time
	Vars            map[string]string
	Args            []string
	UDP             *net.UDPConn   // ExternalMedia: Asterisk's RTP socket
	Peer            netip.AddrPort // ExternalMedia: external_host
}

func newFakeAsterisk(t *testing.T) *fakeAsterisk {
	f := &fakeAsterisk{t: t, app: "calmline", channels: map[string]*fakeChan{}, bridges: map[string]map[string]bool{},
		answers: map[string]bool{}, wsUp: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.Handle("/ari/events", websocket.Server{Handler: f.events, Handshake: func(*websocket.Config, *http.Request) error { return nil }})
	mux.HandleFunc("/ari/", f.rest)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(func() {
		f.dropWS()
		f.srv.Close()
		f.mu.Lock()
		for _, c := range f.channels {
			if c.UDP != nil {
				c.UDP.Close()
			}
		}
		f.mu.Unlock()
	})
	return f
}

func (f *fakeAsterisk) url() string { return f.srv.URL + "/ari" }

func (f *fakeAsterisk) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "calmline" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Authentication required"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (f *fakeAsterisk) events(ws *websocket.Conn) {
	if ws.Request().URL.Query().Get("app") != f.app {
		return
	}
	f.mu.Lock()
	f.conns = append(f.conns, ws)
	f.mu.Unlock()
	f.wsUp <- struct{}{}
	_, _ = io.Copy(io.Discard, ws)
}

// dropWS closes the events WebSocket, as when Asterisk restarts its HTTP server.
func (f *fakeAsterisk) dropWS() {
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (f *fakeAsterisk) waitWS(t *testing.T) {
	t.Helper()
	select {
	case <-f.wsUp:
	case <-time.After(5 * time.Second):
		t.Fatal("calmline did not connect the events WebSocket")
	}
}

func (f *fakeAsterisk) sendRaw(b []byte) {
	f.mu.Lock()
	conns := append([]*websocket.Conn(nil), f.conns...)
	f.mu.Unlock()
	for _, c := range conns {
		_ = websocket.Message.Send(c, string(b))
	}
}

func (f *fakeAsterisk) emit(typ string, fields map[string]any) {
	ev := map[string]any{"type": typ, "application": f.app, "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000-0700"), "asterisk_id": "02:42:ac:11:00:02"}
	for k, v := range fields {
		ev[k] = v
	}
	b, _ := json.Marshal(ev)
	f.sendRaw(b)
}

func (c *fakeChan) json() map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "state": c.State, "protocol_id": "",
		"caller":    map[string]any{"name": "", "number": "1001"},
		"connected": map[string]any{"name": "", "number": ""}, "accountcode": "",
		"dialplan":     map[string]any{"context": "calmline", "exten": "100", "priority": 2, "app_name": "Stasis", "app_data": "calmline"},
		"creationtime": c.Created.UTC().Format("2006-01-02T15:04:05.000-0700"), "language": "en",
	}
}

// callerArrives is a SIP caller entering Stasis(calmline[,args]).
func (f *fakeAsterisk) callerArrives(id string, args ...string) {
	c := &fakeChan{ID: id, Name: "PJSIP/" + id + "-00000001", State: "Ring", Vars: map[string]string{}, Args: args, Created: time.Now()}
	f.mu.Lock()
	f.channels[id] = c
	f.mu.Unlock()
	if args == nil {
		args = []string{}
	}
	f.emit("StasisStart", map[string]any{"args": args, "channel": c.json()})
}

// hangup is the far end hanging up channel id.
func (f *fakeAsterisk) hangup(id string, withEvents bool) {
	f.mu.Lock()
	c := f.channels[id]
	delete(f.channels, id)
	for _, b := range f.bridges {
		delete(b, id)
	}
	f.mu.Unlock()
	if c == nil {
		return
	}
	if c.UDP != nil {
		c.UDP.Close()
	}
	if withEvents {
		f.emit("ChannelHangupRequest", map[string]any{"cause": 16, "channel": c.json()})
		f.emit("StasisEnd", map[string]any{"channel": c.json()})
		f.emit("ChannelDestroyed", map[string]any{"cause": 16, "cause_txt": "Normal Clearing", "channel": c.json()})
	}
}

func (f *fakeAsterisk) dtmf(id string, digits string) {
	f.mu.Lock()
	c := f.channels[id]
	f.mu.Unlock()
	for _, d := range digits {
		f.emit("ChannelDtmfReceived", map[string]any{"digit": string(d), "duration_ms": 100, "channel": c.json()})
	}
}

func (f *fakeAsterisk) channel(id string) *fakeChan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.channels[id]
}

// requests returns the requests so far whose "METHOD path" has prefix p.
func (f *fakeAsterisk) requests(p string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if strings.HasPrefix(r.Method+" "+r.Path, p) {
			out = append(out, r)
		}
	}
	return out
}

// waitReq waits for a request with prefix p and returns the n-th (0-based).
func (f *fakeAsterisk) waitReq(t *testing.T, p string, n int) fakeReq {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rs := f.requests(p); len(rs) > n {
			return rs[n]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no request %q #%d; got:\n%s", p, n, f.dump())
	return fakeReq{}
}

func (f *fakeAsterisk) dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, r := range f.reqs {
		fmt.Fprintf(&b, "  %s %s?%s %v\n", r.Method, r.Path, r.Query.Encode(), r.Body)
	}
	return b.String()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAsterisk) rest(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/ari")
	req := fakeReq{Method: r.Method, Path: path, Query: r.URL.Query()}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &req.Body); err != nil {
			writeJSON(w, 400, map[string]string{"message": "body is not JSON"})
			return
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	seg := strings.Split(strings.Trim(path, "/"), "/")
	q := r.URL.Query()
	notFound := func(what string) { writeJSON(w, 404, map[string]string{"message": what + " not found"}) }
	switch {
	case r.Method == "GET" && path == "/asterisk/info":
		writeJSON(w, 200, map[string]any{"system": map[string]any{"entity_id": "02:42:ac:11:00:02", "version": "22.0.0"}})
	case r.Method == "GET" && path == "/channels":
		f.mu.Lock()
		var list []map[string]any
		for _, c := range f.channels {
			list = append(list, c.json())
		}
		f.mu.Unlock()
		writeJSON(w, 200, list)
	case r.Method == "POST" && path == "/channels/externalMedia":
		f.externalMedia(w, q)
	case seg[0] == "channels" && len(seg) >= 2:
		id := seg[1]
		c := f.channel(id)
		switch {
		case r.Method == "GET" && len(seg) == 2:
			if c == nil {
				notFound("Channel")
				return
			}
			writeJSON(w, 200, c.json())
		case r.Method == "POST" && len(seg) == 2: // originate with id
			f.originate(w, id, q, req.Body)
		case r.Method == "DELETE" && len(seg) == 2:
			if c == nil {
				notFound("Channel")
				return
			}
			w.WriteHeader(204)
			go f.hangup(id, true)
		case c == nil:
			notFound("Channel")
		case r.Method == "POST" && len(seg) == 3 && seg[2] == "answer":
			f.mu.Lock()
			c.State = "Up"
			f.mu.Unlock()
			w.WriteHeader(204)
		case r.Method == "GET" && len(seg) == 3 && seg[2] == "variable":
			f.mu.Lock()
			v, ok := c.Vars[q.Get("variable")]
			f.mu.Unlock()
			if !ok {
				notFound("Variable")
				return
			}
			writeJSON(w, 200, map[string]string{"value": v})
		case r.Method == "POST" && len(seg) == 4 && seg[2] == "snoop":
			s := &fakeChan{ID: seg[3], Name: "Snoop/" + id + "-00000001", State: "Up", Vars: map[string]string{}}
			f.mu.Lock()
			f.channels[s.ID] = s
			f.mu.Unlock()
			writeJSON(w, 200, s.json())
			go f.emit("StasisStart", map[string]any{"args": strings.Split(q.Get("appArgs"), ","), "channel": s.json()})
		case r.Method == "POST" && len(seg) == 4 && seg[2] == "play":
			writeJSON(w, 201, map[string]any{"id": seg[3], "media_uri": q.Get("media"), "target_uri": "channel:" + id, "state": "queued"})
		default:
			writeJSON(w, 405, map[string]string{"message": "Method not allowed"})
		}
	case seg[0] == "bridges" && len(seg) >= 2:
		id := seg[1]
		f.mu.Lock()
		defer f.mu.Unlock()
		b := f.bridges[id]
		switch {
		case r.Method == "POST" && len(seg) == 2:
			if q.Get("type") != "mixing" {
				writeJSON(w, 400, map[string]string{"message": "unexpected bridge type"})
				return
			}
			f.bridges[id] = map[string]bool{}
			writeJSON(w, 200, map[string]any{"id": id, "technology": "simple_bridge", "bridge_type": "mixing", "channels": []string{}})
		case b == nil:
			notFound("Bridge")
		case r.Method == "DELETE" && len(seg) == 2:
			delete(f.bridges, id)
			w.WriteHeader(204)
		case r.Method == "POST" && len(seg) == 3 && seg[2] == "addChannel":
			for _, ch := range strings.Split(q.Get("channel"), ",") {
				if f.channels[ch] == nil {
					writeJSON(w, 400, map[string]string{"message": "Channel not found"})
					return
				}
			}
			for _, ch := range strings.Split(q.Get("channel"), ",") {
				for _, other := range f.bridges {
					delete(other, ch)
				}
				b[ch] = true
			}
			w.WriteHeader(204)
		case r.Method == "POST" && len(seg) == 3 && seg[2] == "removeChannel":
			if !b[q.Get("channel")] {
				writeJSON(w, 422, map[string]string{"message": "Channel not in this bridge"})
				return
			}
			delete(b, q.Get("channel"))
			w.WriteHeader(204)
		default:
			writeJSON(w, 405, map[string]string{"message": "Method not allowed"})
		}
	default:
		notFound("Resource")
	}
}

func (f *fakeAsterisk) externalMedia(w http.ResponseWriter, q url.Values) {
	for _, p := range []string{"app", "external_host", "format"} {
		if q.Get(p) == "" {
			writeJSON(w, 400, map[string]string{"message": p + " is required"})
			return
		}
	}
	if f.refuseExternalMedia {
		writeJSON(w, 500, map[string]string{"message": "Failed to create external media channel"})
		return
	}
	peer, err := netip.ParseAddrPort(q.Get("external_host"))
	if err != nil {
		writeJSON(w, 400, map[string]string{"message": "external_host must be host:port"})
		return
	}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		writeJSON(w, 500, map[string]string{"message": err.Error()})
		return
	}
	local := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	id := q.Get("channelId")
	c := &fakeChan{ID: id, Name: "UnicastRTP/" + peer.String() + "-0000002", State: "Up", UDP: udp, Peer: peer,
		Vars: map[string]string{"UNICASTRTP_LOCAL_ADDRESS": local.Addr().String(), "UNICASTRTP_LOCAL_PORT": fmt.Sprint(local.Port())}}
	f.mu.Lock()
	f.channels[id] = c
	f.mu.Unlock()
	writeJSON(w, 200, c.json())
	go f.emit("StasisStart", map[string]any{"args": []string{}, "channel": c.json()})
}

func (f *fakeAsterisk) originate(w http.ResponseWriter, id string, q url.Values, body map[string]any) {
	ep := q.Get("endpoint")
	if ep == "" || q.Get("app") == "" {
		writeJSON(w, 400, map[string]string{"message": "endpoint and app are required"})
		return
	}
	c := &fakeChan{ID: id, Name: ep + "-00000003", State: "Down", Vars: map[string]string{}}
	if vs, ok := body["variables"].(map[string]any); ok {
		for k, v := range vs {
			c.Vars[k] = fmt.Sprint(v)
		}
	}
	f.mu.Lock()
	f.channels[id] = c
	answers := f.answers[ep]
	f.mu.Unlock()
	writeJSON(w, 200, c.json())
	go func() {
		time.Sleep(30 * time.Millisecond)
		if answers {
			f.mu.Lock()
			c.State = "Up"
			f.mu.Unlock()
			f.emit("StasisStart", map[string]any{"args": strings.Split(q.Get("appArgs"), ","), "channel": c.json()})
			return
		}
		f.mu.Lock()
		delete(f.channels, id)
		f.mu.Unlock()
		f.emit("ChannelDestroyed", map[string]any{"cause": 19, "cause_txt": "No answer", "channel": c.json()})
	}()
}
