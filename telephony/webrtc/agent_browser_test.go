package webrtc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	calmrtc "github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
	"github.com/calmline/calmline/web/ui"
)

// An agent logs in at /agent in Chromium (fake microphone), a pion caller is handed
// off, the agent sees the report and accepts; audio flows both ways and the
// caller's live emotion shows on the console.
func TestBrowserAgent(t *testing.T) {
	chrome := webrtctest.Chromium(t)
	agentWAV, _ := webrtctest.Speech(t, "Hello, this is Alice from billing, how can I help?", 48000, 0.3)
	_, speech := webrtctest.Speech(t, "I was charged twice and nobody helps me.", 48000, 0.3)
	result := make(chan error, 2)
	srv, err := calmrtc.New(calmrtc.Config{HostIPs: []string{"127.0.0.1"}}, handoffBot(result))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mux := http.NewServeMux()
	srv.Routes(mux)
	mux.HandleFunc("GET /v1/calls/x/report", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"trajectory":{"current":{"category":"angry","level":"severe","arousal":0.8,"cues":[{"kind":"repeat","text":"twice","weight":0.6}]},
			"history":[{"category":"neutral","level":"calm"},{"category":"angry","level":"severe"}]},
			"transcript":[{"speaker":"caller","text":"I was charged twice","turn":1,"reading":{"category":"angry","level":"severe"}}],"compensation":"refund the double charge"}`)
	})
	feedback := make(chan map[string]any, 1)
	mux.HandleFunc("POST /v1/feedback", func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		json.NewDecoder(r.Body).Decode(&b)
		feedback <- b
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":1}`)
	})
	mux.Handle("/", ui.Handler())
	hs := httptest.NewServer(mux)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	bctx := webrtctest.Browser(ctx, t, chrome, agentWAV)
	waitFor := func(what, expr string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				page, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("desk-status").textContent + " | " + document.getElementById("login-status").textContent`))
				t.Fatalf("%s: timed out; page: %s", what, page)
			}
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/agent"), chromedp.WaitVisible(chromedp.CSS("#login-btn")),
		chromedp.SendKeys(chromedp.CSS("#name"), "alice"), chromedp.SendKeys(chromedp.CSS("#queues"), "billing"),
		chromedp.Click(chromedp.CSS("#login-btn"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if as := getAgents(t, hs.URL); len(as) == 1 && as[0].State == "idle" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent never idle: %+v", getAgents(t, hs.URL))
		}
	}
	caller, err := webrtctest.Dial(ctx, hs.URL, webrtctest.DialOptions{Query: "caller_id=bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	waitFor("ringing with the report", `!document.getElementById("ring").classList.contains("hidden") &&
		document.getElementById("vars").textContent.includes("angry") &&
		document.getElementById("report-body").textContent.includes("refund the double charge") &&
		document.querySelectorAll("#report-body .meter").length === 3`)
	// The report link names public_url, another origin than the page's: the page
	// reads the report from its own server (a cross-origin fetch would be blocked)
	// and the link opens it there too, where the agent is signed in.
	if href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("report-link").href`)); err != nil || href != hs.URL+"/v1/calls/x/report" {
		t.Errorf("report link = %q (%v), want it on the page's own origin %s", href, err, hs.URL)
	}
	// The agent disagrees with the severe reading of turn 1 and files a correction.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#report-body li[data-turn='1'] button.link")),
		chromedp.SetValue(chromedp.CSS("#report-body li[data-turn='1'] select:nth-of-type(2)"), "moderate"),
		chromedp.Click(chromedp.CSS("#report-body li[data-turn='1'] .correct span button"))); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-feedback:
		if id, _ := b["call_id"].(string); id == "" || b["turn_seq"] != 1.0 || b["category"] != "angry" || b["level"] != "moderate" || b["who"] != "alice" {
			t.Errorf("feedback = %v", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no feedback posted")
	}
	waitFor("correction confirmed", `document.querySelector("#report-body li[data-turn='1'] .correct").dataset.corrected === "angry/moderate"`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	waitFor("in call", `!document.getElementById("incall").classList.contains("hidden")`)
	caller.Speak(speech)
	waitFor("live emotion from the session", `document.getElementById("live-meter").dataset.level === "moderate"`)
	// A turn said to the agent without words (offline recogniser) says so, not a blank line.
	waitFor("voice-only turn shown as such", `[...document.querySelectorAll("#turns li.caller.wordless")].some(li => li.textContent.includes("not transcribed"))`)
	// The agent's fake microphone (speech) reaches the caller.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		heard, _ := caller.Received()
		if len(loudFrames(heard)) >= 20*320 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("caller heard only %d loud samples from the agent", len(loudFrames(heard)))
		}
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#hangup"))); err != nil {
		t.Fatal(err)
	}
	waitFor("call ended on the console", `document.getElementById("desk-status").dataset.state === "waiting" && document.getElementById("incall").classList.contains("hidden")`)
}
