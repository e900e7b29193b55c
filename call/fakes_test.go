package call

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// fakeLeg is a real-time leg: ReadFrame delivers one frame every 20 ms from source,
// Play consumes 20 ms per frame and remembers what is on the wire for echo sources.
type fakeLeg struct {
	mu          sync.Mutex
	source      func(n int, playing []int16) []int16
	played      [][]int16 // every Play call's audio (as far as it got)
	current     []int16   // the frame on the wire right now
	dtmf        chan rune
	done        chan struct{}
	once        sync.Once
	hungup      string
	n           int
	transferErr error
	transfers   []telephony.Transfer
	canTransfer bool
	playStopped []time.Time
}

func newFakeLeg() *fakeLeg {
	return &fakeLeg{dtmf: make(chan rune, 8), done: make(chan struct{}), source: silence}
}

func silence(int, []int16) []int16 { return nil }

func (l *fakeLeg) Info() telephony.CallInfo {
	return telephony.CallInfo{ID: "c1", Channel: telephony.ChannelSimulated, CallerID: "1001", Lang: "en"}
}

func (l *fakeLeg) setSource(f func(n int, playing []int16) []int16) {
	l.mu.Lock()
	l.source = f
	l.mu.Unlock()
}

func (l *fakeLeg) ReadFrame(ctx context.Context, frame []int16) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return io.EOF
	case <-time.After(telephony.FrameDuration):
	}
	l.mu.Lock()
	src := l.source(l.n, l.current)
	l.n++
	l.mu.Unlock()
	clear(frame)
	copy(frame, src)
	return nil
}

func (l *fakeLeg) Play(ctx context.Context, pcm []int16) error {
	t := time.NewTicker(telephony.FrameDuration)
	defer t.Stop()
	sent := 0
	defer func() {
		l.mu.Lock()
		l.played = append(l.played, pcm[:sent])
		l.current = nil
		l.playStopped = append(l.playStopped, time.Now())
		l.mu.Unlock()
	}()
	for sent < len(pcm) {
		end := min(sent+telephony.FrameSamples, len(pcm))
		l.mu.Lock()
		l.current = pcm[sent:end]
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.done:
			return io.EOF
		case <-t.C:
		}
		sent = end
	}
	return nil
}

func (l *fakeLeg) DTMF() <-chan rune     { return l.dtmf }
func (l *fakeLeg) Done() <-chan struct{} { return l.done }
func (l *fakeLeg) Hangup(_ context.Context, reason string) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.hungup = reason
		l.mu.Unlock()
		close(l.done)
	})
	return nil
}

func (l *fakeLeg) callerHangsUp() { l.Hangup(context.Background(), "caller") }

// switchLeg is a fakeLeg that can transfer.
type switchLeg struct{ *fakeLeg }

func (l switchLeg) Transfer(_ context.Context, t telephony.Transfer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.transfers = append(l.transfers, t)
	return l.transferErr
}

// fakeEar: speech is any frame with RMS above 300; an utterance ends after 10 quiet frames.
type fakeEar struct {
	speaking    bool
	quiet, loud int
	audio       []int16
	ended       []int16
}

func (e *fakeEar) Write(frame []int16) bool {
	var sum float64
	for _, v := range frame {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(frame)))
	if rms > 300 {
		e.speaking, e.quiet = true, 0
		e.loud++
		e.audio = append(e.audio, frame...)
		return false
	}
	if !e.speaking {
		return false
	}
	e.quiet++
	if e.quiet < 10 {
		e.audio = append(e.audio, frame...)
		return false
	}
	e.speaking = false
	ok := e.loud >= 5
	e.ended, e.audio, e.loud = e.audio, nil, 0
	return ok
}

func (e *fakeEar) Speaking() bool { return e.speaking }
func (e *fakeEar) Utterance() ([]int16, dsp.Features) {
	return e.ended, dsp.Features{DurationS: float64(len(e.ended)) / telephony.SampleRate}
}

// noise makes caller "speech" that does not correlate with anything the bot says.
func noise(seed int64, amp float64) func(int, []int16) []int16 {
	r := rand.New(rand.NewSource(seed))
	return func(int, []int16) []int16 {
		f := make([]int16, telephony.FrameSamples)
		for i := range f {
			f[i] = int16(r.NormFloat64() * amp)
		}
		return f
	}
}

// fakeASR hears whatever the test queued, in order; an "ERR" entry fails.
type fakeASR struct {
	mu      sync.Mutex
	answers []string
	expects [][]string
}

func (a *fakeASR) Recognize(_ context.Context, pcm []int16, _ string, expect []string) (Heard, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expects = append(a.expects, expect)
	if len(pcm) == 0 {
		return Heard{}, errors.New("empty")
	}
	if len(a.answers) == 0 {
		return Heard{NoMatch: true}, nil
	}
	t := a.answers[0]
	a.answers = a.answers[1:]
	if t == "ERR" {
		return Heard{}, errors.New("recogniser down")
	}
	return Heard{Text: t, Lang: "en", Confidence: 0.9}, nil
}

// fakeSynth speaks 50 ms of a 300 Hz tone per word, in 16 kHz.
type fakeSynth struct{ fail bool }

func (s fakeSynth) Synthesize(_ context.Context, text, _, _ string) ([]int16, error) {
	if s.fail {
		return nil, errors.New("tts down")
	}
	n := len(strings.Fields(text)) * 800
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*300*float64(i)/telephony.SampleRate) * (1 + 0.5*math.Sin(2*math.Pi*3*float64(i)/telephony.SampleRate)))
	}
	return pcm, nil
}

// fakeListener: angry when the text says "angry", otherwise neutral; voice-only turns count too.
type fakeListener struct {
	turns []string
	voice int
}

func (f *fakeListener) Turn(text string, feat *dsp.Features) emotion.Reading {
	f.turns = append(f.turns, text)
	if feat != nil {
		f.voice++
	}
	if strings.Contains(text, "angry") {
		return emotion.Reading{Category: emotion.Angry, Level: emotion.Moderate}
	}
	return emotion.Reading{Category: emotion.Neutral, Level: emotion.Calm}
}

func (f *fakeListener) Voice() emotion.Acoustic { return emotion.Acoustic{} }

func (f *fakeListener) Trajectory() emotion.Trajectory {
	return emotion.Trajectory{Turns: len(f.turns)}
}

// scriptDialog answers each turn with the next scripted reply and records the inputs.
type scriptDialog struct {
	mu      sync.Mutex
	greet   Reply
	replies []Reply
	inputs  []Input
	ended   *Outcome
	failed  int // TransferFailed calls

	numberKeys int // what NumberKeys says
}

func (d *scriptDialog) Start(context.Context) Reply { return d.greet }
func (d *scriptDialog) Turn(_ context.Context, in Input) Reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inputs = append(d.inputs, in)
	if len(d.replies) == 0 {
		return Reply{Say: "goodbye", Next: HangupCall}
	}
	r := d.replies[0]
	d.replies = d.replies[1:]
	return r
}
func (d *scriptDialog) Expect() []string { return []string{"refund", "agent"} }

func (d *scriptDialog) NumberKeys() int { return d.numberKeys }
func (d *scriptDialog) TransferFailed(context.Context) Reply {
	d.mu.Lock()
	d.failed++
	d.mu.Unlock()
	return Reply{Say: "our experts are busy; back to your refund: shall I go ahead?", Lang: "en", Style: "soothing"}
}
func (d *scriptDialog) End(o Outcome) {
	d.mu.Lock()
	d.ended = &o
	d.mu.Unlock()
}

// recorder keeps every event in order.
type recorder struct {
	mu     sync.Mutex
	events []telephony.Event
}

func (r *recorder) Record(_ context.Context, ev telephony.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	return nil
}

func (r *recorder) snapshot() []telephony.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]telephony.Event(nil), r.events...)
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

func (r *recorder) count(typ string) int {
	n := 0
	for _, t := range r.types() {
		if t == typ {
			n++
		}
	}
	return n
}
