package sphinx

import (
	"context"
	"testing"

	"github.com/calmline/calmline/asr"
)

// Callers say sentences, not menu keywords. A phrase inside a sentence is
// found by the spotting pass; a wrong phrase is never returned for these.
func TestPhraseInsideSentence(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 9 sentences; skipped with -short")
	}
	r := newRecognizer(t, Config{})
	v := newVoice(t)
	ctx := context.Background()
	tests := []struct{ said, want string }{
		{"I want a refund please", "refund"},
		{"I would like a refund for my order", "refund"},
		{"what is my order status", "order status"},
		{"I need technical support with my router", "technical support"},
		{"please cancel my order now", "cancel my order"},
		{"can I speak to an agent please", "speak to an agent"},
		{"I have a question about billing", "billing"},
		{"where is the nearest store", ""}, // none of the phrases
		{"my internet connection keeps dropping", ""},
	}
	found := 0
	for _, tt := range tests {
		res, err := r.Recognize(ctx, say(t, v, tt.said), asr.Options{Lang: "en", Phrases: ivrPhrases})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q -> %q (no match %v, confidence %.2f)", tt.said, res.Text, res.NoMatch, res.Confidence)
		switch {
		case tt.want == "" && !res.NoMatch:
			t.Errorf("%q: took %q, want NoMatch", tt.said, res.Text)
		case tt.want != "" && !res.NoMatch && res.Text != tt.want:
			t.Errorf("%q: took %q, want %q or NoMatch", tt.said, res.Text, tt.want)
		case tt.want != "" && res.Text == tt.want:
			found++
		}
	}
	// Measured 6 of 7 on espeak-ng speech; without the spotting pass 3 of 7
	// (BENCHMARKS.md, asr).
	if found < 5 {
		t.Errorf("found the phrase in %d of 7 sentences, want at least 5", found)
	}
}
