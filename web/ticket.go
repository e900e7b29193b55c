package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"
)

// streamTicketTTL bounds how long a ticket opens the event stream. A browser's
// EventSource cannot send an Authorization header, so the ticket travels in the
// URL, where proxies, access logs and browser history keep it: it must be worth
// nothing soon after. An open stream is not cut when its ticket expires.
const streamTicketTTL = time.Minute

// eventsPath is the one route a ticket opens.
const eventsPath = "/v1/events"

// ticketSigner issues and checks event-stream tickets. A ticket is its expiry
// and an HMAC of it under a key drawn when the server starts, so nothing is
// stored per ticket and a restart voids every ticket (the pages fetch a new one).
type ticketSigner struct {
	key [32]byte
	now func() time.Time
}

func newTicketSigner() *ticketSigner {
	t := &ticketSigner{now: time.Now}
	if _, err := rand.Read(t.key[:]); err != nil {
		panic("web: no randomness for event-stream tickets: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return t
}

const ticketMACLen = 16

func (t *ticketSigner) mac(exp []byte) []byte {
	m := hmac.New(sha256.New, t.key[:])
	m.Write([]byte("calmline event stream\x00"))
	m.Write(exp)
	return m.Sum(nil)[:ticketMACLen]
}

// issue returns a ticket valid for streamTicketTTL.
func (t *ticketSigner) issue() string {
	var b [8 + ticketMACLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.now().Add(streamTicketTTL).Unix()))
	copy(b[8:], t.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// valid reports whether s is a ticket this server issued and that has not expired.
func (t *ticketSigner) valid(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 8+ticketMACLen {
		return false
	}
	if !hmac.Equal(b[8:], t.mac(b[:8])) {
		return false
	}
	return t.now().Unix() < int64(binary.BigEndian.Uint64(b[:8]))
}

// hasTicket reports whether r opens the event stream with a valid ticket. Only
// GET /v1/events takes one: a ticket seen in a log cannot read call history or
// listen in.
func (s *Server) hasTicket(r *http.Request) bool {
	if s.o.APIToken == "" || r.Method != http.MethodGet || r.URL.Path != eventsPath {
		return false
	}
	tk := r.URL.Query().Get("ticket")
	return tk != "" && s.tickets.valid(tk)
}

// streamTicket trades the API token (or a supervisor's session) for a ticket
// that opens the event stream from a browser.
func (s *Server) streamTicket(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	JSON(w, http.StatusOK, map[string]any{"ticket": s.tickets.issue(), "expires_s": int(streamTicketTTL.Seconds())})
}
