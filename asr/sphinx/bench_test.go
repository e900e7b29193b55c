package sphinx

import (
	"context"
	"testing"
	"time"

	"github.com/calmline/calmline/asr"
)

// benchRTF decodes one espeak utterance per iteration and reports the
// real-time factor (processing time / audio duration).
func benchRTF(b *testing.B, text string, opts asr.Options) {
	r := newRecognizer(b, Config{Decoders: 1})
	v := newVoice(b)
	pcm := say(b, v, text)
	ctx := context.Background()
	// Calibrate first, as any running server has.
	for range 3 {
		if _, err := r.Recognize(ctx, say(b, v, "hello I am calling about my order"), opts); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for b.Loop() {
		if _, err := r.Recognize(ctx, pcm, opts); err != nil {
			b.Fatal(err)
		}
	}
	audioSec := float64(len(pcm)) / 16000
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N)/audioSec, "rtf")
	b.ReportMetric(audioSec, "audio-s")
}

// BenchmarkGrammar: grammar mode (grammar pass + phone-loop confidence pass).
func BenchmarkGrammar(b *testing.B) {
	benchRTF(b, "speak to an agent", asr.Options{Phrases: ivrPhrases})
}

// BenchmarkGrammarSentence: a longer out-of-grammar sentence in grammar mode.
func BenchmarkGrammarSentence(b *testing.B) {
	benchRTF(b, "my internet connection keeps dropping every evening", asr.Options{Phrases: ivrPhrases})
}

// BenchmarkDictation: free dictation with the en-us language model.
func BenchmarkDictation(b *testing.B) {
	benchRTF(b, "I would like a refund for my last order please", asr.Options{})
}
