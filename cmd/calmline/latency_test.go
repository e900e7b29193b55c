package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// serveHTTP serves s on a loopback port until the benchmark ends and returns its base URL.
func serveHTTP(b *testing.B, s *server) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: s.web}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// BenchmarkTurnLatencyWebRTC measures what a browser caller waits for: from the end
// of their speech to the first packet of calmline's spoken reply, over WebRTC on
// loopback, through the whole pipeline (endpointing, pocketsphinx, emotion, flow,
// espeak-ng). Each iteration is one caller turn.
//
//	go test -run '^$' -bench TurnLatencyWebRTC -benchtime 20x ./cmd/calmline/
func BenchmarkTurnLatencyWebRTC(b *testing.B) {
	base := serveHTTP(b, testServer(b, "webrtc:\n  max_pending: 4\n"))

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

// BenchmarkConcurrentCallsWebRTC is capacity planning for one machine: N browser
// callers on loopback talk at once (starts staggered over two seconds, as real
// callers are not in step), each for several turns, through the whole pipeline.
// It reports the reply latency every caller waited for, and how many turns got
// no reply within 20 s.
//
//	go test -run '^$' -bench ConcurrentCallsWebRTC -benchtime 3x ./cmd/calmline/
func BenchmarkConcurrentCallsWebRTC(b *testing.B) {
	for _, n := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			base := serveHTTP(b, testServer(b, fmt.Sprintf("webrtc:\n  max_pending: %d\ncall:\n  max_calls: %d\n", n+2, n+2)))
			say, err := audio.Resample(speech(b, "en-us", "I want a refund"), 16000, 48000)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()

			var (
				mu     sync.Mutex
				all    []time.Duration
				failed int
				wg     sync.WaitGroup
			)
			b.ResetTimer()
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(time.Duration(i) * 2 * time.Second / time.Duration(n))
					c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{Query: fmt.Sprintf("lang=en&caller_id=load%d", i)})
					if err != nil {
						mu.Lock()
						failed += b.N
						mu.Unlock()
						return
					}
					defer c.Close()
					waitQuiet := func() {
						_, q := c.Received()
						for {
							time.Sleep(700 * time.Millisecond)
							if _, m := c.Received(); m == q {
								return
							} else {
								q = m
							}
						}
					}
					waitQuiet() // the greeting
					lat, err := c.ReplyLatencies(say, b.N, 20*time.Second, waitQuiet)
					mu.Lock()
					all = append(all, lat...)
					if err != nil {
						failed += b.N - len(lat)
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
			b.StopTimer()
			webrtctest.ReportLatencies(b, all)
			b.ReportMetric(float64(failed), "no-reply")
			b.ReportMetric(float64(len(all)), "turns")
		})
	}
}
