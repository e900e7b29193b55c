package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// TestServeStaffSignIn runs the real binary: `calmline staff hash` makes the
// hashes, `serve` loads them, and the console routes then want a signed-in
// person whose name (not the one a request claims) reaches the agent roster.
func TestServeStaffSignIn(t *testing.T) {
	hash := func(pw string) string {
		cmd := exec.Command(calmlineBin, "staff", "hash")
		cmd.Stdin = strings.NewReader(pw + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("staff hash: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command(calmlineBin, "staff", "hash").CombinedOutput(); err == nil {
		t.Errorf("staff hash accepted an empty password: %s", out)
	}
	cfg := "listen: 127.0.0.1:0\ndata_dir: data\nstaff:\n" +
		"  amy: {role: agent, password_hash: '" + hash("amy-password") + "'}\n" +
		"  lin: {role: supervisor, password_hash: '" + hash("lin-password") + "'}\n"
	base, _, _ := startServer(t, cfg)

	client := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar}
	}
	do := func(c *http.Client, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}

	amy := client()
	if code, _ := do(amy, "GET", "/v1/calls/live", ""); code != 401 {
		t.Errorf("live calls before sign-in = %d, want 401", code)
	}
	if code, _ := do(amy, "POST", "/v1/agents/login", `{"name":"mallory"}`); code != 401 {
		t.Errorf("agent login before sign-in = %d, want 401", code)
	}
	if code, _ := do(amy, "POST", "/v1/staff/login", `{"name":"amy","password":"wrong"}`); code != 401 {
		t.Errorf("wrong password = %d, want 401", code)
	}
	if code, v := do(amy, "POST", "/v1/staff/login", `{"name":"amy","password":"amy-password"}`); code != 200 || v["role"] != "agent" {
		t.Fatalf("sign in = %d %v", code, v)
	}
	if code, v := do(amy, "POST", "/v1/agents/login", `{"name":"mallory","queues":["experts"]}`); code != 200 || v["name"] != "amy" {
		t.Errorf("agent login = %d %v, want the signed-in name amy", code, v)
	}
	// A signed-in correction needs no "who": the session names its author, so
	// the request gets as far as the store (which knows no call x).
	if code, v := do(amy, "POST", "/v1/feedback", `{"call_id":"x","turn_seq":1,"category":"angry","level":"mild"}`); code != 404 {
		t.Errorf("feedback from a signed-in agent = %d %v, want 404 no such call", code, v)
	}
	if code, _ := do(amy, "GET", "/v1/calls", ""); code != 403 {
		t.Errorf("agent reading call history = %d, want 403", code)
	}

	lin := client()
	if code, _ := do(lin, "POST", "/v1/staff/login", `{"name":"lin","password":"lin-password"}`); code != 200 {
		t.Fatalf("supervisor sign in = %d", code)
	}
	for _, p := range []string{"/v1/calls", "/v1/calls/live", "/v1/audit", "/v1/agents"} {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", base+p, nil)
		resp, err := lin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("supervisor GET %s = %d", p, resp.StatusCode)
		}
	}
}

// TestBrowserStaffSignIn signs a supervisor in on the real console page in
// headless Chromium: the console stays hidden until the sign-in succeeds, a
// wrong password is shown, and the audited name is the signed-in one.
func TestBrowserStaffSignIn(t *testing.T) {
	chrome := webrtctest.Chromium(t)
	h, err := bcrypt.GenerateFromPassword([]byte("lin-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, "staff:\n  lin: {role: supervisor, password_hash: '"+string(h)+"'}\n")
	bctx, base, wait := consoleBrowser(t, chrome, s)
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/supervisor"), chromedp.WaitVisible(chromedp.CSS("#signin-form"))); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	if hidden, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector("section.console").classList.contains("hidden")`)); !hidden {
		t.Error("the console showed before sign-in")
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#signin-name"), "lin"), chromedp.SendKeys(chromedp.CSS("#signin-pass"), "guess"),
		chromedp.Click(chromedp.CSS("#signin-form button"))); err != nil {
		t.Fatal(err)
	}
	wait("the refusal", `document.getElementById("signin-status").textContent.includes("wrong name or password")`)
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS("#signin-pass"), "lin-password"), chromedp.Click(chromedp.CSS("#signin-form button"))); err != nil {
		t.Fatal(err)
	}
	wait("the console", `!document.querySelector("section.console").classList.contains("hidden") && document.getElementById("signin").classList.contains("hidden")`)
	name, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("sup-name").value`))
	readOnly, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById("sup-name").readOnly`))
	if name != "lin" || !readOnly {
		t.Errorf("supervisor name field = %q (read-only %v), want the signed-in lin", name, readOnly)
	}

	// The dashboard (signed-in fetches of /v1/heatmap and /v1/ab) shows the seeded calls.
	wait("the heatmap", `document.querySelectorAll("#heatmap td.heat[data-share]").length > 0`)
	wait("the A/B table", `document.querySelectorAll("#ab tr").length === 2`)
	cell, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { const td = document.querySelector("#heatmap td.heat[data-share]"); return td.parentElement.firstChild.textContent + " " + td.textContent + " " + td.dataset.share; })()`))
	if cell != "webrtc 2 0.5" {
		t.Errorf("heatmap cell = %q, want channel webrtc, 2 calls, half of them moderate or worse", cell)
	}
	rows, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#ab tr")].map(tr => [...tr.cells].map(td => td.textContent).join("|")).join("\n")`))
	if !strings.Contains(rows, "soothe|a|1|1|100%") || !strings.Contains(rows, "soothe|b|1|1|0%") {
		t.Errorf("A/B table:\n%s", rows)
	}
}

// TestBrowserConsoleAsksForAPIToken: an operator who protected the API with a
// token and set up no console accounts opens the supervisor console. It must ask
// for the token (not sit there showing "no live calls" on 401s), refuse a wrong
// one, and then show the console and the dashboard.
func TestBrowserConsoleAsksForAPIToken(t *testing.T) {
	chrome := webrtctest.Chromium(t)
	s := testServerEnv(t, "", map[string]string{"CALMLINE_API_TOKEN": "s3cret-token"})
	bctx, base, wait := consoleBrowser(t, chrome, s)
	// Every URL the browser requests: the token must be in none of them.
	var mu sync.Mutex
	var urls []string
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/supervisor"), chromedp.WaitVisible(chromedp.CSS("#token-form"))); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#token-value"), "guess"), chromedp.Click(chromedp.CSS("#token-form button"))); err != nil {
		t.Fatal(err)
	}
	wait("the refusal", `document.getElementById("token-status").textContent.includes("not accepted")`)
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS("#token-value"), "s3cret-token"), chromedp.Click(chromedp.CSS("#token-form button"))); err != nil {
		t.Fatal(err)
	}
	wait("the console", `!document.querySelector("section.console").classList.contains("hidden") && document.getElementById("token").classList.contains("hidden")`)
	wait("the heatmap", `document.querySelectorAll("#heatmap td.heat[data-share]").length > 0`)
	wait("no live calls, said without an error", `!document.getElementById("no-calls").classList.contains("hidden") && !document.getElementById("sup-status").classList.contains("error")`)
	wait("the live event stream", `document.getElementById("calls").dataset.stream === "open" && document.getElementById("live-paused").classList.contains("hidden")`)
	// The kept token opens the console again on reload without asking.
	if err := chromedp.Do(bctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	wait("the console after reload", `!document.querySelector("section.console").classList.contains("hidden") && !document.getElementById("token")`)
	wait("the live event stream after reload", `document.getElementById("calls").dataset.stream === "open"`)
	mu.Lock()
	defer mu.Unlock()
	var stream int
	for _, u := range urls {
		if strings.Contains(u, "s3cret-token") || strings.Contains(u, "access_token") {
			t.Errorf("the API token travelled in a URL: %s", u)
		}
		if strings.Contains(u, "/v1/events?ticket=") {
			stream++
		}
	}
	if stream < 2 {
		t.Errorf("event stream opened with a ticket %d times, want 2 (before and after the reload); URLs: %q", stream, urls)
	}
}

// consoleBrowser serves s (its store seeded with two calls for the dashboard) and
// opens a headless Chromium tab for the consoles. It returns the tab, the server's
// URL, and wait, which polls a JavaScript condition until it holds or fails the test.
func consoleBrowser(t *testing.T, chrome string, s *server) (bctx context.Context, base string, wait func(what, expr string)) {
	t.Helper()
	seedDashboard(t, s.db)
	hs := httptest.NewServer(s.web)
	t.Cleanup(hs.Close)
	wav, _ := webrtctest.Speech(t, "hello", 48000, 0.2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	bctx = webrtctest.Browser(ctx, t, chrome, wav)
	wait = func(what, expr string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	return bctx, hs.URL, wait
}

// seedDashboard stores two ended browser calls: one that heard soothing
// variant a and calmed down, one that heard b and got more upset (mild).
func seedDashboard(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	for i, c := range []struct {
		variant       string
		before, after emotion.Level
	}{{"a", emotion.Moderate, emotion.Mild}, {"b", emotion.Calm, emotion.Mild}} {
		id := "dash" + c.variant
		steps := []error{
			db.StartCall(ctx, store.Call{ID: id, Channel: telephony.ChannelWebRTC, Lang: "en", Variant: c.variant, Started: at}),
			db.AddTurn(ctx, store.Turn{CallID: id, Seq: 1, At: at, Speaker: "caller", Text: "my order is late again"}),
		}
		_, err := db.AddReading(ctx, store.Reading{CallID: id, TurnSeq: 1, At: at, Reading: emotion.Reading{Category: emotion.Angry, Level: c.before}})
		steps = append(steps, err,
			db.AddAction(ctx, store.Action{CallID: id, Seq: 1, TurnSeq: 1, At: at.Add(time.Second), Type: "say", Line: "soothe", Variant: c.variant}),
			db.AddTurn(ctx, store.Turn{CallID: id, Seq: 2, At: at.Add(5 * time.Second), Speaker: "caller", Text: "ok"}))
		_, err = db.AddReading(ctx, store.Reading{CallID: id, TurnSeq: 2, At: at.Add(5 * time.Second), Reading: emotion.Reading{Category: emotion.Angry, Level: c.after}})
		steps = append(steps, err, db.EndCall(ctx, store.Outcome{CallID: id, Ended: at.Add(time.Minute), Result: "resolved", Resolved: true}))
		for j, err := range steps {
			if err != nil {
				t.Fatalf("seed call %d step %d: %v", i, j, err)
			}
		}
	}
}
