package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/emotion/internal/prob"
)

// Baseline schemes: how the held-out speaker's reference is formed at test time.
// Only "all" sees the test speaker's whole emotional range, so it is optimistic; the
// others use what a live call has, a few utterances, and never score those.
const (
	schemeAll     = "all"     // mean of all the speaker's clips (optimistic)
	schemeNeutral = "neutral" // 3 random neutral clips of the speaker, not scored
	schemeRandom  = "random"  // 5 random clips of any emotion, not scored
	schemeNone    = "none"    // no baseline: each clip is its own reference (first utterance)
)

var schemes = []string{schemeAll, schemeNeutral, schemeRandom, schemeNone}

// baselineOf folds the clips into a baseline.
func baselineOf(cs []clip) *emotion.VoiceBaseline {
	b := &emotion.VoiceBaseline{}
	for _, c := range cs {
		b.Add(c.F)
	}
	return b
}

// testBaseline builds the reference for one speaker's clips under a scheme and says
// which clips are scored.
func testBaseline(cs []clip, scheme string, rng *rand.Rand) (*emotion.VoiceBaseline, []clip) {
	switch scheme {
	case schemeNone:
		return &emotion.VoiceBaseline{}, cs
	case schemeNeutral, schemeRandom:
		k := 5
		pool := cs
		if scheme == schemeNeutral {
			k = 3
			pool = nil
			for _, c := range cs {
				if classNames[c.Class] == "neutral" {
					pool = append(pool, c)
				}
			}
		}
		idx := rng.Perm(len(pool))
		if k > len(idx) {
			k = len(idx)
		}
		ref := make([]clip, 0, k)
		used := map[string]bool{}
		for _, i := range idx[:k] {
			ref = append(ref, pool[i])
			used[pool[i].File] = true
		}
		var scored []clip
		for _, c := range cs {
			if !used[c.File] {
				scored = append(scored, c)
			}
		}
		return baselineOf(ref), scored
	}
	return baselineOf(cs), cs // schemeAll
}

// trainExamples pairs each training clip with a baseline of its speaker: "all" uses
// the speaker's mean; "random" draws several 5-clip baselines per speaker (as a live
// call would have), which also multiplies the examples; "neutral" uses 3 neutral
// clips; "mixed" alternates random and neutral draws.
func trainExamples(bySpk map[string][]clip, mode string, rng *rand.Rand) []emotion.VoiceExample {
	var ex []emotion.VoiceExample
	for _, spk := range sortedKeys(bySpk) {
		// A speaker's training copies (phone band, other speeds) get baselines of
		// their own: a caller's baseline comes from the same line and voice as
		// their turns.
		groups := map[string][]clip{}
		for _, c := range bySpk[spk] {
			groups[c.Copy] = append(groups[c.Copy], c)
		}
		for _, k := range sortedKeys(groups) {
			ex = appendExamples(ex, groups[k], mode, rng)
		}
	}
	return ex
}

// appendExamples adds one speaker's (one channel's) training examples under mode.
func appendExamples(ex []emotion.VoiceExample, cs []clip, mode string, rng *rand.Rand) []emotion.VoiceExample {
	switch mode {
	case "random":
		for d := 0; d < 4; d++ {
			b, _ := testBaseline(cs, schemeRandom, rng)
			for _, c := range cs {
				ex = append(ex, emotion.VoiceExample{Features: c.F, Baseline: b, Class: c.Class})
			}
		}
	case "neutral":
		b, _ := testBaseline(cs, schemeNeutral, rng)
		for _, c := range cs {
			ex = append(ex, emotion.VoiceExample{Features: c.F, Baseline: b, Class: c.Class})
		}
	case "mixed":
		// Half the draws from calm starts, half from any start: a live caller may
		// open calmly or already upset.
		for d := 0; d < 4; d++ {
			s := schemeRandom
			if d%2 == 1 {
				s = schemeNeutral
			}
			b, _ := testBaseline(cs, s, rng)
			for _, c := range cs {
				ex = append(ex, emotion.VoiceExample{Features: c.F, Baseline: b, Class: c.Class})
			}
		}
	default:
		b := baselineOf(cs)
		for _, c := range cs {
			ex = append(ex, emotion.VoiceExample{Features: c.F, Baseline: b, Class: c.Class})
		}
	}
	return ex
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// outcome is one scored prediction.
type outcome struct {
	class   int
	logits  emotion.VoiceLogits
	pred    int
	arousal float64
}

// evalResult holds the out-of-speaker outcomes of one scheme.
type evalResult struct {
	scheme string
	outs   []outcome
	live   []liveOutcome // only for the live-listener run
}

// liveOutcome is one utterance judged by the shipped runtime path: a fresh
// VoiceListener fed the held-out speaker's clips in a random order.
type liveOutcome struct {
	class   int
	turn    int // 0-based position in the call
	voiced  bool
	cat     emotion.Category
	class7  string // the model's own class (one of classNames), as `calmline analyze` prints it
	arousal float64
}

// loso runs leave-one-speaker-out: train on six speakers, score the seventh under
// every scheme (random schemes repeated reps times), at most workers folds at a time.
func loso(bySpk map[string][]clip, cfg emotion.VoiceTrainConfig, trainMode string, reps int, seed uint64, workers int) (map[string]*evalResult, error) {
	return eachFold(bySpk, workers, func(fold int, test string, train map[string][]clip, res map[string]*evalResult) error {
		return scoreFold(res, train, bySpk[test], cfg, trainMode, reps, seed, fold)
	})
}

// newResults returns an empty result per scheme and for the live listener.
func newResults() map[string]*evalResult {
	res := map[string]*evalResult{"live": {scheme: "live"}}
	for _, s := range schemes {
		res[s] = &evalResult{scheme: s}
	}
	return res
}

// eachFold calls fn once per held-out speaker (fold numbers in speaker order), at
// most workers at a time, each with the other speakers to train on and results of
// its own. It merges them in fold order: every fold draws from its own seeded
// random source, so the report is the same, digit for digit, whatever the number of
// workers and whichever fold finishes first. A fold's error is returned with the
// speaker's name; the first in fold order wins.
func eachFold(bySpk map[string][]clip, workers int, fn func(fold int, test string, train map[string][]clip, res map[string]*evalResult) error) (map[string]*evalResult, error) {
	keys := sortedKeys(bySpk)
	parts := make([]map[string]*evalResult, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, workers))
	for fold, test := range keys {
		train := map[string][]clip{}
		for spk, cs := range bySpk {
			if spk != test {
				train[spk] = cs
			}
		}
		parts[fold] = newResults()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[fold] = fn(fold, test, train, parts[fold])
		}()
	}
	wg.Wait()
	res := newResults()
	for fold, part := range parts {
		if errs[fold] != nil {
			return nil, fmt.Errorf("fold %s: %w", keys[fold], errs[fold])
		}
		for s, r := range part {
			res[s].outs = append(res[s].outs, r.outs...)
			res[s].live = append(res[s].live, r.live...)
		}
	}
	return res, nil
}

// scoreFold trains on the train speakers and appends the held-out speaker's outcomes
// under every scheme and through a live listener to res.
func scoreFold(res map[string]*evalResult, train map[string][]clip, test []clip, cfg emotion.VoiceTrainConfig, trainMode string, reps int, seed uint64, fold int) error {
	rng := rand.New(rand.NewPCG(seed, uint64(fold)))
	test = testView(test)
	m, err := emotion.TrainVoice(trainExamples(train, trainMode, rng), cfg)
	if err != nil {
		return err
	}
	for _, s := range schemes {
		n := 1
		if s == schemeNeutral || s == schemeRandom {
			n = reps
		}
		for r := 0; r < n; r++ {
			b, scored := testBaseline(test, s, rng)
			for _, c := range scored {
				l := m.Logits(c.F, b)
				p := m.Predict(c.F, b)
				res[s].outs = append(res[s].outs, outcome{class: c.Class, logits: l, pred: argmax(p.Class), arousal: p.Arousal})
			}
		}
	}
	for r := 0; r < reps; r++ {
		l := m.NewListener()
		for turn, i := range rng.Perm(len(test)) {
			a := l.Listen(test[i].F)
			o := liveOutcome{class: test[i].Class, turn: turn, voiced: a.Voiced, arousal: a.Arousal, class7: a.Class}
			best := -1.0
			for _, c := range emotion.Categories {
				if a.Scores[c] > best {
					o.cat, best = c, a.Scores[c]
				}
			}
			res["live"].live = append(res["live"].live, o)
		}
	}
	return nil
}

func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// metrics are the figures the issue asks for.
type metrics struct {
	n                 int
	acc, uar          float64
	catAcc            float64 // accuracy after mapping to calmline categories
	arousalAcc        float64 // high vs low, disgust excluded, from the arousal head
	arousalFromClass  float64 // the same from summed class probabilities' argmax side
	angerF1           float64
	logLoss, arousECE float64
	confusion         [][]int
}

func computeMetrics(outs []outcome, temperature, a, b float64) metrics {
	k := len(classNames)
	m := metrics{n: len(outs), confusion: make([][]int, k)}
	for i := range m.confusion {
		m.confusion[i] = make([]int, k)
	}
	var correct, catCorrect, arN, arOK, arClsOK int
	tp, fp, fn := 0, 0, 0
	anger := classIndex("anger")
	const bins = 10
	var binN, binP, binY [bins]float64
	for _, o := range outs {
		m.confusion[o.class][o.pred]++
		if o.pred == o.class {
			correct++
		}
		if classCats[o.pred] == classCats[o.class] {
			catCorrect++
		}
		if inArousalMetric[o.class] {
			arN++
			if (o.arousal >= 0.5) == classHigh[o.class] {
				arOK++
			}
			if classHigh[o.pred] == classHigh[o.class] {
				arClsOK++
			}
		}
		switch {
		case o.pred == anger && o.class == anger:
			tp++
		case o.pred == anger:
			fp++
		case o.class == anger:
			fn++
		}
		p := make([]float64, k)
		for i, z := range o.logits.Class {
			p[i] = z / temperature
		}
		prob.Softmax(p, p)
		m.logLoss -= math.Log(math.Max(p[o.class], 1e-12))
		pa := emotion.VoiceArousal(prob.Sigmoid(a*o.logits.Arousal+b), p, classHigh)
		if inArousalMetric[o.class] {
			bi := min(bins-1, int(pa*bins))
			binN[bi]++
			binP[bi] += pa
			if classHigh[o.class] {
				binY[bi]++
			}
		}
	}
	n := float64(len(outs))
	m.acc = float64(correct) / n
	m.catAcc = float64(catCorrect) / n
	m.logLoss /= n
	m.arousalAcc = float64(arOK) / float64(arN)
	m.arousalFromClass = float64(arClsOK) / float64(arN)
	if tp > 0 {
		m.angerF1 = 2 * float64(tp) / float64(2*tp+fp+fn)
	}
	for c := 0; c < k; c++ {
		row := 0
		for _, v := range m.confusion[c] {
			row += v
		}
		if row > 0 {
			m.uar += float64(m.confusion[c][c]) / float64(row) / float64(k)
		}
	}
	for i := 0; i < bins; i++ {
		if binN[i] > 0 {
			m.arousECE += math.Abs(binP[i]-binY[i]) / float64(arN)
		}
	}
	return m
}

func printMetrics(w io.Writer, scheme string, m metrics) {
	fmt.Fprintf(w, "| %-8s | %4d | %5.1f%% | %5.1f%% | %5.1f%% | %5.1f%% | %5.1f%% | %.3f | %.3f | %.3f |\n",
		scheme, m.n, 100*m.acc, 100*m.uar, 100*m.catAcc, 100*m.arousalAcc, 100*m.arousalFromClass, m.angerF1, m.logLoss, m.arousECE)
}

func printConfusion(w io.Writer, m metrics) {
	short := make([]string, len(classNames))
	for i, n := range classNames {
		short[i] = n[:4]
	}
	fmt.Fprintf(w, "%-10s %s   (rows true, columns predicted)\n", "", strings.Join(short, " "))
	for i, row := range m.confusion {
		fmt.Fprintf(w, "%-10s", classNames[i])
		for _, v := range row {
			fmt.Fprintf(w, " %4d", v)
		}
		fmt.Fprintln(w)
	}
}

// printLive reports the runtime path: category accuracy (calmline categories),
// arousal accuracy (disgust excluded) and "angry" F1, for turns from `from` on,
// and the same turns' 7-class accuracy and anger F1 (the measures, taken
// on the path a call and `calmline analyze --one-caller` use).
func printLive(w io.Writer, outs []liveOutcome, from int) {
	var n, catOK, arN, arOK, unvoiced, tp, fp, fn int
	var c7OK, tp7, fp7, fn7 int
	for _, o := range outs {
		if o.turn < from {
			continue
		}
		if !o.voiced {
			unvoiced++
			continue
		}
		n++
		want := classCats[o.class]
		if o.cat == want {
			catOK++
		}
		if inArousalMetric[o.class] {
			arN++
			if (o.arousal >= 0.5) == classHigh[o.class] {
				arOK++
			}
		}
		truth := classNames[o.class]
		if o.class7 == truth {
			c7OK++
		}
		switch {
		case o.class7 == "anger" && truth == "anger":
			tp7++
		case o.class7 == "anger":
			fp7++
		case truth == "anger":
			fn7++
		}
		switch {
		case o.cat == emotion.Angry && want == emotion.Angry:
			tp++
		case o.cat == emotion.Angry:
			fp++
		case want == emotion.Angry:
			fn++
		}
	}
	fmt.Fprintf(w, "| turns >= %d | %4d | %5.1f%% | %5.1f%% | %.3f | %5.1f%% | %.3f | %d |\n", from+1, n,
		100*float64(catOK)/float64(max(n, 1)), 100*float64(arOK)/float64(max(arN, 1)), f1Score(tp, fp, fn),
		100*float64(c7OK)/float64(max(n, 1)), f1Score(tp7, fp7, fn7), unvoiced)
}

// f1Score is 2tp / (2tp + fp + fn), 0 when nothing was right.
func f1Score(tp, fp, fn int) float64 {
	if tp == 0 {
		return 0
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn)
}
