package emotion

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Label is one human correction of a reading: the inputs fusion saw (the stored
// text reading with its Evidence, and the voice's Acoustic) and what a person said
// the caller felt. store fills it from its feedback table; `calmline emotion refit`
// reads it as JSON lines.
type Label struct {
	Text     string    `json:"text,omitempty"`     // the transcript; used to rebuild Evidence when the reading lacks it
	Reading  Reading   `json:"reading"`            // the stored reading (its Evidence is what matters)
	Acoustic *Acoustic `json:"acoustic,omitempty"` // the stored voice judgement, if any
	Category Category  `json:"category"`           // the human label
	Level    *Level    `json:"level,omitempty"`    // the human's level, if given
}

// ReadLabels parses JSON-lines labels; blank lines are skipped and a broken line is
// an error naming its line number.
func ReadLabels(r io.Reader) ([]Label, error) {
	var out []Label
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l Label
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadLabel, n, err)
		}
		if l.Category < 0 || l.Category >= numCategories {
			return nil, fmt.Errorf("%w: line %d: category out of range", ErrBadLabel, n)
		}
		if l.Reading.Evidence == nil && strings.TrimSpace(l.Text) == "" && (l.Acoustic == nil || !l.Acoustic.Voiced) {
			return nil, fmt.Errorf("%w: line %d: neither text, evidence nor a voiced acoustic", ErrBadLabel, n)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return out, nil
}

// RefitReport says what re-fitting did, on the labels it was fitted to.
type RefitReport struct {
	Labels         int     `json:"labels"`
	AccuracyBefore float64 `json:"accuracy_before"` // category accuracy with the old weights
	AccuracyAfter  float64 `json:"accuracy_after"`
	LossBefore     float64 `json:"loss_before"` // mean log loss of the human category
	LossAfter      float64 `json:"loss_after"`
	LevelLabels    int     `json:"level_labels"`
	LevelBefore    float64 `json:"level_before"` // level accuracy where a level was labelled
	LevelAfter     float64 `json:"level_after"`
	// HeldOut is the refit judged on labels it did not see; nil below MinHeldOut
	// labels.
	HeldOut *HeldOut `json:"held_out,omitempty"`
}

// refitSample is a label with its fusion inputs resolved.
type refitSample struct {
	ev    *TextEvidence
	voice Acoustic
	cat   Category
	level *Level
}

// pushLangs are the languages whose satisfied push (FusionWeights.SatisfiedValence)
// Refit fits.
var pushLangs = []string{"zh", "en", ""}

// Refit fits the fusion weights (text and voice scales, cue gains, category biases,
// the valence head's push on satisfied per language)
// to human labels by minimising the log loss, pulled toward the current weights so
// a few labels cannot wreck them: the pull is stronger the fewer labels there are.
// It returns new weights and a report; the model itself is unchanged (use
// WithFusion). With MinHeldOut labels or more the report also says how refitting
// does on labels it did not see (HeldOut), which is the figure to trust: accuracy
// on the labels a fit was made from always looks better.
func (m *Model) Refit(labels []Label) (FusionWeights, RefitReport, error) {
	var data []refitSample
	for _, l := range labels {
		s := refitSample{ev: l.Reading.Evidence, cat: l.Category, level: l.Level}
		if s.ev == nil && strings.TrimSpace(l.Text) != "" {
			s.ev = m.evidence(strings.TrimSpace(l.Text))
		}
		if l.Acoustic != nil {
			s.voice = *l.Acoustic
		}
		if s.ev == nil && !s.voice.Voiced {
			continue
		}
		data = append(data, s)
	}
	if len(data) == 0 {
		return FusionWeights{}, RefitReport{}, ErrNoLabels
	}
	start := m.fusion.clone()
	after := fit(start, data)
	rep := RefitReport{Labels: len(data)}
	rep.AccuracyBefore, rep.LossBefore, rep.LevelBefore, rep.LevelLabels = score(&start, data)
	rep.AccuracyAfter, rep.LossAfter, rep.LevelAfter, _ = score(&after, data)
	if len(data) >= MinHeldOut {
		rep.HeldOut = heldOut(start, data, refitFolds)
	}
	return after, rep, nil
}

// MinHeldOut is the fewest labels for which Refit holds some out to check itself;
// with fewer, each fold would judge on one or two lines.
const MinHeldOut = 10

// refitFolds is how many parts the held-out check splits the labels into.
const refitFolds = 5

// HeldOut is how the refit does on labels it was not fitted to: each fold is
// scored with weights fitted on the other folds, against the starting weights on
// the same lines.
type HeldOut struct {
	Folds          int     `json:"folds"`
	AccuracyBefore float64 `json:"accuracy_before"`
	AccuracyAfter  float64 `json:"accuracy_after"`
	LossBefore     float64 `json:"loss_before"`
	LossAfter      float64 `json:"loss_after"`
}

// heldOut fits on all folds but one, k times, and scores each on the one left out.
// Labels are dealt to folds in turn, so a burst of corrections from one bad day is
// spread over every fold rather than judged only by weights that never saw it.
func heldOut(start FusionWeights, data []refitSample, k int) *HeldOut {
	h := &HeldOut{Folds: k}
	var train, test []refitSample
	for f := 0; f < k; f++ {
		train, test = train[:0], test[:0]
		for i, s := range data {
			if i%k == f {
				test = append(test, s)
			} else {
				train = append(train, s)
			}
		}
		w := fit(start, train)
		accB, lossB, _, _ := score(&start, test)
		accA, lossA, _, _ := score(&w, test)
		n := float64(len(test))
		h.AccuracyBefore += accB * n
		h.AccuracyAfter += accA * n
		h.LossBefore += lossB * n
		h.LossAfter += lossA * n
	}
	n := float64(len(data))
	h.AccuracyBefore /= n
	h.AccuracyAfter /= n
	h.LossBefore /= n
	h.LossAfter /= n
	return h
}

// fit minimises the labels' log loss over the fusion weights from start, with a
// pull back toward start of strength refitPull(len(data)).
func fit(start FusionWeights, data []refitSample) FusionWeights {
	kinds := cueKinds()
	pack := func(w *FusionWeights) []float64 {
		x := []float64{w.Text, w.Voice}
		for _, k := range kinds {
			x = append(x, w.gain(k))
		}
		for _, c := range Categories {
			x = append(x, w.Bias[c])
		}
		for _, l := range pushLangs {
			x = append(x, w.satisfiedValence(l))
		}
		return x
	}
	unpack := func(x []float64) FusionWeights {
		w := start.clone()
		w.Text, w.Voice = math.Max(x[0], 0), math.Max(x[1], 0)
		for i, k := range kinds {
			w.Cue[k] = math.Max(x[2+i], 0)
		}
		for i, c := range Categories {
			w.Bias[c] = x[2+len(kinds)+i]
		}
		w.SatisfiedValence = make(map[string]float64, len(pushLangs))
		for i, l := range pushLangs {
			w.SatisfiedValence[l] = clamp(x[2+len(kinds)+len(Categories)+i], 0, 3)
		}
		return w
	}
	x0 := pack(&start)
	// The scales and biases move every reading, a cue gain only those where its
	// cue fired, so the global ones are held harder: corrections are a one-sided
	// sample (people correct mistakes), and a few of one category would otherwise
	// buy that category everywhere through its bias.
	lambda := make([]float64, len(x0))
	for i := range lambda {
		lambda[i] = refitPull(len(data))
		if i < 2 || i >= 2+len(kinds) {
			lambda[i] *= globalPull
		}
	}
	objective := func(x []float64) float64 {
		w := unpack(x)
		var l float64
		for _, s := range data {
			r := fuseWith(&w, s.ev, s.voice)
			l -= math.Log(math.Max(r.Scores[s.cat], 1e-9))
		}
		l /= float64(len(data))
		for i := range x {
			d := x[i] - x0[i]
			l += lambda[i] * d * d
		}
		return l
	}
	// gradient descent with numerical gradients: a few dozen parameters, cheap to evaluate
	x := append([]float64(nil), x0...)
	f := objective(x)
	step := 0.5
	g := make([]float64, len(x))
	for it := 0; it < 120 && step > 1e-4; it++ {
		const h = 1e-4
		for i := range x {
			old := x[i]
			x[i] = old + h
			fp := objective(x)
			x[i] = old - h
			fm := objective(x)
			x[i] = old
			g[i] = (fp - fm) / (2 * h)
		}
		for {
			cand := make([]float64, len(x))
			for i := range x {
				cand[i] = x[i] - step*g[i]
			}
			if fc := objective(cand); fc < f {
				x, f = cand, fc
				step *= 1.2
				break
			}
			step /= 2
			if step <= 1e-4 {
				break
			}
		}
	}
	return unpack(x)
}

// refitPull is the strength of the pull toward the starting weights: 0.01 from a
// hundred labels up, and more below, so that a handful of corrections nudges the
// weights instead of bending every reading toward those few lines.
func refitPull(n int) float64 {
	return 0.01 * math.Max(1, 100/float64(n))
}

// globalPull multiplies the pull on the weights that move every reading.
const globalPull = 10

func score(w *FusionWeights, data []refitSample) (acc, loss, levelAcc float64, levelN int) {
	var ok, lok int
	for _, s := range data {
		r := fuseWith(w, s.ev, s.voice)
		if r.Category == s.cat {
			ok++
		}
		loss -= math.Log(math.Max(r.Scores[s.cat], 1e-9))
		if s.level != nil {
			levelN++
			if r.Level == *s.level {
				lok++
			}
		}
	}
	n := float64(len(data))
	if levelN > 0 {
		levelAcc = float64(lok) / float64(levelN)
	}
	return float64(ok) / n, loss / n, levelAcc, levelN
}
