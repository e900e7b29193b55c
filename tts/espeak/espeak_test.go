package espeak

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/tts"
)

func newSynth(t testing.TB) *Synth {
	t.Helper()
	s, err := New(Config{})
	if err != nil {
		t.Skipf("espeak-ng not usable here: %v", err)
	}
	return s
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

func seconds(pcm []int16) float64 { return float64(len(pcm)) / telephony.SampleRate }

func TestSynthesizeLanguages(t *testing.T) {
	s := newSynth(t)
	tests := []struct {
		text string
		lang string
	}{
		{"Thank you for calling. How can I help you today?", "en"},
		{"您好，请问有什么可以帮您？", "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			pcm, err := s.Synthesize(context.Background(), tt.text, tts.Voice{Lang: tt.lang})
			if err != nil {
				t.Fatal(err)
			}
			// A one-sentence reply lasts seconds, not milliseconds or minutes, and is not silent.
			if d := seconds(pcm); d < 1 || d > 10 {
				t.Errorf("duration %.2fs, want 1..10 s", d)
			}
			if r := rms(pcm); r < 300 {
				t.Errorf("rms %.0f: audio is (nearly) silent", r)
			}
		})
	}
}

func TestStylesChangeProsody(t *testing.T) {
	s := newSynth(t)
	text := "Your order will arrive on Monday."
	dur := map[tts.Style]float64{}
	level := map[tts.Style]float64{}
	for _, st := range []tts.Style{tts.Neutral, tts.Soothing, tts.Urgent} {
		pcm, err := s.Synthesize(context.Background(), text, tts.Voice{Lang: "en", Style: st})
		if err != nil {
			t.Fatal(err)
		}
		dur[st], level[st] = seconds(pcm), rms(pcm)
	}
	if !(dur[tts.Soothing] > dur[tts.Neutral] && dur[tts.Neutral] > dur[tts.Urgent]) {
		t.Errorf("durations soothing %.2f neutral %.2f urgent %.2f: want soothing slowest, urgent quickest", dur[tts.Soothing], dur[tts.Neutral], dur[tts.Urgent])
	}
	if level[tts.Soothing] >= level[tts.Neutral] {
		t.Errorf("soothing rms %.0f >= neutral %.0f: want softer", level[tts.Soothing], level[tts.Neutral])
	}
}

func TestSynthesizeErrors(t *testing.T) {
	s := newSynth(t)
	if _, err := s.Synthesize(context.Background(), "  ", tts.Voice{}); !errors.Is(err, tts.ErrEmptyText) {
		t.Errorf("empty text: %v", err)
	}
	if _, err := s.Synthesize(context.Background(), "bonjour", tts.Voice{Lang: "fr"}); !errors.Is(err, tts.ErrUnsupportedLanguage) {
		t.Errorf("fr: %v", err)
	}
	long := make([]byte, 2001)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := s.Synthesize(context.Background(), string(long), tts.Voice{}); err == nil {
		t.Error("over-long text: want error")
	}
	// Text that looks like options must be spoken, not obeyed.
	if pcm, err := s.Synthesize(context.Background(), "--help -w /etc/passwd", tts.Voice{}); err != nil || len(pcm) == 0 {
		t.Errorf("option-like text: %d samples, %v", len(pcm), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := s.Synthesize(ctx, "hello", tts.Voice{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"missing program", Config{Program: "no-such-espeak-program"}},
		{"missing voice", Config{VoiceEn: "qqqvoice"}},
		{"bad rate", Config{Rate: 1000}},
		{"bad pitch", Config{Pitch: 120}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: want error", tt.name)
		}
	}
}
