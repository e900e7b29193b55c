// Package memleg is an in-memory phone call: a telephony.Leg whose caller audio is
// fed by code and whose replies are captured. It lets the whole pipeline run in
// tests, benchmarks and the simulator with no network, in real time or faster.
package memleg

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/calmline/calmline/telephony"
)

// Reply is one Play call as the caller heard it.
type Reply struct {
	PCM   []int16   // what was sent before Play returned (cut short by barge-in)
	Start time.Time // when the first sample went out
	Full  bool      // false when the reply was stopped early
}

// Leg is an in-memory telephony.Leg. Caller audio queued with Say is delivered in
// 20 ms frames; silence fills the gaps. With Fast, queued audio is delivered as fast
// as it is read (silence still comes in real time, so an idle call does not spin).
type Leg struct {
	info telephony.CallInfo
	fast bool

	mu      sync.Mutex
	queue   []int16
	replies []Reply
	onReply func(Reply)
	next    time.Time

	dtmf chan rune
	done chan struct{}
	once sync.Once
	why  string
}

// New makes a leg for a call described by info.
func New(info telephony.CallInfo, fast bool) *Leg {
	if info.Started.IsZero() {
		info.Started = time.Now().UTC()
	}
	return &Leg{info: info, fast: fast, dtmf: make(chan rune, 64), done: make(chan struct{})}
}

// OnReply sets a function called (in the playing goroutine) when a reply starts and
// again when it ends; latency measurements hook in here.
func (l *Leg) OnReply(f func(Reply)) {
	l.mu.Lock()
	l.onReply = f
	l.mu.Unlock()
}

// Say queues caller audio (16 kHz mono).
func (l *Leg) Say(pcm []int16) {
	l.mu.Lock()
	l.queue = append(l.queue, pcm...)
	l.mu.Unlock()
}

// Pending is how many queued caller samples have not been read yet.
func (l *Leg) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Press queues DTMF keys.
func (l *Leg) Press(keys string) {
	for _, k := range keys {
		l.dtmf <- k
	}
}

// Replies returns every reply played so far.
func (l *Leg) Replies() []Reply {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Reply(nil), l.replies...)
}

// HangupReason is why the leg ended ("" while it is up).
func (l *Leg) HangupReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.why
}

// Info implements telephony.Leg.
func (l *Leg) Info() telephony.CallInfo { return l.info }

// ReadFrame implements telephony.Leg.
func (l *Leg) ReadFrame(ctx context.Context, frame []int16) error {
	l.mu.Lock()
	have := len(l.queue) > 0
	if l.next.IsZero() {
		l.next = time.Now()
	}
	l.next = l.next.Add(telephony.FrameDuration)
	wait := time.Until(l.next)
	if l.fast && have {
		wait, l.next = 0, time.Now()
	}
	l.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-l.done:
			t.Stop()
			return io.EOF
		case <-t.C:
		}
	}
	select {
	case <-l.done:
		return io.EOF
	default:
	}
	l.mu.Lock()
	n := copy(frame, l.queue)
	l.queue = l.queue[n:]
	l.mu.Unlock()
	clear(frame[n:])
	return nil
}

// Play implements telephony.Leg: real-time paced unless the leg is Fast.
func (l *Leg) Play(ctx context.Context, pcm []int16) error {
	r := Reply{Start: time.Now()}
	l.mu.Lock()
	hook := l.onReply
	l.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	sent, err := 0, error(nil)
	if l.fast {
		sent = len(pcm)
	} else {
		t := time.NewTicker(telephony.FrameDuration)
	loop:
		for sent < len(pcm) {
			select {
			case <-ctx.Done():
				err = ctx.Err()
				break loop
			case <-l.done:
				err = io.EOF
				break loop
			case <-t.C:
				sent = min(sent+telephony.FrameSamples, len(pcm))
			}
		}
		t.Stop()
	}
	r.PCM, r.Full = pcm[:sent], sent == len(pcm)
	l.mu.Lock()
	l.replies = append(l.replies, r)
	l.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	return err
}

// DTMF implements telephony.Leg.
func (l *Leg) DTMF() <-chan rune { return l.dtmf }

// Done implements telephony.Leg.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Hangup implements telephony.Leg; it is idempotent.
func (l *Leg) Hangup(_ context.Context, reason string) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.why = reason
		l.mu.Unlock()
		close(l.done)
	})
	return nil
}
