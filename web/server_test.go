package web

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/telephony"
)

func TestHealthzReportsFailingChecks(t *testing.T) {
	s := New(Options{Checks: map[string]func() error{"store": func() error { return errors.New("disk full") }}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "disk full") || !strings.Contains(rec.Body.String(), `"degraded"`) {
		t.Errorf("healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestEventStream(t *testing.T) {
	hub := call.NewHub(nil, nil)
	srv := httptest.NewServer(New(Options{Hub: hub, Registry: call.NewRegistry(1)}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events?call=c2", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	r.ReadString('\n') // the opening comment
	hub.Publish(telephony.Event{Type: "emotion", CallID: "c1"})
	hub.Publish(telephony.Event{Type: "transcript\nevil", CallID: "c2", Data: "hi"})
	var lines []string
	for len(lines) < 2 {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if lines[0] != "event: transcriptevil" || !strings.Contains(lines[1], `"call_id":"c2"`) {
		t.Errorf("stream = %q", lines)
	}
}

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Label string `json:"label"`
	}
	tests := []struct {
		in, wantErr string
	}{
		{`{"label":"angry"}`, ""},
		{`{"label":"angry","x":1}`, "unknown field"},
		{`{"label":"angry"} {}`, "trailing data"},
		{`{"label":"` + strings.Repeat("a", 200) + `"}`, "larger than"},
		{`not json`, "decode JSON body"},
	}
	for _, tt := range tests {
		var b body
		err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(tt.in)), &b, 100)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("DecodeJSON(%.30q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}
