package emotion

import (
	"bufio"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// callLine is one line of testdata/calls.tsv: a call-like support utterance with
// the level and category a support supervisor would give it.
type callLine struct {
	level Level
	cat   Category
	text  string
	tune  bool // even data lines are for tuning, odd ones for testing
}

func loadCalls(t testing.TB) []callLine {
	t.Helper()
	f, err := os.Open("testdata/calls.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []callLine
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("calls.tsv: %q: want level<TAB>category<TAB>text", line)
		}
		lv, err := ParseLevel(parts[0])
		if err != nil {
			t.Fatalf("calls.tsv: %q: %v", line, err)
		}
		c, err := ParseCategory(parts[1])
		if err != nil {
			t.Fatalf("calls.tsv: %q: %v", line, err)
		}
		out = append(out, callLine{level: lv, cat: c, text: parts[2], tune: n%2 == 0})
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// callAgreement is how far the text reading agrees with the supervisor's labels.
type callAgreement struct {
	n, level, near, cat int
	misses              []string
}

func (a callAgreement) String() string {
	return fmt.Sprintf("%d lines: level exact %.1f%%, within one %.1f%%, category %.1f%%", a.n,
		pct(a.level, a.n), pct(a.near, a.n), pct(a.cat, a.n))
}

func pct(k, n int) float64 { return 100 * float64(k) / float64(max(n, 1)) }

func agreement(m *Model, lines []callLine) callAgreement {
	var a callAgreement
	for _, l := range lines {
		r := m.Text(l.text)
		a.n++
		d := int(r.Level) - int(l.level)
		if d == 0 {
			a.level++
		}
		if d >= -1 && d <= 1 {
			a.near++
		}
		if r.Category == l.cat {
			a.cat++
		}
		if d != 0 || r.Category != l.cat {
			a.misses = append(a.misses, fmt.Sprintf("%v/%v want %v/%v %q %.2f %v", r.Category, r.Level, l.cat, l.level, l.text, r.Intensity, r.Cues))
		}
	}
	return a
}

func splitCalls(lines []callLine, tune bool) []callLine {
	var out []callLine
	for _, l := range lines {
		if l.tune == tune {
			out = append(out, l)
		}
	}
	return out
}

// TestCallFixtureAgreement checks the text reading against the call-like fixture.
// The weights were tuned on the tune half only; the thresholds below hold on the
// test half, which no weight was chosen on.
func TestCallFixtureAgreement(t *testing.T) {
	m := defaultModel(t)
	lines := loadCalls(t)
	for _, half := range []struct {
		name             string
		tune             bool
		level, near, cat float64
	}{
		{"tune", true, 75, 95, 80},
		{"test", false, 65, 95, 80},
	} {
		a := agreement(m, splitCalls(lines, half.tune))
		t.Logf("%s half: %v", half.name, a)
		if testing.Verbose() && half.tune && os.Getenv("CALLS_MISSES") != "" {
			for _, s := range a.misses {
				t.Log("  ", s)
			}
		}
		if pct(a.level, a.n) < half.level || pct(a.near, a.n) < half.near || pct(a.cat, a.n) < half.cat {
			t.Errorf("%s half: %v; want level >= %.0f%%, within one >= %.0f%%, category >= %.0f%%", half.name, a, half.level, half.near, half.cat)
		}
	}
}

// TestTuneCalls re-fits the level calibration (fusion level weights and
// thresholds, cue gains, category biases, per-language priors) on the TUNE half
// of testdata/calls.tsv by coordinate descent, and prints the result to paste into
// DefaultFusion and defaultPrior. It never reads the test half's readings while
// fitting; it only reports them at the end. Run: CALLS_TUNE=1 go test ./emotion -run TuneCalls -v
//
// CALLS_TUNE=levels re-fits only what sets the level (level weights, thresholds,
// each cue's level effect) and keeps everything that sets the category: use it
// after a change to the category side that was chosen on the text data sets, so a
// fit to 108 lines cannot trade their categories away.
func TestTuneCalls(t *testing.T) {
	mode := os.Getenv("CALLS_TUNE")
	if mode == "" {
		t.Skip("set CALLS_TUNE=1 (or =levels) to re-fit the call calibration")
	}
	levelsOnly := mode == "levels"
	m := defaultModel(t)
	lines := loadCalls(t)
	tune, test := splitCalls(lines, true), splitCalls(lines, false)
	var levels map[string]*float64
	var fitLines []callLine
	score := func() float64 {
		for k, p := range levels {
			e := cueEffects[k]
			e.level = *p
			cueEffects[k] = e
		}
		if m.fusion.Validate() != nil {
			return -1
		}
		a := agreement(m, fitLines)
		return float64(a.level) + 0.5*float64(a.near) + float64(a.cat)
	}
	type param struct {
		name  string
		p     *float64
		steps []float64 // additive candidates
	}
	var ps []param
	add := []float64{-0.4, -0.2, -0.1, 0.1, 0.2, 0.4}
	small := []float64{-0.2, -0.1, -0.05, -0.02, 0.02, 0.05, 0.1, 0.2}
	if !levelsOnly {
		ps = append(ps, param{"text", &m.fusion.Text, small})
	}
	ps = append(ps, param{"level_base", &m.fusion.LevelBase, small}, param{"level_arousal", &m.fusion.LevelArousal, small},
		param{"mild", &m.fusion.Mild, small}, param{"moderate", &m.fusion.Moderate, small}, param{"severe", &m.fusion.Severe, small})
	for _, k := range cueKinds() {
		if k == CueRepeatSelf || levelsOnly {
			continue // repeat_self needs several turns (the fixture has single utterances); gains set categories
		}
		g := m.fusion.Cue[k]
		m.fusion.Cue[k] = g
		ps = append(ps, param{"cue." + k, nil, add})
	}
	// the per-kind level effects live in cueEffects (package data): tune a copy and
	// restore the original when the test ends
	saved := maps.Clone(cueEffects)
	t.Cleanup(func() { cueEffects = saved })
	cueEffects = maps.Clone(saved)
	levels = map[string]*float64{}
	for _, k := range cueKinds() {
		if k == CueRepeatSelf {
			continue
		}
		e := cueEffects[k]
		lv := e.level
		levels[k] = &lv
		ps = append(ps, param{"level." + k, &lv, small})
	}
	for _, c := range Categories {
		if c != Neutral && !levelsOnly {
			ps = append(ps, param{"bias." + c.String(), nil, add})
		}
	}
	for k := 1; k < len(m.prior.zh) && !levelsOnly; k++ {
		ps = append(ps, param{fmt.Sprintf("zh[%d]", k), &m.prior.zh[k], add}, param{fmt.Sprintf("en[%d]", k), &m.prior.en[k], add})
	}
	value := func(p param) float64 {
		switch {
		case p.p != nil:
			return *p.p
		case strings.HasPrefix(p.name, "cue."):
			return m.fusion.Cue[strings.TrimPrefix(p.name, "cue.")]
		}
		c, _ := ParseCategory(strings.TrimPrefix(p.name, "bias."))
		return m.fusion.Bias[c]
	}
	set := func(p param, v float64) {
		switch {
		case p.p != nil:
			*p.p = v
		case strings.HasPrefix(p.name, "cue."):
			m.fusion.Cue[strings.TrimPrefix(p.name, "cue.")] = math.Max(v, 0.3)
		default:
			c, _ := ParseCategory(strings.TrimPrefix(p.name, "bias."))
			m.fusion.Bias[c] = v
		}
	}
	// a penalty on moving away from the hand-set start keeps the fit from chasing
	// single lines: a change of one largest step costs half a point
	start := make([]float64, len(ps))
	for i, p := range ps {
		start[i] = value(p)
	}
	var lambda float64
	raw := score
	score = func() float64 {
		s := raw()
		for i, p := range ps {
			s -= lambda * math.Abs(value(p)-start[i]) / p.steps[len(p.steps)-1]
		}
		return s
	}
	fit := func(lines []callLine, lam float64) {
		fitLines, lambda = lines, lam
		for i, p := range ps {
			set(p, start[i])
		}
		best := score()
		t.Logf("start: tune score %.1f", best)
		// coordinate descent, then a random walk over 1-3 parameters at a time that
		// accepts ties (the score is a count: plateaus are everywhere)
		for pass := 0; pass < 8; pass++ {
			improved := false
			for _, p := range ps {
				cur := value(p)
				bestV := cur
				for _, d := range p.steps {
					set(p, cur+d)
					if s := score(); s > best+1e-9 {
						best, bestV, improved = s, cur+d, true
					}
				}
				set(p, bestV)
			}
			t.Logf("pass %d: tune score %.1f", pass, best)
			if !improved {
				break
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for it := 0; it < 3000; it++ {
			k := 1 + rng.IntN(3)
			idx := make([]int, k)
			old := make([]float64, k)
			for j := range idx {
				idx[j] = rng.IntN(len(ps))
				old[j] = value(ps[idx[j]])
				st := ps[idx[j]].steps
				set(ps[idx[j]], old[j]+st[rng.IntN(len(st))]/2)
			}
			if s := score(); s >= best {
				best = s
				continue
			}
			for j := k - 1; j >= 0; j-- {
				set(ps[idx[j]], old[j])
			}
		}
		t.Logf("random walk: tune score %.1f", best)
	}
	// lambda by 2-fold cross-validation inside the tune half
	var inA, inB []callLine
	for i, l := range tune {
		if i%2 == 0 {
			inA = append(inA, l)
		} else {
			inB = append(inB, l)
		}
	}
	bestLam, bestCV := 0.0, -1.0
	for _, lam := range []float64{0.05, 0.1, 0.25, 0.5} {
		var cv float64
		for _, f := range [][2][]callLine{{inA, inB}, {inB, inA}} {
			fit(f[0], lam)
			fitLines, lambda = f[1], 0
			cv += raw()
		}
		t.Logf("lambda %.2f: inner CV score %.1f", lam, cv)
		if cv > bestCV {
			bestLam, bestCV = lam, cv
		}
	}
	fit(tune, bestLam)
	t.Logf("chosen lambda %.2f", bestLam)
	w := m.fusion
	t.Logf("fusion: text %.2f level_base %.2f level_arousal %.2f mild %.2f moderate %.2f severe %.2f", w.Text, w.LevelBase, w.LevelArousal, w.Mild, w.Moderate, w.Severe)
	t.Logf("cue gains: %v", w.Cue)
	t.Logf("bias: %v", w.Bias)
	t.Logf("zh prior %v, en prior %v", m.prior.zh, m.prior.en)
	for _, k := range cueKinds() {
		if p := levels[k]; p != nil {
			t.Logf("cue level %s: %.2f", k, *p)
		}
	}
	t.Logf("tune half: %v", agreement(m, tune))
	t.Logf("test half: %v", agreement(m, test))
}

// TestCallLevels pins the readings the support flow depends on: a short complaint
// must not send an ordinary caller down the emergency path, and a real threat must.
func TestCallLevels(t *testing.T) {
	m := defaultModel(t)
	tests := []struct {
		text     string
		cats     []Category // any of these
		min, max Level
		cue      string // a kind that must fire, or ""
	}{
		{"网页一直打不开", []Category{Angry, Neutral}, Mild, Moderate, CueRepeat}, // reads mild
		{"我要退款", []Category{Neutral}, Calm, Mild, ""},
		{"I want a refund", []Category{Neutral}, Calm, Mild, ""},
		{"这个问题已经第三次出现了，你们到底有没有解决方案？", []Category{Angry}, Moderate, Severe, CueRepeat},
		{"I want to cancel and I'm calling my lawyer!!!", []Category{Angry}, Severe, Severe, CueThreat},
		// a repeated problem with no threat or shouting is a handoff, not the emergency path
		{"说了多少次了，还是没有解决", []Category{Angry}, Moderate, Moderate, CueRepeat},
		{"我还是没收到退款", []Category{Angry}, Moderate, Moderate, CueRepeat},
		{"I still haven't received my refund", []Category{Angry}, Moderate, Moderate, CueRepeat},
		{"The app keeps crashing and I've called five times, I'm filing a complaint", []Category{Angry}, Severe, Severe, CueThreat},
		{"我要打12315投诉你们！！！", []Category{Angry}, Severe, Severe, CueThreat},
		{"怎么还没发货", []Category{Angry}, Mild, Mild, ""},
		{"我想改一下收货地址", []Category{Neutral}, Calm, Calm, ""},
		{"How do I reset my password?", []Category{Neutral}, Calm, Calm, ""},
		{"What do you mean by pending?", []Category{Confused}, Calm, Mild, CueConfusion},
		{"谢谢，问题解决了", []Category{Satisfied}, Calm, Calm, CueThanks},
	}
	for _, tt := range tests {
		r := m.Text(tt.text)
		if !slices.Contains(tt.cats, r.Category) || r.Level < tt.min || r.Level > tt.max {
			t.Errorf("%q: %v/%v (intensity %.2f, cues %v); want %v, %v..%v", tt.text, r.Category, r.Level, r.Intensity, r.Cues, tt.cats, tt.min, tt.max)
		}
		if tt.cue != "" && cueOfKind(r.Cues, tt.cue) == nil {
			t.Errorf("%q: no %s cue in %v", tt.text, tt.cue, r.Cues)
		}
	}
}

func TestLangPriorApply(t *testing.T) {
	l := langPrior{zh: [5]float64{0, 0, 0, 0, -0.4}, en: [5]float64{0, 0, 0, 0, 0.3}}
	for _, tt := range []struct {
		lang string
		want int // sign of the change of the angry probability
	}{{"zh", -1}, {"en", 1}, {"", 0}} {
		p := [5]float64{0.2, 0.2, 0.2, 0.2, 0.2}
		l.apply(tt.lang, &p)
		var sum float64
		for _, x := range p {
			sum += x
		}
		d := p[4] - 0.2
		if sum < 0.999 || sum > 1.001 || (tt.want < 0) != (d < -1e-9) || (tt.want > 0) != (d > 1e-9) {
			t.Errorf("%q: %v (sum %.3f)", tt.lang, p, sum)
		}
	}
}

// TestVoiceLiftsLevel checks that the text calibration (the model alone reads
// mild at most) leaves the voice able to raise the level: a loud, angry voice
// under a plain complaint reads at least moderate, a calm voice does not.
func TestVoiceLiftsLevel(t *testing.T) {
	m := defaultModel(t)
	txt := m.Text("怎么还没发货")
	loud := Acoustic{Voiced: true, Arousal: 0.95, Confidence: 0.9,
		Scores: map[Category]float64{Angry: 0.7, Anxious: 0.1, Neutral: 0.1, Sad: 0.1}}
	calm := Acoustic{Voiced: true, Arousal: 0.1, Confidence: 0.9,
		Scores: map[Category]float64{Neutral: 0.7, Sad: 0.1, Angry: 0.1, Satisfied: 0.1}}
	if r := m.Fuse(txt, loud); r.Level < Moderate || r.Category != Angry {
		t.Errorf("complaint + loud angry voice: %v/%v (intensity %.2f)", r.Category, r.Level, r.Intensity)
	}
	if r := m.Fuse(txt, calm); r.Level > Mild {
		t.Errorf("complaint + calm voice: %v/%v (intensity %.2f)", r.Category, r.Level, r.Intensity)
	}
	if r := m.Fuse(Reading{}, loud); r.Level < Moderate {
		t.Errorf("loud angry voice alone: %v/%v (intensity %.2f)", r.Category, r.Level, r.Intensity)
	}
}
