package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/call"
)

func TestTicketSigner(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a := newTicketSigner()
	a.now = func() time.Time { return now }
	b := newTicketSigner() // another server, or the same one after a restart
	b.now = a.now
	tk := a.issue()
	tampered := []byte(tk)
	tampered[3] ^= 1
	tests := []struct {
		name   string
		ticket string
		signer *ticketSigner
		after  time.Duration
		want   bool
	}{
		{"fresh", tk, a, 0, true},
		{"just before expiry", tk, a, streamTicketTTL - time.Second, true},
		{"expired", tk, a, streamTicketTTL, false},
		{"another server's key", tk, b, 0, false},
		{"tampered", string(tampered), a, 0, false},
		{"truncated", tk[:len(tk)-2], a, 0, false},
		{"empty", "", a, 0, false},
		{"not base64", "!!!!", a, 0, false},
	}
	for _, tt := range tests {
		now = time.Unix(1_800_000_000, 0).Add(tt.after)
		if got := tt.signer.valid(tt.ticket); got != tt.want {
			t.Errorf("%s: valid = %v, want %v", tt.name, got, tt.want)
		}
		now = time.Unix(1_800_000_000, 0)
	}
}

// TestEventStreamTicket: a console guarded by the API token opens the event
// stream from a browser, whose EventSource cannot send the token in a header. It
// trades the token for a ticket that opens only the stream, only briefly; the
// token itself is never accepted in a URL.
func TestEventStreamTicket(t *testing.T) {
	for _, withStaff := range []bool{false, true} {
		var s *Server
		if withStaff {
			s = staffServer(t, "s3cret")
		} else {
			s = New(Options{APIToken: "s3cret", Registry: call.NewRegistry(1), Hub: call.NewHub(nil, nil)})
		}
		srv := httptest.NewServer(s)
		do := func(method, path, auth string) (int, string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("Content-Type") == "text/event-stream" {
				return resp.StatusCode, "stream"
			}
			var b strings.Builder
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			return resp.StatusCode, b.String()
		}
		code, body := do("POST", "/v1/events/ticket", "")
		if code != 401 {
			t.Fatalf("staff %v: ticket without the token = %d %s, want 401", withStaff, code, body)
		}
		code, body = do("POST", "/v1/events/ticket", "Bearer s3cret")
		var got struct {
			Ticket   string `json:"ticket"`
			ExpiresS int    `json:"expires_s"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.Ticket == "" || got.ExpiresS != 60 {
			t.Fatalf("staff %v: ticket = %d %s", withStaff, code, body)
		}
		if strings.Contains(got.Ticket, "s3cret") {
			t.Fatalf("the ticket carries the token: %q", got.Ticket)
		}
		forged := []byte(got.Ticket)
		if forged[len(forged)-1] = 'A'; got.Ticket[len(forged)-1] == 'A' {
			forged[len(forged)-1] = 'B' // still base64url, another MAC
		}
		type route struct {
			method, path string
			want         int
		}
		tests := []route{
			{"GET", "/v1/events?ticket=" + got.Ticket, 200},
			{"GET", "/v1/events?call=c1&ticket=" + got.Ticket, 200},
			{"GET", "/v1/events?ticket=" + string(forged), 401},
			{"GET", "/v1/events", 401},
			{"GET", "/v1/events?access_token=s3cret", 401}, // the token is never taken from a URL
			{"GET", "/v1/calls/live?access_token=s3cret", 401},
			{"GET", "/v1/calls/live?ticket=" + got.Ticket, 401},
			{"POST", "/v1/events/ticket?ticket=" + got.Ticket, 401}, // a ticket cannot renew itself
		}
		if withStaff {
			tests = append(tests, route{"GET", "/v1/calls?ticket=" + got.Ticket, 401}) // the history route exists only there
		}
		for _, tt := range tests {
			if code, body := do(tt.method, tt.path, ""); code != tt.want {
				t.Errorf("staff %v: %s %s = %d %s, want %d", withStaff, tt.method, tt.path, code, body, tt.want)
			}
		}
		srv.Close()
	}
}
