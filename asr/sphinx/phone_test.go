package sphinx

import (
	"context"
	"testing"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/audio"
)

// SIP callers arrive as 8 kHz μ-law: the menu phrases and in-sentence phrases
// through a simulated phone line (audio.Telephone), with the wide-band model.
func TestPhoneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 25 utterances; skipped with -short")
	}
	r := newRecognizer(t, Config{})
	v := newVoice(t)
	ctx := context.Background()
	line := func(text string) []int16 {
		pcm, err := audio.Telephone(say(t, v, text))
		if err != nil {
			t.Fatal(err)
		}
		return pcm
	}
	hit := 0
	for i, text := range spoken {
		res, err := r.Recognize(ctx, line(text), asr.Options{Lang: "en", Phrases: ivrPhrases})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NoMatch && res.Text == ivrPhrases[i] {
			hit++
		} else {
			t.Logf("phone line: said %q, got %q (no match %v)", text, res.Text, res.NoMatch)
		}
	}
	rejected := 0
	for _, text := range outOfGrammar {
		res, err := r.Recognize(ctx, line(text), asr.Options{Lang: "en", Phrases: ivrPhrases})
		if err != nil {
			t.Fatal(err)
		}
		if res.NoMatch {
			rejected++
		} else {
			t.Logf("phone line: out of grammar %q taken as %q (confidence %.2f)", text, res.Text, res.Confidence)
		}
	}
	t.Logf("phone line: phrases %d/%d, out-of-grammar NoMatch %d/%d", hit, len(spoken), rejected, len(outOfGrammar))
	if hit < len(spoken)*3/4 {
		t.Errorf("phone line: %d of %d phrases recognised, want at least 3/4", hit, len(spoken))
	}
	if rejected < len(outOfGrammar)/2 {
		t.Errorf("phone line: %d of %d out-of-grammar utterances rejected, want at least half", rejected, len(outOfGrammar))
	}
}
