package webrtc_test

import (
	"context"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// BenchmarkReplyLatency measures, over WebRTC on loopback, the time from the caller
// stopping speaking (the last loud 20 ms frame the client sends) to the first packet
// of the bot's reply arriving at the client. The caller's "speech" is a 600 ms tone
// burst so the end is exact; the handler is webrtctest.Bot with a one-frame
// hangover, so the figure is transport + Opus decode/encode + one frame of
// endpointing, not the real pipeline (call.Session re-measures with ASR/TTS).
//
//	go test -run '^$' -bench ReplyLatency -benchtime 40x ./telephony/webrtc/
func BenchmarkReplyLatency(b *testing.B) {
	srv, err := webrtc.New(webrtc.Config{HostIPs: []string{"127.0.0.1"}},
		webrtctest.Bot(webrtctest.BotOptions{Hangover: 1, Reply: webrtctest.Tone(440, 200*time.Millisecond)}))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	base := serve(b, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	burst := webrtctest.ToneAt(48000, 220, 600*time.Millisecond)
	b.ResetTimer()
	lat, err := c.ReplyLatencies(burst, b.N, 5*time.Second, func() { time.Sleep(400 * time.Millisecond) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	webrtctest.ReportLatencies(b, lat)
}
