package webrtc_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc"
	"github.com/calmline/calmline/web/ui"
)

// Mount browser calls and the pages on one mux. The handler here answers every
// call with a greeting; calmline's server passes call.Session instead.
func Example() {
	greet := func(ctx context.Context, leg telephony.Leg) {
		if n, ok := leg.(telephony.Notifier); ok {
			n.Notify(telephony.Event{Type: "reply", Data: map[string]string{"text": "Hello!"}})
		}
		_ = leg.Play(ctx, make([]int16, telephony.SampleRate/2)) // half a second of (silent) greeting
		<-ctx.Done()
	}
	rtc, err := webrtc.New(webrtc.Config{MaxPending: 16, ConnectTimeout: 15 * time.Second}, greet)
	if err != nil {
		log.Fatal(err)
	}
	defer rtc.Close()
	mux := http.NewServeMux()
	rtc.Routes(mux)
	mux.Handle("/", ui.Handler())
	_ = &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}
