package emotion

import "testing"

var benchSentences = []string{
	"这个问题已经第三次出现了，你们到底有没有解决方案？",
	"This is the third time I'm calling, I want to cancel",
	"Could you tell me how to change the delivery address on my order?",
	"我想查一下这个月的话费",
}

// BenchmarkText is the text reading of one sentence (target: ≤ 50 µs).
func BenchmarkText(b *testing.B) {
	m := defaultModel(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Text(benchSentences[i%len(benchSentences)])
		i++
	}
}

// BenchmarkTextTraditional is Text on Traditional-character transcripts, which are
// folded to Simplified first (internal/hanzi); Simplified and English text skip the
// fold after a scan (BenchmarkText).
func BenchmarkTextTraditional(b *testing.B) {
	m := defaultModel(b)
	lines := []string{"這個問題已經第三次出現了，你們到底有沒有解決方案？", "我要投訴你們，服務太差了", "謝謝，問題解決了"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Text(lines[i%len(lines)])
		i++
	}
}

// BenchmarkFuse is fusing a stored text reading with a voiced Acoustic (target: ≤ 10 µs).
func BenchmarkFuse(b *testing.B) {
	m := defaultModel(b)
	txt := m.Text(benchSentences[0])
	voice := Acoustic{Voiced: true, Arousal: 0.8, Confidence: 0.7,
		Scores: map[Category]float64{Angry: 0.5, Anxious: 0.2, Neutral: 0.2, Sad: 0.1},
		Cues:   []Cue{{Kind: CueAcoustic, Text: "pitch +4.1 st above baseline", Weight: 0.6}}}
	b.ReportAllocs()
	for b.Loop() {
		m.Fuse(txt, voice)
	}
}

// BenchmarkCallTurn is one full turn with repetition memory and tracking.
func BenchmarkCallTurn(b *testing.B) {
	m := defaultModel(b)
	c := m.NewCall()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Turn(benchSentences[i%len(benchSentences)], nil)
		i++
	}
}
