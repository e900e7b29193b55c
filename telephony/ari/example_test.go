package ari_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/ari"
)

// A minimal Stasis app: greet each caller with a second of silence and hang up.
func Example() {
	cfg := ari.Config{
		URL: "http://127.0.0.1:8088/ari", User: "calmline", Password: "secret", App: "calmline",
		RTPHost: "127.0.0.1", RTPPorts: [2]int{20000, 20099},
		Queues:         map[string]ari.Queue{"experts": {Endpoints: []string{"PJSIP/expert1", "PJSIP/expert2"}, RingFor: 20 * time.Second}},
		SupervisorPINs: map[string]string{"4711": "dana"},
	}
	app, err := ari.New(cfg, func(ctx context.Context, leg telephony.Leg) {
		_ = leg.Play(ctx, make([]int16, telephony.SampleRate))
		_ = leg.Hangup(ctx, "demo done")
	}, ari.WithLogger(slog.Default()))
	if err != nil {
		slog.Error("config", "err", err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	_ = app.Run(ctx) // returns when ctx is done, after every call was released
}
