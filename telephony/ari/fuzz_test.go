package ari

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/calmline/calmline/telephony"
)

// FuzzDispatch feeds hostile ARI events to the router: nothing may panic,
// and events for unknown channels must not start anything but calls.
func FuzzDispatch(f *testing.F) {
	for _, s := range []string{
		`{"type":"StasisStart","application":"calmline","args":["calmline-internal"],"channel":{"id":"x"}}`,
		`{"type":"StasisEnd","channel":{"id":"x","creationtime":1}}`,
		`{"type":"ChannelDtmfReceived","digit":"","channel":{"id":"x"}}`,
		`{"type":"ChannelDestroyed","cause":"x","channel":{"id":"x"}}`,
		`{"type":"","channel":null}`, `[]`, `{"type":7}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := New(Config{URL: "http://127.0.0.1:1/ari", User: "u", RequestTimeout: 1}, func(context.Context, telephony.Leg) {},
			WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		a.dispatch(ctx, data)
		cancel()
		a.endAll("fuzz")
		a.wg.Wait()
	})
}
