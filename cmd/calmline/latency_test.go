package main

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// BenchmarkTurnLatencyWebRTC measures what a browser caller waits for: from the end
// of their speech to the first packet of calmline's spoken reply, over WebRTC on
// loopback, through the whole pipeline (endpointing, pocketsphinx, emotion, flow,
// espeak-ng). Each iteration is one caller turn.
//
//	go test -run '^$' -bench TurnLatencyWebRTC -benchtime 20x ./cmd/calmline/
func BenchmarkTurnLatencyWebRTC(b *testing.B) {
	s := testServer(b, "webrtc:\n  max_pending: 4\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: s.web}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Query: "lang=en&caller_id=bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	say, err := audio.Resample(speech(b, "en-us", "I want a refund"), 16000, 48000)
	if err != nil {
		b.Fatal(err)
	}
	waitQuiet := func() { // let the current reply finish so the next turn starts clean
		_, n := c.Received()
		for {
			time.Sleep(700 * time.Millisecond)
			_, m := c.Received()
			if m == n {
				return
			}
			n = m
		}
	}
	waitQuiet() // the greeting
	b.ResetTimer()
	lat, err := c.ReplyLatencies(say, b.N, 20*time.Second, waitQuiet)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	webrtctest.ReportLatencies(b, lat)
}
