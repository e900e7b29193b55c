package emotion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion/internal/prob"
)

// VoiceExample is one labelled utterance for training the voice model, with the
// baseline of its speaker it is to be judged against.
type VoiceExample struct {
	Features dsp.Features
	Baseline *VoiceBaseline // nil means an empty baseline
	Class    int            // index into VoiceTrainConfig.Classes
}

// VoiceTrainConfig describes the classes and the fit. Classes, Categories and High
// have one entry per class.
type VoiceTrainConfig struct {
	Classes    []string
	Categories []Category // calmline category each class maps to
	High       []bool     // high-arousal classes (the arousal head's positives)
	L2         float64    // ridge penalty on the weights (per example); 0 means 0.01
	Iters      int        // gradient steps; 0 means 3000
	BaselineS  float64    // voiced seconds a listener's baseline needs; 0 means 4
	About      string     // provenance stored in the model file
	Hidden     int        // hidden tanh units for the class head; 0 = logistic regression
	Seed       uint64     // initialisation of the hidden layer
	Exclude    []string   // feature names (VoiceFeatureNames) the model must not use
	// SpeakerPriorS turns on per-speaker standardisation (speakerScale) with this
	// many voiced seconds of prior on each caller's own spread; 0 = off.
	SpeakerPriorS float64
	// FirstUtterance also trains the head for utterances with no baseline (see
	// VoiceModel.FirstUtterance) on the same utterances, each once and without its
	// baseline, with the same settings but FirstHidden hidden units (0 = Hidden):
	// judging a voice in absolute terms has more to learn than judging a change.
	FirstUtterance bool
	FirstHidden    int
}

// TrainVoice fits the voice model: standardisation from the examples, then a
// multinomial logistic regression over classes and a binary logistic regression for
// arousal, both with L2. Calibration starts neutral (temperature 1, no Platt
// scaling); set it with SetCalibration from out-of-speaker predictions.
func TrainVoice(ex []VoiceExample, cfg VoiceTrainConfig) (*VoiceModel, error) {
	k := len(cfg.Classes)
	if k < 2 || len(cfg.Categories) != k || len(cfg.High) != k {
		return nil, fmt.Errorf("%w: train config has %d classes, %d categories, %d arousal flags",
			ErrVoiceModel, k, len(cfg.Categories), len(cfg.High))
	}
	if cfg.L2 == 0 {
		cfg.L2 = 0.01
	}
	if cfg.Iters == 0 {
		cfg.Iters = 3000
	}
	for _, name := range cfg.Exclude {
		if !slices.Contains(voiceFeatureNames[:], name) {
			return nil, fmt.Errorf("%w: cannot exclude unknown feature %q", ErrVoiceModel, name)
		}
	}
	if cfg.BaselineS == 0 {
		cfg.BaselineS = 4
	}
	var empty VoiceBaseline
	var spread [nBase]float64
	if cfg.SpeakerPriorS > 0 {
		spread = trainSpread(ex)
	}
	xs := make([][nVoiceFeatures]float64, 0, len(ex))
	ys := make([]int, 0, len(ex))
	for _, e := range ex {
		if e.Class < 0 || e.Class >= k {
			return nil, fmt.Errorf("%w: example class %d out of range", ErrVoiceModel, e.Class)
		}
		if !voiceUsable(e.Features) {
			continue
		}
		b := e.Baseline
		if b == nil {
			b = &empty
		}
		var x [nVoiceFeatures]float64
		voiceVector(&x, e.Features, b)
		speakerScale(&x, b, &spread, cfg.SpeakerPriorS)
		xs = append(xs, x)
		ys = append(ys, e.Class)
	}
	if len(xs) < 2*k {
		return nil, fmt.Errorf("%w: only %d usable examples for %d classes", ErrVoiceModel, len(xs), k)
	}
	m := &VoiceModel{
		classes: append([]string(nil), cfg.Classes...), categories: append([]Category(nil), cfg.Categories...),
		high: append([]bool(nil), cfg.High...), w: make([][nVoiceFeatures]float64, k), bias: make([]float64, k),
		temperature: 1, aScale: 1, baselineS: cfg.BaselineS, about: cfg.About,
		spkSpread: spread, spkPrior: cfg.SpeakerPriorS,
	}
	n := float64(len(xs))
	for i := 0; i < nVoiceFeatures; i++ {
		s, ss := 0.0, 0.0
		for _, x := range xs {
			s += x[i]
		}
		mu := s / n
		for _, x := range xs {
			ss += (x[i] - mu) * (x[i] - mu)
		}
		m.mean[i] = mu
		m.scale[i] = math.Sqrt(ss / n)
		if m.scale[i] < voiceMinSpread[i] || slices.Contains(cfg.Exclude, voiceFeatureNames[i]) {
			// Excluded, or not exercised by the corpus (jitter not measured, no
			// pauses in 2 s clips): standardise to exactly 0 so it gets no weight.
			m.mean[i], m.scale[i] = 0, 0
		}
	}
	for j := range xs {
		for i := range xs[j] {
			xs[j][i] = voiceStandardise(xs[j][i], m.mean[i], m.scale[i])
		}
	}
	for i := range m.scale {
		if m.scale[i] == 0 {
			m.scale[i] = math.Inf(1) // marks an unused feature; written as 0 weight below
		}
	}
	// Class weights balance the classes, so a rare class (EmoDB disgust) is not ignored.
	counts := make([]float64, k)
	for _, y := range ys {
		counts[y]++
	}
	cw := make([]float64, k)
	for c := range cw {
		if counts[c] > 0 {
			cw[c] = n / (float64(k) * counts[c])
		}
	}
	if cfg.Hidden > 0 {
		fitMLP(m, xs, ys, cw, cfg.L2, cfg.Iters, cfg.Hidden, cfg.Seed)
	} else {
		fitSoftmax(m.w, m.bias, xs, ys, cw, cfg.L2, cfg.Iters)
	}
	// Arousal head: binary, balanced.
	aw := [][nVoiceFeatures]float64{{}, {}}
	ab := []float64{0, 0}
	ay := make([]int, len(ys))
	var pos float64
	for j, y := range ys {
		if cfg.High[y] {
			ay[j] = 1
			pos++
		}
	}
	acw := []float64{n / (2 * math.Max(1, n-pos)), n / (2 * math.Max(1, pos))}
	fitSoftmax(aw, ab, xs, ay, acw, cfg.L2, cfg.Iters)
	for i := range m.aw {
		m.aw[i] = aw[1][i] - aw[0][i]
	}
	m.ab = ab[1] - ab[0]
	if cfg.FirstUtterance {
		fc := cfg
		fc.FirstUtterance = false
		if cfg.FirstHidden > 0 {
			fc.Hidden = cfg.FirstHidden
		}
		seen := make(map[dsp.Features]bool, len(ex))
		var fex []VoiceExample
		for _, e := range ex {
			if !seen[e.Features] {
				seen[e.Features] = true
				fex = append(fex, VoiceExample{Features: e.Features, Class: e.Class})
			}
		}
		first, err := TrainVoice(fex, fc)
		if err != nil {
			return nil, fmt.Errorf("first-utterance head: %w", err)
		}
		m.first = first
	}
	for i, sc := range m.scale {
		if math.IsInf(sc, 1) {
			m.scale[i], m.mean[i], m.aw[i] = 1, 0, 0
			for k := range m.w {
				m.w[k][i] = 0
			}
			for u := range m.h1 {
				m.h1[u][i] = 0
			}
		}
	}
	m.markUsed()
	return m, nil
}

// fitSoftmax fits a weighted multinomial logistic regression with L2 by full-batch
// gradient descent with Adam steps; data sets here are hundreds of rows, so this is
// milliseconds and needs no library.
func fitSoftmax(w [][nVoiceFeatures]float64, b []float64, xs [][nVoiceFeatures]float64, ys []int, cw []float64, l2 float64, iters int) {
	k := len(w)
	const lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	gw := make([][nVoiceFeatures]float64, k)
	mw := make([][nVoiceFeatures]float64, k)
	vw := make([][nVoiceFeatures]float64, k)
	gb, mb, vb := make([]float64, k), make([]float64, k), make([]float64, k)
	p := make([]float64, k)
	wsum := 0.0
	for _, y := range ys {
		wsum += cw[y]
	}
	for it := 1; it <= iters; it++ {
		for c := range gw {
			gw[c] = [nVoiceFeatures]float64{}
			gb[c] = 0
		}
		for j, x := range xs {
			for c := 0; c < k; c++ {
				z := b[c]
				for i, xi := range x {
					z += w[c][i] * xi
				}
				p[c] = z
			}
			prob.Softmax(p, p)
			sw := cw[ys[j]] / wsum
			for c := 0; c < k; c++ {
				d := p[c]
				if c == ys[j] {
					d--
				}
				d *= sw
				gb[c] += d
				for i, xi := range x {
					gw[c][i] += d * xi
				}
			}
		}
		c1 := 1 - math.Pow(b1, float64(it))
		c2 := 1 - math.Pow(b2, float64(it))
		for c := 0; c < k; c++ {
			for i := range gw[c] {
				g := gw[c][i] + l2*w[c][i]
				mw[c][i] = b1*mw[c][i] + (1-b1)*g
				vw[c][i] = b2*vw[c][i] + (1-b2)*g*g
				w[c][i] -= lr * (mw[c][i] / c1) / (math.Sqrt(vw[c][i]/c2) + eps)
			}
			g := gb[c]
			mb[c] = b1*mb[c] + (1-b1)*g
			vb[c] = b2*vb[c] + (1-b2)*g*g
			b[c] -= lr * (mb[c] / c1) / (math.Sqrt(vb[c]/c2) + eps)
		}
	}
}

// SetCalibration installs the softmax temperature and the arousal Platt scaling
// (sigmoid(a*logit + b)) fitted on out-of-speaker predictions.
func (m *VoiceModel) SetCalibration(temperature, a, b float64, about string) error {
	if !(temperature > 0) || math.IsInf(temperature, 0) || math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return fmt.Errorf("%w: calibration temperature %g, a %g, b %g", ErrVoiceModel, temperature, a, b)
	}
	m.temperature, m.aScale, m.aShift = temperature, a, b
	if about != "" {
		m.about = about
	}
	return nil
}

// VoiceLogits are the uncalibrated scores of one prediction, the input of calibration.
type VoiceLogits struct {
	Class    []float64 // per-class logits before temperature
	Arousal  float64   // arousal logit before Platt scaling
	Distance float64   // VoicePrediction.Distance, for fitting the familiarity limit
}

// Logits returns the uncalibrated scores for f against b, for fitting calibration.
func (m *VoiceModel) Logits(f dsp.Features, b *VoiceBaseline) VoiceLogits {
	var x [nVoiceFeatures]float64
	if b == nil {
		b = &VoiceBaseline{}
	}
	m = m.head(b)
	voiceVector(&x, f, b)
	speakerScale(&x, b, &m.spkSpread, m.spkPrior)
	dist := m.distance(&x)
	for i := range x {
		x[i] = voiceStandardise(x[i], m.mean[i], m.scale[i])
	}
	out := VoiceLogits{Class: make([]float64, len(m.classes)), Arousal: m.ab, Distance: dist}
	m.classLogits(&x, out.Class, make([]float64, len(m.h1)))
	for i, xi := range x {
		out.Arousal += m.aw[i] * xi
	}
	return out
}

// FitVoiceCalibration finds the temperature minimising the class log-loss and the
// Platt (a, b) minimising the arousal log-loss on held-out logits.
func FitVoiceCalibration(logits []VoiceLogits, classes []int, high []bool) (temperature, a, b float64) {
	nll := func(t float64) float64 {
		s := 0.0
		p := make([]float64, 0, 8)
		for j, l := range logits {
			p = p[:0]
			for _, z := range l.Class {
				p = append(p, z/t)
			}
			prob.Softmax(p, p)
			s -= math.Log(math.Max(p[classes[j]], 1e-12))
		}
		return s
	}
	temperature, best := 1.0, math.Inf(1)
	for t := 0.3; t <= 5; t *= 1.03 {
		if v := nll(t); v < best {
			temperature, best = t, v
		}
	}
	a, b = 1, 0
	for it := 0; it < 3000; it++ {
		ga, gb := 0.0, 0.0
		for j, l := range logits {
			y := 0.0
			if high[classes[j]] {
				y = 1
			}
			d := prob.Sigmoid(a*l.Arousal+b) - y
			ga += d * l.Arousal
			gb += d
		}
		nf := float64(len(logits))
		a -= 0.1 * ga / nf
		b -= 0.1 * gb / nf
	}
	return temperature, a, b
}

// adam is one Adam optimiser state over a flat parameter vector.
type adam struct {
	m, v []float64
	t    int
}

func (a *adam) step(params, grad []float64, lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	if a.m == nil {
		a.m, a.v = make([]float64, len(params)), make([]float64, len(params))
	}
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	for i, g := range grad {
		a.m[i] = b1*a.m[i] + (1-b1)*g
		a.v[i] = b2*a.v[i] + (1-b2)*g*g
		params[i] -= lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
	}
}

// fitMLP trains a one-hidden-layer tanh network for the class head by full-batch
// Adam with L2; parameters are packed in one vector so one optimiser serves all.
func fitMLP(m *VoiceModel, xs [][nVoiceFeatures]float64, ys []int, cw []float64, l2 float64, iters, nh int, seed uint64) {
	k, nf := len(m.classes), nVoiceFeatures
	// Layout: W1 (nh*nf), b1 (nh), W2 (k*nh), b2 (k).
	oW1, oB1, oW2, oB2 := 0, nh*nf, nh*nf+nh, nh*nf+nh+k*nh
	np := oB2 + k
	theta := make([]float64, np)
	rng := rand.New(rand.NewPCG(seed, 0x766f696365))
	for i := 0; i < nh*nf; i++ {
		theta[oW1+i] = rng.NormFloat64() / math.Sqrt(float64(nf))
	}
	for i := 0; i < k*nh; i++ {
		theta[oW2+i] = rng.NormFloat64() / math.Sqrt(float64(nh))
	}
	grad := make([]float64, np)
	h := make([]float64, nh)
	dh := make([]float64, nh)
	p := make([]float64, k)
	wsum := 0.0
	for _, y := range ys {
		wsum += cw[y]
	}
	var opt adam
	for it := 0; it < iters; it++ {
		clear(grad)
		for j, x := range xs {
			for u := 0; u < nh; u++ {
				z := theta[oB1+u]
				row := theta[oW1+u*nf : oW1+(u+1)*nf]
				for i, xi := range x {
					z += row[i] * xi
				}
				h[u] = math.Tanh(z)
			}
			for c := 0; c < k; c++ {
				z := theta[oB2+c]
				row := theta[oW2+c*nh : oW2+(c+1)*nh]
				for u, hu := range h {
					z += row[u] * hu
				}
				p[c] = z
			}
			prob.Softmax(p, p)
			sw := cw[ys[j]] / wsum
			clear(dh)
			for c := 0; c < k; c++ {
				d := p[c]
				if c == ys[j] {
					d--
				}
				d *= sw
				grad[oB2+c] += d
				row := theta[oW2+c*nh : oW2+(c+1)*nh]
				g := grad[oW2+c*nh : oW2+(c+1)*nh]
				for u, hu := range h {
					g[u] += d * hu
					dh[u] += d * row[u]
				}
			}
			for u := 0; u < nh; u++ {
				d := dh[u] * (1 - h[u]*h[u])
				grad[oB1+u] += d
				g := grad[oW1+u*nf : oW1+(u+1)*nf]
				for i, xi := range x {
					g[i] += d * xi
				}
			}
		}
		for i := 0; i < oB1; i++ {
			grad[i] += l2 * theta[i]
		}
		for i := oW2; i < oB2; i++ {
			grad[i] += l2 * theta[i]
		}
		opt.step(theta, grad, 0.01)
	}
	m.h1 = make([][nVoiceFeatures]float64, nh)
	for u := 0; u < nh; u++ {
		copy(m.h1[u][:], theta[oW1+u*nf:oW1+(u+1)*nf])
	}
	m.hb1 = append([]float64(nil), theta[oB1:oB1+nh]...)
	m.w2 = make([][]float64, k)
	for c := 0; c < k; c++ {
		m.w2[c] = append([]float64(nil), theta[oW2+c*nh:oW2+(c+1)*nh]...)
	}
	copy(m.bias, theta[oB2:oB2+k])
}

// voiceStandardise z-scores x, bounded to ±voiceMaxZ; scale 0 means "unused" and gives 0.
func voiceStandardise(x, mean, scale float64) float64 {
	if scale == 0 {
		return 0
	}
	return voiceClamp((x-mean)/scale, -voiceMaxZ, voiceMaxZ)
}

// trainSpread is the typical within-speaker spread of each baseline value: the root
// mean square of an example's own value minus its speaker's baseline, over the
// examples that have a baseline.
func trainSpread(ex []VoiceExample) (spread [nBase]float64) {
	var n float64
	for _, e := range ex {
		if e.Baseline == nil || e.Baseline.weight <= 0 || !voiceUsable(e.Features) {
			continue
		}
		own := baseValues(e.Features)
		for i := range own {
			d := own[i] - e.Baseline.sum[i]/e.Baseline.weight
			spread[i] += d * d
		}
		n++
	}
	for i := range spread {
		if n > 0 {
			spread[i] = math.Sqrt(spread[i] / n)
		}
	}
	return spread
}
