package webrtc_test

import (
	"context"
	"slices"
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
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(c.ReplyStarts())
		c.Speak(burst)
		deadline := time.Now().Add(5 * time.Second)
		for len(c.ReplyStarts()) == before {
			if time.Now().After(deadline) {
				b.Fatalf("no reply to utterance %d", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		starts := c.ReplyStarts()
		lat = append(lat, starts[len(starts)-1].Sub(c.LastSpeech()))
		time.Sleep(400 * time.Millisecond) // let the reply finish
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.9), "p90-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
