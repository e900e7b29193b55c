package webrtctest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/web/ui"
)

// BrowserOptions shape a headless-Chromium call.
type BrowserOptions struct {
	// WAV is what the fake microphone says (looped). Empty: speech from Text (or a stock
	// sentence) via espeak-ng, Mandarin when Lang is "zh".
	WAV  string
	Text string
	// Lang is the UI language to select before calling ("en" or "zh"); it is sent as the offer's hint.
	Lang string
	// Timeout bounds the whole call (default 60 s).
	Timeout time.Duration
	// UntilState, when set, ends the call as soon as the page's status reaches this
	// state (e.g. "busy" for a refused call) instead of waiting for a reading.
	UntilState string
	// Keys are pressed on the softphone's keypad once the bot has spoken; the call
	// then waits for the page to show them as the caller's turn and a bot answer
	// after it, instead of for an emotion reading.
	Keys string
	// Config and Options for the server (HostIPs defaults to 127.0.0.1).
	Config  webrtc.Config
	Options []webrtc.Option
	// Chromium is the browser binary (default $CALMLINE_CHROMIUM, then /usr/bin/chromium, then chromium on PATH).
	Chromium string
}

// BrowserResult is what the page showed.
type BrowserResult struct {
	Turns   []string           // "role: text" of every transcript turn, in order
	Meters  []string           // "category/level" of every emotion meter on a turn
	Packets int                // reply audio packets the page received (getStats inbound-rtp)
	Lang    string             // the UI language when calling
	Call    telephony.CallInfo // what the server made of the offer (language hint, caller id)
	Status  string             // the page's status line when the call ended
}

// Chromium is the browser for a browser test: it skips the test under -short
// (a browser takes seconds to start) or when no Chromium is installed (make deps
// installs it), so every browser test skips for the same reasons with the same words.
func Chromium(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium; skipped with -short")
	}
	chrome := FindChromium("")
	if chrome == "" {
		t.Skip("chromium not installed (make deps installs it)")
	}
	return chrome
}

// FindChromium returns the Chromium binary or "" when there is none.
func FindChromium(explicit string) string {
	for _, p := range []string{explicit, os.Getenv("CALMLINE_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// BrowserCall serves the softphone and the signaling routes with Handler h on
// loopback, opens the page in headless Chromium with a fake microphone playing the
// WAV, presses Call, and waits until the page shows a caller turn with an emotion
// meter and reply audio has arrived; then it hangs up and checks the server let the
// call go. Pass call.Session's handler to run the same test on the full pipeline.
// It skips when Chromium is not installed.
func BrowserCall(t testing.TB, h webrtc.Handler, o BrowserOptions) BrowserResult {
	t.Helper()
	chrome := FindChromium(o.Chromium)
	if chrome == "" {
		t.Skip("chromium not installed (Debian package chromium; `make deps` installs it)")
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	if o.WAV == "" {
		text, voice := o.Text, ""
		if o.Lang == "zh" {
			voice = "cmn"
		}
		if text == "" {
			text = "Hello, my order still has not arrived and I am getting worried."
			if o.Lang == "zh" {
				text = "你好，我的订单到现在还没有到，我很着急。"
			}
		}
		o.WAV, _ = SpeechVoice(t, voice, text, 48000, 1.5)
	}
	cfg := o.Config
	if cfg.HostIPs == nil {
		cfg.HostIPs = []string{"127.0.0.1"}
	}
	var infoMu sync.Mutex
	var info telephony.CallInfo
	wrapped := func(ctx context.Context, leg telephony.Leg) {
		infoMu.Lock()
		info = leg.Info()
		infoMu.Unlock()
		h(ctx, leg)
	}
	srv, err := webrtc.New(cfg, wrapped, o.Options...)
	if err != nil {
		t.Fatalf("webrtc.New: %v", err)
	}
	defer srv.Close()
	mux := http.NewServeMux()
	srv.Routes(mux)
	mux.Handle("/", ui.Handler())
	hs := httptest.NewServer(mux)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	bctx := Browser(ctx, t, chrome, o.WAV)
	var res BrowserResult
	if err := chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#call"))); err != nil {
		t.Fatalf("open softphone: %v", err)
	}
	res.Lang, err = chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`I18N.lang() !== %q && I18N.toggle(); I18N.lang()`, o.Lang)))
	if err != nil {
		t.Fatalf("select language: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#call"))); err != nil {
		t.Fatalf("press call: %v", err)
	}
	type pageState struct {
		Turns   []string `json:"turns"`
		Meters  []string `json:"meters"`
		Packets int      `json:"packets"`
		Status  string   `json:"status"`
		Text    string   `json:"text"`
		Error   string   `json:"error"`
	}
	const probe = `({
		turns: [...document.querySelectorAll("#turns .turn")].map(li => li.classList[1] + ": " + li.querySelector(".text").textContent),
		meters: [...document.querySelectorAll("#turns .meter")].map(m => m.dataset.category + "/" + m.dataset.level),
		packets: Number(document.getElementById("stats").dataset.packets),
		status: document.getElementById("status").dataset.state,
		text: document.getElementById("status").textContent,
		error: document.getElementById("status").classList.contains("error") ? document.getElementById("status").textContent : "",
	})`
	// poll reads the page until done holds; an error on the page, or the call's
	// time running out, fails the test.
	poll := func(what string, done func(pageState) bool) pageState {
		for {
			state, err := chromedp.Run(bctx, chromedp.Evaluate[pageState](probe))
			if err != nil {
				t.Fatalf("read page (last state %+v): %v", state, err)
			}
			if done(state) {
				return state
			}
			if state.Error != "" {
				t.Fatalf("softphone error: %s", state.Error)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("page never showed %s: %+v", what, state)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if o.UntilState != "" {
		state := poll("status "+o.UntilState, func(s pageState) bool { return s.Status == o.UntilState })
		res.Turns, res.Packets, res.Status = state.Turns, state.Packets, state.Text
		return res
	}
	var state pageState
	if o.Keys == "" {
		state = poll("an emotion reading and reply audio", func(s pageState) bool { return len(s.Meters) > 0 && s.Packets > 0 })
	} else {
		poll("the bot's first words", func(s pageState) bool { return s.Packets > 0 && botAfter(s.Turns, -1) })
		for _, k := range o.Keys {
			if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#keypad button[data-key=%q]`, string(k))))); err != nil {
				t.Fatalf("press key %c: %v", k, err)
			}
		}
		state = poll(fmt.Sprintf("keys %q and an answer", o.Keys), func(s pageState) bool {
			keyed := -1
			for i, turn := range s.Turns {
				if strings.HasPrefix(turn, "caller: ") && strings.HasSuffix(turn, " "+o.Keys) {
					keyed = i
				}
			}
			return keyed >= 0 && botAfter(s.Turns, keyed)
		})
	}
	res.Turns, res.Meters, res.Packets, res.Status = state.Turns, state.Meters, state.Packets, state.Text
	infoMu.Lock()
	res.Call = info
	infoMu.Unlock()
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#hangup"))); err != nil {
		t.Fatalf("press hangup: %v", err)
	}
	for len(srv.Calls()) > 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("server still has %d calls after the page hung up", len(srv.Calls()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return res
}

// botAfter reports whether a bot turn follows position i.
func botAfter(turns []string, i int) bool {
	for _, turn := range turns[i+1:] {
		if strings.HasPrefix(turn, "bot: ") {
			return true
		}
	}
	return false
}

// Browser starts headless Chromium with a fake microphone playing wav (looped) and
// media permission granted, and returns a chromedp context for one tab. The browser
// ends when ctx is cancelled or the test ends.
func Browser(ctx context.Context, t testing.TB, chrome, wav string) context.Context {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Chromium leaves loopback out of ICE unless told; the test server lives on 127.0.0.1.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(func() {
		bcancel()
		acancel()
	})
	return bctx
}
