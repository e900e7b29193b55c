// Package aritest is a fake Asterisk for tests: it speaks enough of
// Asterisk 22's ARI (REST paths and JSON bodies of rest-api/api-docs, the
// events WebSocket) to drive calls end to end — channels, externalMedia with
// a real UDP socket, originate, snoop, bridges — and records every request
// so tests can assert what crossed the wire. Login: User / Password, app
// "calmline".
package aritest

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

// Server speaks enough of Asterisk 22's ARI (REST paths and JSON
// bodies of rest-api/api-docs, the events WebSocket) to drive calls:
// channels, externalMedia with a real UDP socket, originate, snoop, bridges.
// Server is the fake Asterisk.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	app string

	mu       sync.Mutex
	reqs     []Request
	channels map[string]*Channel
	bridges  map[string]map[string]bool
	created  map[string]time.Time // bridge id -> creation time
	conns    []*websocket.Conn
	wsUp     chan struct{}

	refuseExternalMedia bool
	omitChannelVars     bool
	failInfo            bool
	answers             map[string]bool // endpoint -> answers when originated
}

// Credentials the fake accepts.
const (
	User     = "calmline"
	Password = "secret"
)

// SetRefuseExternalMedia makes externalMedia fail with a 500, as an Asterisk
// without chan_rtp does.
func (f *Server) SetRefuseExternalMedia(v bool) {
	f.mu.Lock()
	f.refuseExternalMedia = v
	f.mu.Unlock()
}

// SetOmitChannelVars makes the externalMedia answer carry no channelvars,
// so the client must GET UNICASTRTP_LOCAL_ADDRESS/PORT itself.
func (f *Server) SetOmitChannelVars(v bool) {
	f.mu.Lock()
	f.omitChannelVars = v
	f.mu.Unlock()
}

// SetAnswers decides whether an originate to endpoint is answered (a
// StasisStart after 30 ms) or not (ChannelDestroyed, cause 19).
func (f *Server) SetAnswers(endpoint string, v bool) {
	f.mu.Lock()
	f.answers[endpoint] = v
	f.mu.Unlock()
}

// SetFailInfo makes GET /asterisk/info answer 503, as a wedged Asterisk
// whose WebSocket stays open.
func (f *Server) SetFailInfo(v bool) {
	f.mu.Lock()
	f.failInfo = v
	f.mu.Unlock()
}

// AddChannel puts a channel in the fake, as one that exists before a client connects.
func (f *Server) AddChannel(c *Channel) {
	f.mu.Lock()
	if c.Vars == nil {
		c.Vars = map[string]string{}
	}
	f.channels[c.ID] = c
	f.mu.Unlock()
}

// AddBridge puts a bridge in the fake, as one an earlier client left.
func (f *Server) AddBridge(id string, created time.Time, channels ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := map[string]bool{}
	for _, c := range channels {
		b[c] = true
	}
	f.bridges[id] = b
	f.created[id] = created
}

// HasBridge reports whether bridge id exists.
func (f *Server) HasBridge(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bridges[id] != nil
}

// Counts returns how many channels and bridges exist.
func (f *Server) Counts() (channels, bridges int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.channels), len(f.bridges)
}

// InBridge reports whether channel is a member of bridge.
func (f *Server) InBridge(bridge, channel string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bridges[bridge][channel]
}

// BridgeWith returns a bridge holding all the channels.
func (f *Server) BridgeWith(chans ...string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for bid, b := range f.bridges {
		all := true
		for _, c := range chans {
			all = all && b[c]
		}
		if all {
			return bid, true
		}
	}
	return "", false
}

// Request is one REST request the fake received.
type Request struct {
	Method, Path string
	Query        url.Values
	Body         map[string]any
}

// Channel is a channel in the fake.
type Channel struct {
	ID, Name, State string
	Created         time.Time
	Vars            map[string]string
	Args            []string
	UDP             *net.UDPConn   // ExternalMedia: Asterisk's RTP socket
	Peer            netip.AddrPort // ExternalMedia: external_host
	Format          string         // ExternalMedia: the format parameter (ulaw, alaw, slin16)
	inApp           bool           // between its StasisStart and StasisEnd: only then can it join a bridge
}

// New starts a fake Asterisk; t.Cleanup stops it.
func New(t testing.TB) *Server {
	f := &Server{t: t, app: "calmline", channels: map[string]*Channel{}, bridges: map[string]map[string]bool{}, created: map[string]time.Time{},
		answers: map[string]bool{}, wsUp: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.Handle("/ari/events", websocket.Server{Handler: f.events, Handshake: func(*websocket.Config, *http.Request) error { return nil }})
	mux.HandleFunc("/ari/", f.rest)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(func() {
		f.DropWS()
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

// URL is the ARI base URL.
func (f *Server) URL() string { return f.srv.URL + "/ari" }

func (f *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != User || p != Password {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Authentication required"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (f *Server) events(ws *websocket.Conn) {
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
func (f *Server) DropWS() {
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// WaitConnected waits for a client to open the events WebSocket.
func (f *Server) WaitConnected(t testing.TB) {
	t.Helper()
	select {
	case <-f.wsUp:
	case <-time.After(5 * time.Second):
		t.Fatal("calmline did not connect the events WebSocket")
	}
}

// SendRaw sends b as one events-WebSocket message (hostile input tests).
func (f *Server) SendRaw(b []byte) {
	f.mu.Lock()
	conns := append([]*websocket.Conn(nil), f.conns...)
	f.mu.Unlock()
	for _, c := range conns {
		_ = websocket.Message.Send(c, string(b))
	}
}

// Emit sends an ARI event of type typ with the given fields.
func (f *Server) Emit(typ string, fields map[string]any) {
	ev := map[string]any{"type": typ, "application": f.app, "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000-0700"), "asterisk_id": "02:42:ac:11:00:02"}
	for k, v := range fields {
		ev[k] = v
	}
	if typ == "StasisStart" || typ == "StasisEnd" {
		if ch, ok := fields["channel"].(map[string]any); ok {
			f.mu.Lock()
			if c := f.channels[fmt.Sprint(ch["id"])]; c != nil {
				c.inApp = typ == "StasisStart"
			}
			f.mu.Unlock()
		}
	}
	b, _ := json.Marshal(ev)
	f.SendRaw(b)
}

func (c *Channel) json() map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "state": c.State, "protocol_id": "",
		"caller":    map[string]any{"name": "", "number": "1001"},
		"connected": map[string]any{"name": "", "number": ""}, "accountcode": "",
		"dialplan":     map[string]any{"context": "calmline", "exten": "100", "priority": 2, "app_name": "Stasis", "app_data": "calmline"},
		"creationtime": c.Created.UTC().Format("2006-01-02T15:04:05.000-0700"), "language": "en",
	}
}

// callerArrives is a SIP caller entering Stasis(calmline[,args]).
func (f *Server) CallerArrives(id string, args ...string) {
	c := &Channel{ID: id, Name: "PJSIP/" + id + "-00000001", State: "Ring", Vars: map[string]string{}, Args: args, Created: time.Now()}
	f.mu.Lock()
	f.channels[id] = c
	f.mu.Unlock()
	if args == nil {
		args = []string{}
	}
	f.Emit("StasisStart", map[string]any{"args": args, "channel": c.json()})
}

// hangup is the far end hanging up channel id.
func (f *Server) Hangup(id string, withEvents bool) {
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
		f.Emit("ChannelHangupRequest", map[string]any{"cause": 16, "channel": c.json()})
		f.Emit("StasisEnd", map[string]any{"channel": c.json()})
		f.Emit("ChannelDestroyed", map[string]any{"cause": 16, "cause_txt": "Normal Clearing", "channel": c.json()})
	}
}

// DTMF sends ChannelDtmfReceived events for each digit.
func (f *Server) DTMF(id string, digits string) {
	f.mu.Lock()
	c := f.channels[id]
	f.mu.Unlock()
	for _, d := range digits {
		f.Emit("ChannelDtmfReceived", map[string]any{"digit": string(d), "duration_ms": 100, "channel": c.json()})
	}
}

// Channel returns channel id, or nil.
func (f *Server) Channel(id string) *Channel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.channels[id]
}

// requests returns the requests so far whose "METHOD path" has prefix p.
func (f *Server) Requests(p string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.reqs {
		if strings.HasPrefix(r.Method+" "+r.Path, p) {
			out = append(out, r)
		}
	}
	return out
}

// waitReq waits for a request with prefix p and returns the n-th (0-based).
func (f *Server) WaitRequest(t testing.TB, p string, n int) Request {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rs := f.Requests(p); len(rs) > n {
			return rs[n]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no request %q #%d; got:\n%s", p, n, f.Dump())
	return Request{}
}

// Dump lists every request, for failure messages.
func (f *Server) Dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, r := range f.reqs {
		fmt.Fprintf(&b, "  %s %s?%s %v\n", r.Method, r.Path, r.Query.Encode(), r.Body)
	}
	return b.String()
}

func (f *Server) failing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failInfo
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) rest(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/ari")
	req := Request{Method: r.Method, Path: path, Query: r.URL.Query()}
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
	case r.Method == "GET" && path == "/asterisk/info" && f.failing():
		writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
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
	case r.Method == "GET" && path == "/bridges":
		// As Asterisk 22 lists them: id, channels, creationtime.
		f.mu.Lock()
		list := []map[string]any{}
		for id, members := range f.bridges {
			chans := []string{}
			for c := range members {
				chans = append(chans, c)
			}
			list = append(list, map[string]any{"id": id, "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "stasis",
				"creator": "Stasis", "channels": chans, "creationtime": f.created[id].UTC().Format("2006-01-02T15:04:05.000-0700")})
		}
		f.mu.Unlock()
		writeJSON(w, 200, list)
	case r.Method == "POST" && path == "/channels/externalMedia":
		f.externalMedia(w, q)
	case seg[0] == "channels" && len(seg) >= 2:
		id := seg[1]
		c := f.Channel(id)
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
			go f.Hangup(id, true)
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
			s := &Channel{ID: seg[3], Name: "Snoop/" + id + "-00000001", State: "Up", Vars: map[string]string{}}
			f.mu.Lock()
			f.channels[s.ID] = s
			f.mu.Unlock()
			writeJSON(w, 200, s.json())
			go f.Emit("StasisStart", map[string]any{"args": strings.Split(q.Get("appArgs"), ","), "channel": s.json()})
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
			f.created[id] = time.Now()
			writeJSON(w, 200, map[string]any{"id": id, "technology": "simple_bridge", "bridge_type": "mixing", "channels": []string{}})
		case b == nil:
			notFound("Bridge")
		case r.Method == "DELETE" && len(seg) == 2:
			delete(f.bridges, id)
			delete(f.created, id)
			w.WriteHeader(204)
		case r.Method == "POST" && len(seg) == 3 && seg[2] == "addChannel":
			for _, ch := range strings.Split(q.Get("channel"), ",") {
				if f.channels[ch] == nil {
					writeJSON(w, 400, map[string]string{"message": "Channel not found"})
					return
				}
				if !f.channels[ch].inApp {
					writeJSON(w, 422, map[string]string{"message": "Channel not in Stasis application"})
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

func (f *Server) externalMedia(w http.ResponseWriter, q url.Values) {
	for _, p := range []string{"app", "external_host", "format"} {
		if q.Get(p) == "" {
			writeJSON(w, 400, map[string]string{"message": p + " is required"})
			return
		}
	}
	f.mu.Lock()
	refuse := f.refuseExternalMedia
	f.mu.Unlock()
	if refuse {
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
	c := &Channel{ID: id, Name: "UnicastRTP/" + peer.String() + "-0000002", State: "Up", UDP: udp, Peer: peer, Format: q.Get("format"),
		Vars: map[string]string{"UNICASTRTP_LOCAL_ADDRESS": local.Addr().String(), "UNICASTRTP_LOCAL_PORT": fmt.Sprint(local.Port())}}
	f.mu.Lock()
	f.channels[id] = c
	f.mu.Unlock()
	// Like res_ari_channels' external_media_rtp_udp, the answer carries the
	// channel variables chan_rtp set (where to send the RTP).
	body := c.json()
	f.mu.Lock()
	omit := f.omitChannelVars
	f.mu.Unlock()
	if !omit {
		body["channelvars"] = map[string]string{"UNICASTRTP_LOCAL_ADDRESS": c.Vars["UNICASTRTP_LOCAL_ADDRESS"], "UNICASTRTP_LOCAL_PORT": c.Vars["UNICASTRTP_LOCAL_PORT"]}
	}
	writeJSON(w, 200, body)
	// Asterisk answers before the channel has entered the app (its StasisStart
	// comes from another thread): a bridge refuses it until then.
	go func() {
		time.Sleep(40 * time.Millisecond)
		f.Emit("StasisStart", map[string]any{"args": []string{}, "channel": c.json()})
	}()
}

func (f *Server) originate(w http.ResponseWriter, id string, q url.Values, body map[string]any) {
	ep := q.Get("endpoint")
	if ep == "" || q.Get("app") == "" {
		writeJSON(w, 400, map[string]string{"message": "endpoint and app are required"})
		return
	}
	c := &Channel{ID: id, Name: ep + "-00000003", State: "Down", Vars: map[string]string{}}
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
			f.Emit("StasisStart", map[string]any{"args": strings.Split(q.Get("appArgs"), ","), "channel": c.json()})
			return
		}
		f.mu.Lock()
		delete(f.channels, id)
		f.mu.Unlock()
		f.Emit("ChannelDestroyed", map[string]any{"cause": 19, "cause_txt": "No answer", "channel": c.json()})
	}()
}
