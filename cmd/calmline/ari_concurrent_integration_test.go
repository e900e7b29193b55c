package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony/ari/sipptest"
)

// TestIntegrationServeRealAsteriskConcurrent dials several SIP callers at once
// through a real Asterisk into `calmline serve` (CALMLINE_SIP_CALLS, default 6):
// every call must be set up, greeted, answered after its spoken turn, stored,
// and leave nothing behind in Asterisk: a support line takes calls side by side,
// and each call's ARI requests and events interleave with the others'.
func TestIntegrationServeRealAsteriskConcurrent(t *testing.T) {
	ariURL, target := realAsterisk(t)
	n := 6
	if v := os.Getenv("CALMLINE_SIP_CALLS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 50 {
			t.Fatalf("CALMLINE_SIP_CALLS=%q: want 1 to 50", v)
		}
	}
	speech := sipptest.Speech(t, "refund")
	base, stderr := serveRealAsterisk(t, ariURL, "")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	calls := make([]*sipptest.Call, n)
	for i := range calls { // sipp processes start from the test goroutine (Dial may t.Fatal)
		calls[i] = sipptest.Dial(t, ctx, target, envOr("CALMLINE_SIP_EXTEN", "100"), envOr("CALMLINE_SIP_USER", "caller"),
			os.Getenv("CALMLINE_SIP_PASSWORD"), 35*time.Second)
	}
	type outcome struct {
		greeted, replied time.Duration
		err              error
	}
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &out[i]
			answered, err := call.Answered(ctx)
			if err != nil {
				o.err = fmt.Errorf("not answered: %w", err)
				return
			}
			ph := call.Phone
			ph.StreamSilence(ctx)
			greeted, err := ph.WaitLoud(ctx, answered, 10)
			if err != nil {
				o.err = fmt.Errorf("no greeting: %w", err)
				return
			}
			o.greeted = greeted.Sub(answered)
			waitQuiet(ctx, ph, 2*time.Second)
			end, err := ph.Speak(ctx, speech)
			if err != nil {
				o.err = fmt.Errorf("speak: %w", err)
				return
			}
			wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
			replied, err := ph.WaitLoud(wctx, end, 5)
			wcancel()
			if err != nil {
				o.err = fmt.Errorf("no reply to the spoken turn: %w", err)
				return
			}
			o.replied = replied.Sub(end)
			if err := call.Wait(ctx); err != nil {
				o.err = fmt.Errorf("caller phone: %w", err)
			}
		}()
	}
	wg.Wait()
	for i, o := range out {
		if o.err != nil {
			t.Errorf("call %d: %v", i, o.err)
			continue
		}
		t.Logf("call %d: 200 OK -> greeting %v; end of speech -> reply %v", i, o.greeted.Round(time.Millisecond), o.replied.Round(time.Millisecond))
	}
	if s := stderr.String(); strings.Contains(s, "call setup failed") {
		t.Errorf("a call failed setup:\n%s", lastN(s, 40))
	}
	var stored []struct {
		ID    string
		Ended time.Time
	}
	waitUntil(t, 15*time.Second, fmt.Sprintf("%d calls stored as ended", n), func() bool {
		getJSON(t, base+"/v1/calls", &stored)
		ended := 0
		for _, c := range stored {
			if !c.Ended.IsZero() {
				ended++
			}
		}
		return ended == n
	})
	heard := 0
	for _, c := range stored {
		var detail struct {
			Turns    []struct{ Speaker, Text string }
			Readings []struct{ Category string }
		}
		getJSON(t, base+"/v1/calls/"+c.ID, &detail)
		callerTurns := 0
		for _, tu := range detail.Turns {
			if tu.Speaker == "caller" {
				callerTurns++
				if strings.Contains(strings.ToLower(tu.Text), "refund") {
					heard++
				}
			}
		}
		if callerTurns == 0 || len(detail.Readings) == 0 {
			t.Errorf("stored call %s: %d caller turns, %d readings; want >= 1 of each", c.ID, callerTurns, len(detail.Readings))
		}
	}
	t.Logf("%d calls at once: %d of %d caller turns recognised as \"refund\"", n, heard, n)
	waitAsteriskEmpty(t, ariURL, 10*time.Second)
}
