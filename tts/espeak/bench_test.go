package espeak

import (
	"context"
	"testing"

	"github.com/calmline/calmline/tts"
)

// reply is a typical one-sentence answer of a support flow.
const reply = "I am sorry about the delay, your refund will reach your account within three working days."

// BenchmarkFirstAudioUncached: time until a reply's audio is ready (espeak-ng
// synthesises whole lines, so first audio = whole line), program start included.
func BenchmarkFirstAudioUncached(b *testing.B) {
	s := newSynth(b)
	ctx := context.Background()
	var samples int
	for b.Loop() {
		pcm, err := s.Synthesize(ctx, reply, tts.Voice{Lang: "en", Style: tts.Soothing})
		if err != nil {
			b.Fatal(err)
		}
		samples = len(pcm)
	}
	b.ReportMetric(float64(samples)/16000, "audio-s")
}

// BenchmarkFirstAudioCached: the same reply as a fixed prompt through tts.NewCache.
func BenchmarkFirstAudioCached(b *testing.B) {
	c := tts.NewCache(newSynth(b), 16)
	ctx := context.Background()
	v := tts.Voice{Lang: "en", Style: tts.Soothing}
	if _, err := c.Synthesize(ctx, reply, v); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Synthesize(ctx, reply, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstAudioUncachedZh: a Mandarin reply.
func BenchmarkFirstAudioUncachedZh(b *testing.B) {
	s := newSynth(b)
	for b.Loop() {
		if _, err := s.Synthesize(context.Background(), "非常抱歉让您久等了，您的退款将在三个工作日内到账。", tts.Voice{Lang: "zh"}); err != nil {
			b.Fatal(err)
		}
	}
}
