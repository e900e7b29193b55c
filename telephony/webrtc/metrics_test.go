package webrtc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	calmrtc "github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

func TestMetrics(t *testing.T) {
	noLeaks(t)
	reg := prometheus.NewRegistry()
	_, base := startServer(t, calmrtc.Config{}, idle, calmrtc.WithMetrics(reg))
	post(t, base+"/v1/webrtc/offer", "application/sdp", "garbage")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := webrtctest.Dial(ctx, base, webrtctest.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := `
# HELP calmline_webrtc_offers_total WebRTC offers by peer kind and result.
# TYPE calmline_webrtc_offers_total counter
calmline_webrtc_offers_total{kind="caller",result="bad_offer"} 1
calmline_webrtc_offers_total{kind="caller",result="ok"} 1
# HELP calmline_webrtc_peers Live WebRTC peers by kind.
# TYPE calmline_webrtc_peers gauge
calmline_webrtc_peers{kind="caller"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "calmline_webrtc_offers_total", "calmline_webrtc_peers"); err != nil {
		t.Fatal(err)
	}
	// idle never reads: after more than a second of audio the queue drops the oldest frames.
	var dropped float64
	for deadline := time.Now().Add(5 * time.Second); dropped == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "calmline_webrtc_dropped_frames_total" {
				dropped = mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
	}
	if dropped == 0 {
		t.Fatal("no dropped frames counted for a handler that never reads")
	}
	if _, err := calmrtc.New(calmrtc.Config{}, idle, calmrtc.WithMetrics(reg)); err == nil {
		t.Fatal("registering the metrics twice: no error")
	}
}
