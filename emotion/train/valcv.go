package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/calmline/calmline/emotion/internal/textmodel"
)

// valenceGrid is the hyper-parameter grid of -valence-cv: each flag is a
// comma-separated list and every combination is tried.
type valenceGrid struct {
	opt, sources, epochs, lr, l2, nb, waimaiW string
}

// valenceSetting is one point of the grid.
type valenceSetting struct {
	opt     string // "adagrad" (TrainValence) or "sgd" (the category trainer, valence rows only)
	sources string // letters: w waimai, o other review sets, n NLPCC, d dair_emotion
	cfg     textmodel.ValenceConfig
	waimaiW float64
}

func (s valenceSetting) String() string {
	return fmt.Sprintf("opt=%s src=%s ep=%d lr=%g l2=%g nb=%g ww=%g", s.opt, s.sources, s.cfg.Epochs, s.cfg.LR, s.cfg.L2, s.cfg.NB, s.waimaiW)
}

func floats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("grid value %q: %w", f, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func (g valenceGrid) settings(seed uint64) ([]valenceSetting, error) {
	var axes [5][]float64 // epochs, lr, l2, nb, waimai weight
	for i, spec := range []string{g.epochs, g.lr, g.l2, g.nb, g.waimaiW} {
		v, err := floats(spec)
		if err != nil {
			return nil, err
		}
		axes[i] = v
	}
	ep, lr, l2, nb, ww := axes[0], axes[1], axes[2], axes[3], axes[4]
	var out []valenceSetting
	for _, o := range strings.Split(g.opt, ",") {
		for _, src := range strings.Split(g.sources, ",") {
			for _, e := range ep {
				for _, a := range lr {
					for _, l := range l2 {
						for _, n := range nb {
							for _, w := range ww {
								out = append(out, valenceSetting{opt: o, sources: src, waimaiW: w,
									cfg: textmodel.ValenceConfig{Epochs: int(e), LR: a, L2: l, NB: n, Seed: seed}})
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

// valencePool is every valence-labelled sentence, featurised once.
type valencePool struct {
	waimai      []textmodel.Item // folds 1-4
	fold        []int
	held        []textmodel.Item // fold 0
	other, nlpc []textmodel.Item
	dair        []textmodel.Item
}

// withExtra appends the valence-only features to copies of the items.
func withExtra(items []textmodel.Item) []textmodel.Item {
	out := make([]textmodel.Item, len(items))
	for i, it := range items {
		f := append([]uint32(nil), it.Feats...)
		it.Feats = textmodel.ValenceFeatures(it.Ex.Text, f)
		out[i] = it
	}
	return out
}

func (p *valencePool) extended() *valencePool {
	return &valencePool{waimai: withExtra(p.waimai), fold: p.fold, held: withExtra(p.held), other: withExtra(p.other),
		nlpc: withExtra(p.nlpc), dair: withExtra(p.dair)}
}

func newValencePool(ds *datasets, maxFeatures int) *valencePool {
	return &valencePool{
		waimai: textmodel.Prepare(ds.waimaiTrain, maxFeatures), fold: ds.waimaiFold,
		held:  textmodel.Prepare(ds.waimaiHeld, maxFeatures),
		other: textmodel.Prepare(ds.otherReviews, maxFeatures),
		nlpc:  textmodel.Prepare(ds.nlpcc, maxFeatures),
		dair:  textmodel.Prepare(ds.dairTrain, maxFeatures),
	}
}

// trainingItems is the valence training set of a setting without waimai fold
// skip (0 = use all of folds 1-4).
func (p *valencePool) trainingItems(s valenceSetting, skip int) []textmodel.Item {
	var out []textmodel.Item
	add := func(items []textmodel.Item, w float64) {
		for _, it := range items {
			it.Ex.Class = -1
			it.Ex.Weight, it.Ex.ValWeight = w, w
			out = append(out, it)
		}
	}
	for i, it := range p.waimai {
		if p.fold[i] != skip {
			add([]textmodel.Item{it}, s.waimaiW)
		}
	}
	if strings.Contains(s.sources, "o") {
		add(p.other, 1)
	}
	if strings.Contains(s.sources, "n") {
		add(p.nlpc, 1)
	}
	if strings.Contains(s.sources, "d") {
		add(p.dair, 1)
	}
	return out
}

// fit trains a valence head for one setting.
func fitValence(s valenceSetting, bits uint8, items []textmodel.Item, base textmodel.Config) *textmodel.Model {
	if s.opt == "sgd" {
		cfg := base
		cfg.Bits = bits
		return textmodel.Train(items, cfg)
	}
	m := textmodel.New(bits)
	cfg := s.cfg
	cfg.Average = strings.Contains(s.opt, "avg")
	cfg.Hinge = strings.Contains(s.opt, "sqh")
	textmodel.TrainValence(m, items, cfg)
	return m
}

func valenceAccuracy(m *textmodel.Model, items []textmodel.Item) float64 {
	var ok int
	var p [textmodel.NumClasses]float64
	for _, it := range items {
		if (m.Predict(it.Feats, &p) >= 0.5) == (it.Ex.Valence == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(items))
}

// valenceCV picks the valence head's settings honestly: 4-fold cross-validation
// inside waimai folds 1-4 (fold 0 is never looked at while choosing), then the
// best setting is trained on folds 1-4 and scored once on fold 0.
func valenceCV(o options, ds *datasets, g valenceGrid, w io.Writer) error {
	grid, err := g.settings(o.cfg.Seed)
	if err != nil {
		return err
	}
	basePool := newValencePool(ds, o.cfg.MaxFeatures)
	var extPool *valencePool
	poolFor := func(s valenceSetting) *valencePool {
		if !strings.HasSuffix(s.opt, "+x") {
			return basePool
		}
		if extPool == nil {
			extPool = basePool.extended()
		}
		return extPool
	}
	var best valenceSetting
	bestAcc := -1.0
	for _, s := range grid {
		t0 := time.Now()
		pool := poolFor(s)
		var accs []string
		var sum float64
		for f := 1; f <= 4; f++ {
			var val []textmodel.Item
			for i, it := range pool.waimai {
				if pool.fold[i] == f {
					val = append(val, it)
				}
			}
			m := fitValence(s, o.cfg.Bits, pool.trainingItems(s, f), o.cfg)
			a := valenceAccuracy(m, val)
			sum += a
			accs = append(accs, fmt.Sprintf("%.4f", a))
		}
		mean := sum / 4
		fmt.Fprintf(w, "inner-CV %s: mean %.4f [%s] (%s)\n", s, mean, strings.Join(accs, " "), time.Since(t0).Round(time.Second))
		if mean > bestAcc {
			best, bestAcc = s, mean
		}
	}
	pool := poolFor(best)
	shift := biasShiftCV(best, pool, o, w)
	m := fitValence(best, o.cfg.Bits, pool.trainingItems(best, 0), o.cfg)
	fmt.Fprintf(w, "best by inner CV: %s (inner mean %.4f); held-out fold 0: %.4f\n", best, bestAcc, valenceAccuracy(m, pool.held))
	m.ValBias += float32(shift)
	fmt.Fprintf(w, "  with the inner-CV bias shift %+.2f: held-out fold 0: %.4f\n", shift, valenceAccuracy(m, pool.held))
	// the same setting scored on every fold in turn (trained on the other four)
	sum := valenceAccuracy(fitValence(best, o.cfg.Bits, pool.trainingItems(best, 0), o.cfg), pool.held)
	accs := []string{fmt.Sprintf("%.4f", sum)}
	for f := 1; f <= 4; f++ {
		items := pool.trainingItems(best, f)
		for _, it := range pool.held {
			it.Ex.Class = -1
			it.Ex.Weight, it.Ex.ValWeight = best.waimaiW, best.waimaiW
			items = append(items, it)
		}
		var val []textmodel.Item
		for i, it := range pool.waimai {
			if pool.fold[i] == f {
				val = append(val, it)
			}
		}
		a := valenceAccuracy(fitValence(best, o.cfg.Bits, items, o.cfg), val)
		sum += a
		accs = append(accs, fmt.Sprintf("%.4f", a))
	}
	fmt.Fprintf(w, "  5-fold (each fold scored by a model trained on the other four): mean %.4f [%s]\n", sum/5, strings.Join(accs, " "))
	return nil
}

// biasShiftCV picks, by the same inner cross-validation, the offset added to the
// valence head's bias (its decision threshold on review text).
func biasShiftCV(s valenceSetting, pool *valencePool, o options, w io.Writer) float64 {
	shifts := []float64{-0.6, -0.4, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.4, 0.6}
	acc := make([]float64, len(shifts))
	for f := 1; f <= 4; f++ {
		var val []textmodel.Item
		for i, it := range pool.waimai {
			if pool.fold[i] == f {
				val = append(val, it)
			}
		}
		m := fitValence(s, o.cfg.Bits, pool.trainingItems(s, f), o.cfg)
		b := m.ValBias
		for j, d := range shifts {
			m.ValBias = b + float32(d)
			acc[j] += valenceAccuracy(m, val) / 4
		}
	}
	best := 5
	for j := range shifts {
		fmt.Fprintf(w, "  bias shift %+.2f: inner mean %.4f\n", shifts[j], acc[j])
		if acc[j] > acc[best]+1e-9 {
			best = j
		}
	}
	return shifts[best]
}
