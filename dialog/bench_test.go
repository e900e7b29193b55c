package dialog

import (
	"testing"

	"github.com/calmline/calmline/emotion"
)

// BenchmarkTurn is one caller turn through the default flow: policy checks, intent
// matching and reply rendering (a mild, soothed turn, the common busy path).
func BenchmarkTurn(b *testing.B) {
	e, err := Load("../config/flows/support.yaml")
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Text: "I want a refund, this is taking too long", Reading: emotion.Reading{Category: emotion.Angry, Level: emotion.Mild, Confidence: 0.7}}
	b.ReportAllocs()
	for b.Loop() {
		c := e.NewConversation(Caller{CallID: "bench", Lang: "en"})
		c.Start()
		c.Turn(in)
	}
}

// BenchmarkLoad is loading and validating the default flow with the built-in packs.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("../config/flows/support.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
