package webrtc_test

import (
	"strings"
	"testing"

	"github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

func TestBrowserSoftphone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; skipped with -short")
	}
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			res := webrtctest.BrowserCall(t, webrtctest.Bot(webrtctest.BotOptions{}), webrtctest.BrowserOptions{Lang: lang})
			if res.Lang != lang || res.Call.Lang != lang {
				t.Errorf("UI language %q, hint at the server %q, want %q", res.Lang, res.Call.Lang, lang)
			}
			if len(res.Turns) == 0 || !strings.HasPrefix(res.Turns[0], "caller: (") {
				t.Errorf("turns = %q, want the caller's turn first", res.Turns)
			}
			if len(res.Meters) == 0 || !strings.HasPrefix(res.Meters[0], "neutral/") {
				t.Errorf("meters = %q, want the bot's reading", res.Meters)
			}
			t.Logf("page: %d turns, meters %v, %d reply packets", len(res.Turns), res.Meters, res.Packets)
		})
	}
}

// TestBrowserSoftphoneBusy: a caller who rings while every line is taken is told so
// on the page, in their language, instead of connecting to silence.
func TestBrowserSoftphoneBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; skipped with -short")
	}
	for _, tt := range []struct{ lang, want string }{{"en", "lines are busy"}, {"zh", "线路繁忙"}} {
		t.Run(tt.lang, func(t *testing.T) {
			full := func() bool { return true }
			res := webrtctest.BrowserCall(t, webrtctest.Bot(webrtctest.BotOptions{}), webrtctest.BrowserOptions{
				Lang: tt.lang, UntilState: "busy", Options: []webrtc.Option{webrtc.WithCapacity(full)}})
			if !strings.Contains(res.Status, tt.want) || res.Packets != 0 {
				t.Errorf("page status %q with %d packets, want %q and no audio", res.Status, res.Packets, tt.want)
			}
		})
	}
}
