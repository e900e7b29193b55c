package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/telephony"
)

func TestWebhooksSignFilterAndRetry(t *testing.T) {
	var mu sync.Mutex
	var got []telephony.Event
	var fails atomic.Int32
	fails.Store(2) // the receiver fails twice, then recovers
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get("X-Calmline-Signature")
		if sig != "sha256="+Sign([]byte("k"), r.Header.Get("X-Calmline-Timestamp"), body) {
			t.Errorf("bad signature %q", sig)
		}
		if fails.Add(-1) >= 0 {
			http.Error(w, "busy", 503)
			return
		}
		var ev telephony.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()

	hub := call.NewHub(nil, nil)
	wh := NewWebhooks([]Webhook{{URL: srv.URL, Events: []string{"handoff"}}}, "k", nil)
	wh.backoff = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { wh.Run(ctx, hub); close(done) }()
	time.Sleep(50 * time.Millisecond) // let Run subscribe
	hub.Publish(telephony.Event{Type: "transcript", CallID: "c1"})
	hub.Publish(telephony.Event{Type: "handoff", CallID: "c1", Data: map[string]any{"queue": "experts"}})

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if len(got) != 1 || got[0].Type != "handoff" || got[0].CallID != "c1" {
		t.Errorf("delivered %+v, want only the handoff event after retries", got)
	}
}
