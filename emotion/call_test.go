package emotion

import (
	"testing"

	"github.com/calmline/calmline/dsp"
)

// fakeVoice stands in for the acoustic model: it reads arousal from loudness
// relative to the first utterance, like a baseline-normalised listener would.
type fakeVoice struct{}

func (fakeVoice) NewListener() VoiceListener { return &fakeListener{} }

type fakeListener struct {
	base float64
	n    int
}

func (l *fakeListener) Listen(f dsp.Features) Acoustic {
	if f.VoicedS < 0.3 {
		return Acoustic{}
	}
	l.n++
	if l.n == 1 {
		l.base = f.LoudMeanDB
	}
	up := f.LoudMeanDB - l.base
	a := clamp(0.2+up/10, 0, 1)
	return Acoustic{Voiced: true, Arousal: a, Confidence: 0.8,
		Scores: map[Category]float64{Angry: a * 0.8, Neutral: 1 - a, Anxious: a * 0.2},
		Cues:   []Cue{{Kind: CueAcoustic, Text: "louder than your baseline", Weight: up / 10}}}
}

func voiced(loud float64) *dsp.Features {
	return &dsp.Features{DurationS: 2, VoicedS: 1.2, LoudMeanDB: loud, PitchMeanHz: 180}
}

func TestCallEscalatesAndRemembers(t *testing.T) {
	m, err := Default(WithVoice(fakeVoice{}))
	if err != nil {
		t.Fatal(err)
	}
	c := m.NewCall()
	turns := []struct {
		text string
		f    *dsp.Features
	}{
		{"my internet has been down since yesterday", voiced(-30)},
		{"the internet has been down since yesterday, I told you", voiced(-26)},
		{"this is the third time, my internet is still down since yesterday!!", voiced(-22)},
		{"I want to cancel and I will file a complaint", voiced(-18)},
	}
	var rs []Reading
	for _, tt := range turns {
		rs = append(rs, c.Turn(tt.text, tt.f))
	}
	if cueOfKind(rs[1].Cues, CueRepeatSelf) == nil {
		t.Errorf("turn 2 repeats turn 1 but no repeat_self cue: %v", rs[1].Cues)
	}
	if cueOfKind(rs[1].Cues, CueAcoustic) == nil {
		t.Errorf("voiced turn without the voice's cue: %v", rs[1].Cues)
	}
	tr := c.Trajectory()
	if tr.Turns != 4 || len(tr.History) != 4 || tr.Current.Category != rs[3].Category {
		t.Fatalf("trajectory bookkeeping: %+v", tr)
	}
	if tr.To != Angry || tr.Smoothed < Moderate || tr.Peak < Moderate {
		t.Errorf("an escalating caller: to %v smoothed %v peak %v", tr.To, tr.Smoothed, tr.Peak)
	}
	if tr.Trend != Rising || tr.RisingTurns < 2 {
		t.Errorf("trend %v rising turns %d, want rising over >= 2 turns (intensities %v %v %v %v)",
			tr.Trend, tr.RisingTurns, rs[0].Intensity, rs[1].Intensity, rs[2].Intensity, rs[3].Intensity)
	}
	calm := m.NewCall()
	calm.Turn("I'd like to check my balance please", voiced(-30))
	ct := calm.Trajectory()
	if tr.EscalationRisk <= ct.EscalationRisk || tr.EscalationRisk < 0.5 || ct.EscalationRisk > 0.3 {
		t.Errorf("escalation risk: escalating %.3f vs calm %.3f", tr.EscalationRisk, ct.EscalationRisk)
	}
	// each call has its own memory: the calm call did not inherit repetition
	if r := calm.Turn("my internet has been down since yesterday", nil); cueOfKind(r.Cues, CueRepeatSelf) != nil {
		t.Errorf("repetition memory leaked across calls: %v", r.Cues)
	}
}

func TestCallWithoutTranscript(t *testing.T) {
	m, err := Default(WithVoice(fakeVoice{}))
	if err != nil {
		t.Fatal(err)
	}
	c := m.NewCall()
	c.Turn("", voiced(-30)) // baseline
	r := c.Turn("", voiced(-20))
	if r.Lang != "" || r.Evidence != nil {
		t.Errorf("no transcript but text evidence: %+v", r)
	}
	if r.Arousal < 0.9 || r.Category != Angry || r.Level < Mild {
		t.Errorf("loud voice alone: %v/%v arousal %.2f scores %v", r.Category, r.Level, r.Arousal, r.Scores)
	}
	quiet := c.Turn("", voiced(-30))
	if quiet.Arousal >= r.Arousal {
		t.Errorf("baseline voice arousal %.2f not below loud %.2f", quiet.Arousal, r.Arousal)
	}
	// nothing at all: still a reading, neutral, and it counts as a turn
	n := c.Turn("", nil)
	if n.Category != Neutral || n.Level != Calm || len(n.Scores) != len(Categories) {
		t.Errorf("empty turn: %+v", n)
	}
	if c.Trajectory().Turns != 4 {
		t.Errorf("turns = %d, want 4", c.Trajectory().Turns)
	}
	// text but unvoiced audio (too short): the text decides alone
	u := c.Turn("what do you mean, I don't understand", &dsp.Features{VoicedS: 0.1})
	if u.Category != Confused {
		t.Errorf("unvoiced audio + confused text: %v", u.Category)
	}
}

func TestCallWithoutVoiceModel(t *testing.T) {
	m := defaultModel(t)
	c := m.NewCall()
	r := c.Turn("", voiced(-10))
	if r.Category != Neutral || r.Confidence > 0.2 {
		t.Errorf("features without a voice model must not invent a reading: %+v", r)
	}
	if got := c.Turn("我又没收到货", nil); got.Category != m.Text("我又没收到货").Category {
		t.Errorf("Turn and Text disagree on a first turn")
	}
}

func TestTrajectorySwitch(t *testing.T) {
	m := defaultModel(t)
	c := m.NewCall()
	if tr := c.Trajectory(); tr.Turns != 0 || tr.Switched {
		t.Errorf("empty trajectory: %+v", tr)
	}
	c.Turn("你们又把我的订单搞错了，我要投诉！", nil)
	c.Turn("我不明白你说的是什么意思", nil)
	tr := c.Trajectory()
	if tr.From != Angry || tr.To != Confused || !tr.Switched {
		t.Errorf("angry -> confused: from %v to %v switched %v", tr.From, tr.To, tr.Switched)
	}
}

func TestCallHistoryBounded(t *testing.T) {
	m := defaultModel(t)
	c := m.NewCall()
	for range maxHistory + 20 {
		c.Turn("hello", nil)
	}
	if tr := c.Trajectory(); tr.Turns != maxHistory || len(tr.History) != maxHistory {
		t.Errorf("history not bounded: turns %d, history %d", tr.Turns, len(tr.History))
	}
}

func TestFuseMatchesTurn(t *testing.T) {
	m, err := Default(WithVoice(fakeVoice{}))
	if err != nil {
		t.Fatal(err)
	}
	l := fakeVoice{}.NewListener()
	l.Listen(*voiced(-30))
	a := l.Listen(*voiced(-22))
	txt := m.Text("why is my bill so high")
	f := m.Fuse(txt, a)
	if f.Arousal <= txt.Arousal || f.Scores[Angry] <= txt.Scores[Angry] {
		t.Errorf("a loud voice should raise arousal and anger: text %.2f/%.2f fused %.2f/%.2f",
			txt.Arousal, txt.Scores[Angry], f.Arousal, f.Scores[Angry])
	}
	if same := m.Fuse(txt, Acoustic{}); same.Category != txt.Category || same.Scores[Angry] != txt.Scores[Angry] {
		t.Errorf("an unvoiced acoustic changed the text reading")
	}
}

// TestCallThanksTwiceIsNoRepetition: a caller who thanks in two turns is not
// repeating a complaint, and must not raise the call's escalation risk; a problem
// said again still is a repetition.
func TestCallThanksTwiceIsNoRepetition(t *testing.T) {
	m := defaultModel(t)
	for _, tc := range []struct {
		turns  []string
		repeat bool
	}{
		{[]string{"Great, thanks a lot.", "Thanks a lot, great."}, false},
		{[]string{"It works now, thank you so much.", "Thank you so much, it works now."}, false},
		{[]string{"谢谢你，太好了", "太好了，谢谢你"}, false},
		{[]string{"my internet has been down since yesterday", "thanks, but my internet has been down since yesterday"}, true},
	} {
		c := m.NewCall()
		var r Reading
		for _, s := range tc.turns {
			r = c.Turn(s, nil)
		}
		if got := cueOfKind(r.Cues, CueRepeatSelf) != nil; got != tc.repeat {
			t.Errorf("%q: repeat_self %v, want %v (%v)", tc.turns, got, tc.repeat, r.Cues)
		}
	}
}
