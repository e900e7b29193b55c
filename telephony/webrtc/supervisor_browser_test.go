package webrtc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	calmrtc "github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
	"github.com/calmline/calmline/web/ui"
)

// fakeLive stands in for the lead's GET /v1/calls/live and GET /v1/events (SSE).
type fakeLive struct {
	mu     sync.Mutex
	calls  []map[string]any
	events chan string
}

func (f *fakeLive) live(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f.calls)
}

func (f *fakeLive) sse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-f.events:
			fmt.Fprintf(w, "data: %s\n\n", ev)
			w.(http.Flusher).Flush()
		}
	}
}

func TestBrowserSupervisor(t *testing.T) {
	chrome := webrtctest.Chromium(t)
	wav, speech := webrtctest.Speech(t, "Why is my bill so high this month?", 48000, 0.5)
	aud := &fakeAuditor{}
	srv, err := calmrtc.New(calmrtc.Config{HostIPs: []string{"127.0.0.1"}}, webrtctest.Bot(webrtctest.BotOptions{}), calmrtc.WithAuditor(aud))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fake := &fakeLive{events: make(chan string, 4)}
	mux := http.NewServeMux()
	srv.Routes(mux)
	mux.HandleFunc("GET /v1/calls/live", fake.live)
	mux.HandleFunc("GET /v1/events", fake.sse)
	mux.Handle("/", ui.Handler())
	hs := httptest.NewServer(mux)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caller, err := webrtctest.Dial(ctx, hs.URL, webrtctest.DialOptions{Query: "caller_id=carol"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	id := srv.Calls()[0].ID
	now := time.Now().UTC().Format(time.RFC3339)
	fake.mu.Lock()
	fake.calls = []map[string]any{
		{"id": "sip-1", "channel": "sip", "caller_id": "+8613800000000", "started": now, "category": "sad", "level": "mild", "arousal": 0.3, "urgency": 0.2, "short": "billing"},
		{"id": id, "channel": "webrtc", "caller_id": "carol", "started": now, "category": "angry", "level": "severe", "arousal": 0.9, "urgency": 0.9, "short": "refund"},
	}
	fake.mu.Unlock()

	bctx := webrtctest.Browser(ctx, t, chrome, wav)
	rowOrder := `[...document.querySelectorAll("#calls tr")].map(tr => tr.dataset.id)`
	waitFor := func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				page, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("sup-status").textContent + " | " + document.getElementById("stats").textContent + " | rows " + [...document.querySelectorAll("#calls tr")].map(tr => tr.dataset.id).join(",")`))
				t.Fatalf("%s: timed out; page: %s", what, page)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/supervisor"), chromedp.WaitVisible(chromedp.CSS("#calls"))); err != nil {
		t.Fatal(err)
	}
	// Most urgent first.
	waitFor("rows sorted by urgency", fmt.Sprintf(`JSON.stringify(%s) === JSON.stringify([%q, "sip-1"])`, rowOrder, id))
	// An emotion event on the stream makes the SIP call the most urgent.
	fake.events <- `{"type":"emotion","call_id":"sip-1","data":{"category":"angry","level":"severe","arousal":0.95,"urgency":0.97}}`
	waitFor("row re-sorted by the event", fmt.Sprintf(`JSON.stringify(%s) === JSON.stringify(["sip-1", %q])`, rowOrder, id))
	waitFor("level shown", `document.querySelector("#calls tr[data-id='sip-1'] .pill").className.includes("lvl-severe")`)
	// Only browser calls can be listened to here; listening needs a name, and is audited.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#sup-name"), "dave")); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#calls tr[data-id='sip-1'] button.listen").length`)); n != 0 {
		t.Errorf("SIP row has %d listen buttons, want 0", n)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("#calls tr[data-id='%s'] button.listen", id)))); err != nil {
		t.Fatal(err)
	}
	caller.Speak(speech)
	waitFor("listen-in audio arrives", `Number(document.getElementById("stats").dataset.packets) > 25`)
	if got := aud.actions(); len(got) < 1 || got[0] != "listen_in.start:dave:"+id {
		t.Fatalf("audit = %v, want listen_in.start by dave", got)
	}
	waitFor("listening highlighted", fmt.Sprintf(`document.querySelector("#calls tr[data-id='%s']").classList.contains("listening")`, id))
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("#calls tr[data-id='%s'] button.listen", id)))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(aud.actions()) < 2; time.Sleep(50 * time.Millisecond) {
	}
	if got := strings.Join(aud.actions(), ","); got != "listen_in.start:dave:"+id+",listen_in.stop:dave:"+id {
		t.Fatalf("audit = %s, want start and stop", got)
	}
}
