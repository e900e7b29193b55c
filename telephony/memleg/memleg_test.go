package memleg

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony"
)

func TestLegDeliversQueuedAudioThenSilence(t *testing.T) {
	l := New(telephony.CallInfo{ID: "m"}, true)
	speech := make([]int16, 500)
	for i := range speech {
		speech[i] = 1000
	}
	l.Say(speech)
	frame := make([]int16, telephony.FrameSamples)
	ctx := context.Background()
	start := time.Now()
	if err := l.ReadFrame(ctx, frame); err != nil || frame[0] != 1000 || frame[319] != 1000 {
		t.Fatalf("first frame %v %v", err, frame[:2])
	}
	if err := l.ReadFrame(ctx, frame); err != nil || frame[179] != 1000 || frame[180] != 0 {
		t.Fatalf("second frame should end the speech and pad with silence: %v %d %d", err, frame[179], frame[180])
	}
	if time.Since(start) > 15*time.Millisecond {
		t.Errorf("fast leg paced queued audio: %v", time.Since(start))
	}
	if err := l.ReadFrame(ctx, frame); err != nil || frame[0] != 0 {
		t.Fatalf("silence frame %v", err)
	}
	l.Hangup(ctx, "done")
	l.Hangup(ctx, "again")
	if err := l.ReadFrame(ctx, frame); err != io.EOF {
		t.Errorf("read after hang-up = %v, want EOF", err)
	}
	if l.HangupReason() != "done" {
		t.Errorf("reason %q", l.HangupReason())
	}
}

func TestLegPlayIsCutByCancel(t *testing.T) {
	l := New(telephony.CallInfo{ID: "m"}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := l.Play(ctx, make([]int16, telephony.SampleRate)) // one second
	r := l.Replies()
	if err == nil || len(r) != 1 || r[0].Full || len(r[0].PCM) == 0 || len(r[0].PCM) > telephony.SampleRate/5 {
		t.Fatalf("cancelled play: err=%v replies=%d full=%v sent=%d", err, len(r), r[0].Full, len(r[0].PCM))
	}
}
