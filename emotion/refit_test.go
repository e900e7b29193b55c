package emotion

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRefitLearnsFromCorrections(t *testing.T) {
	m := defaultModel(t)
	// Operators found that "still"/"again"/"always" in ordinary requests made calm
	// callers read angry; the labels say neutral. Real complaints stay angry.
	neutral := []string{
		"is the shop still open on sunday", "can I still use my old card", "I'd like to order the same again",
		"do you still sell the blue model", "please send the code again", "is the offer still valid",
		"could you say the number again", "I always pay by card", "is my old address still on file",
		"can you read that again please", "do you always deliver on mondays", "is the sale still on",
	}
	angry := []string{
		"this is the third time I'm calling, I want to cancel", "你们又把我的订单搞错了，我要投诉！",
		"I am furious, nobody has fixed this and I will sue", "网络老是断，太过分了，我要退款",
	}
	var labels []Label
	for _, s := range neutral {
		labels = append(labels, Label{Reading: m.Text(s), Category: Neutral})
	}
	for _, s := range angry {
		lv := Severe
		labels = append(labels, Label{Reading: m.Text(s), Category: Angry, Level: &lv})
	}
	// a stored line round-trips through JSON as store would keep it
	var buf strings.Builder
	for _, l := range labels {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteString("\n\n")
	}
	read, err := ReadLabels(strings.NewReader(buf.String()))
	if err != nil || len(read) != len(labels) {
		t.Fatalf("ReadLabels: %d labels, %v", len(read), err)
	}
	w, rep, err := m.Refit(read)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Labels != len(labels) || rep.AccuracyAfter < rep.AccuracyBefore || rep.LossAfter >= rep.LossBefore {
		t.Errorf("refit did not improve on its labels: %+v", rep)
	}
	// 16 labels: the refit also judges itself on folds it did not see; the "still"
	// lines share one cue, so what it learns from some must carry to the others.
	if h := rep.HeldOut; h == nil || h.Folds != 5 || h.AccuracyAfter <= h.AccuracyBefore {
		t.Errorf("held-out check = %+v, want 5 folds that improve", h)
	} else {
		t.Logf("held out: accuracy %.3f -> %.3f, loss %.3f -> %.3f", h.AccuracyBefore, h.AccuracyAfter, h.LossBefore, h.LossAfter)
	}
	if rep.LevelLabels != len(angry) {
		t.Errorf("level labels counted %d, want %d", rep.LevelLabels, len(angry))
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("refit produced invalid weights: %v", err)
	}
	m2, err := Default(WithFusion(w))
	if err != nil {
		t.Fatal(err)
	}
	if r := m2.Text(angry[0]); r.Category != Angry {
		t.Errorf("after refit a real complaint reads %v", r.Category)
	}
	// the model the weights came from is unchanged
	if got := m.Fusion(); got.Cue[CueRepeat] != DefaultFusion().Cue[CueRepeat] {
		t.Errorf("Refit modified the model's weights")
	}
}

// TestRefitMovesTheRightGain uses hand-made evidence: a cue that people keep
// overruling must lose weight, one they confirm must keep it.
func TestRefitMovesTheRightGain(t *testing.T) {
	m := defaultModel(t)
	flat := func() map[Category]float64 {
		return map[Category]float64{Neutral: 0.3, Satisfied: 0.15, Confused: 0.04, Anxious: 0.17, Sad: 0.17, Angry: 0.17}
	}
	var labels []Label
	for range 20 {
		labels = append(labels,
			Label{Reading: Reading{Evidence: &TextEvidence{Scores: flat(), Positive: 0.5, Cues: []Cue{{Kind: CueRepeat, Text: "still", Weight: 1.5}}}}, Category: Neutral},
			Label{Reading: Reading{Evidence: &TextEvidence{Scores: flat(), Positive: 0.5, Cues: []Cue{{Kind: CueThreat, Text: "投诉", Weight: 1.6}}}}, Category: Angry})
	}
	w, rep, err := m.Refit(labels)
	if err != nil {
		t.Fatal(err)
	}
	if w.Cue[CueRepeat] >= 0.8 || w.Cue[CueThreat] < 0.9 || rep.AccuracyAfter != 1 || rep.AccuracyBefore != 0.5 {
		t.Errorf("repeat gain %.2f, threat gain %.2f, report %+v", w.Cue[CueRepeat], w.Cue[CueThreat], rep)
	}
}

func TestRefitFromTextAndVoiceOnly(t *testing.T) {
	m := defaultModel(t)
	labels := []Label{
		{Text: "I don't understand", Category: Confused},
		{Acoustic: &Acoustic{Voiced: true, Arousal: 0.9, Confidence: 1, Scores: map[Category]float64{Angry: 0.7, Neutral: 0.3}}, Category: Angry},
	}
	if _, rep, err := m.Refit(labels); err != nil || rep.Labels != 2 {
		t.Errorf("refit on text-only and voice-only labels: %+v, %v", rep, err)
	}
	if _, _, err := m.Refit(nil); !errors.Is(err, ErrNoLabels) {
		t.Errorf("refit on nothing: %v", err)
	}
}

func TestReadLabelsRejects(t *testing.T) {
	for _, in := range []string{
		`{"category":"furious","text":"x"}`,
		`{"category":"angry"}`,
		`not json`,
		`{"category":"angry","text":"x"}` + "\n" + `{"category":`,
	} {
		if _, err := ReadLabels(strings.NewReader(in)); !errors.Is(err, ErrBadLabel) {
			t.Errorf("%q: err %v, want ErrBadLabel", in, err)
		}
	}
}

func TestFusionWeightsValidate(t *testing.T) {
	bad := []func(*FusionWeights){
		func(w *FusionWeights) { w.Text = -1 },
		func(w *FusionWeights) { w.Moderate = w.Severe + 0.1 },
		func(w *FusionWeights) { w.Cue[CueThreat] = 1e9 },
		func(w *FusionWeights) { w.VoiceArousal = 2 },
		func(w *FusionWeights) { w.ValenceCategory["zh"] = 1.5 },
		func(w *FusionWeights) { w.ValenceCategory[""] = math.NaN() },
		func(w *FusionWeights) { w.SatisfiedValence["zh"] = -0.5 },
		func(w *FusionWeights) { w.SatisfiedValence["en"] = math.Inf(1) },
	}
	for i, f := range bad {
		w := DefaultFusion()
		f(&w)
		if _, err := Default(WithFusion(w)); !errors.Is(err, ErrBadWeights) {
			t.Errorf("case %d: %v, want ErrBadWeights", i, err)
		}
	}
	if err := DefaultFusion().Validate(); err != nil {
		t.Errorf("default weights invalid: %v", err)
	}
}

// TestValenceShares checks the reading's valence per language: Chinese reviews
// follow the valence head, which learnt from customer reviews, and weights saved
// before the shares existed (no valence_category) read exactly like the defaults.
func TestValenceShares(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct {
		text     string
		positive bool
	}{
		{"送餐很快，味道也很好，下次还点", true},
		{"价格便宜，质量也不错", true},
		{"等了两个小时，饭都凉了，再也不点了", false},
		{"快递很快，但是质量一般", false}, // read positive (+0.20) when the categories had 0.7 of the say
		{"东西送到了，但是味道很一般", false},
		{"thank you so much, that was really helpful", true},
		{"i am so annoyed that my order is late again", false},
	} {
		if r := m.Text(c.text); (r.Valence > 0) != c.positive {
			t.Errorf("%q: valence %.3f, want positive %v", c.text, r.Valence, c.positive)
		}
	}
	mo := fusedModel(t, func(w *FusionWeights) { w.ValenceCategory = nil })
	for _, text := range []string{"送餐很快，味道也很好", "the order is late again", "bonjour"} {
		if a, b := m.Text(text).Valence, mo.Text(text).Valence; a != b {
			t.Errorf("%q: valence %v with the default shares, %v with none set", text, a, b)
		}
	}
}

// TestSatisfiedValence checks the valence head's push on the Chinese satisfied
// logit: complaints dressed in praise words no longer read satisfied, praise still
// does, English is untouched, and weights saved before the push existed (no
// satisfied_valence) read exactly like the defaults.
func TestSatisfiedValence(t *testing.T) {
	m := defaultModel(t)
	mOff := fusedModel(t, func(w *FusionWeights) { w.SatisfiedValence = map[string]float64{"zh": 0, "en": 0, "": 0} })
	for _, c := range []struct {
		text      string
		satisfied bool // with the push
		before    bool // without it
	}{
		{"包装很精美，可是里面的东西是坏的", false, false}, // since session 14 the "可是" alone reads it as its second half
		{"说好的半小时，结果等了一个半小时", false, true},
		{"好评是不可能的", false, true},
		{"送餐很快，味道也很好，下次还点", true, true},
		{"挺好的，谢谢", true, true},
		{"价格是便宜，质量太差了", false, false},
	} {
		got, was := m.Text(c.text), mOff.Text(c.text)
		if (got.Category == Satisfied) != c.satisfied || (was.Category == Satisfied) != c.before {
			t.Errorf("%q: %v with the push, %v without; want satisfied %v / %v", c.text, got.Category, was.Category, c.satisfied, c.before)
		}
	}
	for _, text := range []string{"thank you so much, that was really helpful", "the order is late again, this is useless"} {
		if a, b := m.Text(text), mOff.Text(text); a.Category != b.Category || a.Intensity != b.Intensity {
			t.Errorf("%q: %v/%.3f with the push, %v/%.3f without: English must not move", text, a.Category, a.Intensity, b.Category, b.Intensity)
		}
	}
	mo := fusedModel(t, func(w *FusionWeights) { w.SatisfiedValence = nil })
	for _, text := range []string{"包装很精美，可是里面的东西是坏的", "the order is late again", "bonjour"} {
		if a, b := m.Text(text), mo.Text(text); a.Category != b.Category || a.Intensity != b.Intensity {
			t.Errorf("%q: %v/%.3f with the default push, %v/%.3f with none set", text, a.Category, a.Intensity, b.Category, b.Intensity)
		}
	}
}

func FuzzReadLabels(f *testing.F) {
	f.Add(`{"category":"angry","text":"又坏了"}`)
	f.Add(`{"category":"neutral","reading":{"evidence":{"scores":{"angry":2},"positive":9,"cues":[{"kind":"threat","weight":1e308}]}}}`)
	m := defaultModel(f)
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := ReadLabels(strings.NewReader(s))
		if err != nil || len(ls) == 0 {
			return
		}
		for _, l := range ls {
			r := m.Fuse(l.Reading, Acoustic{})
			if r.Confidence < 0 || r.Confidence > 1 {
				t.Fatalf("confidence %v", r.Confidence)
			}
		}
	})
}
