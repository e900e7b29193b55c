package webrtctest

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// ReplyLatencies speaks utt (48 kHz) n times and returns, per turn, the time from the
// end of the caller's speech to the first packet of the reply: what a caller waits
// for. settle runs after each reply has started (e.g. wait for it to finish) so the
// next turn begins clean.
func (c *Client) ReplyLatencies(utt []int16, n int, timeout time.Duration, settle func()) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		before := len(c.ReplyStarts())
		c.Speak(utt)
		deadline := time.Now().Add(timeout)
		for len(c.ReplyStarts()) == before {
			if time.Now().After(deadline) {
				return lat, fmt.Errorf("no reply to utterance %d within %v", i, timeout)
			}
			time.Sleep(2 * time.Millisecond)
		}
		starts := c.ReplyStarts()
		lat = append(lat, starts[len(starts)-1].Sub(c.LastSpeech()))
		settle()
	}
	return lat, nil
}

// ReportLatencies adds p50, p90 and max (milliseconds) to a benchmark's output.
func ReportLatencies(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	lat = slices.Sorted(slices.Values(lat))
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[int(0.9*float64(len(lat)-1))]), "p90-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}
