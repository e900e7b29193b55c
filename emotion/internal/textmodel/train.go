package textmodel

import (
	"math"
	"math/rand/v2"

	"github.com/calmline/calmline/emotion/internal/prob"
)

// Example is one training sentence. Class is a category-head index or -1 when the
// sentence carries no category (review data); Valence is 1 positive, 0 negative or
// -1 unknown. Weight scales its gradient (class balance); ValWeight scales it in
// the valence head's own trainer (TrainValence; 0 means 1).
type Example struct {
	Text      string
	Class     int
	Valence   int
	Weight    float64
	ValWeight float64
}

// Config are the training settings; the same Config and data give the same model.
type Config struct {
	Bits        uint8   // feature table size 2^Bits
	Epochs      int     // passes over the data
	LR          float64 // initial learning rate
	L2          float64 // weight decay per update (applied to the touched rows)
	Seed        uint64  // shuffling seed
	MaxFeatures int     // cap on features per example (long reviews)
}

// Item is one featurised example.
type Item struct {
	Feats []uint32
	Ex    Example
}

// Prepare turns examples into feature lists once, so epochs and folds reuse them.
func Prepare(ex []Example, maxFeatures int) []Item {
	out := make([]Item, len(ex))
	for i, e := range ex {
		f := Features(e.Text, nil)
		if maxFeatures > 0 && len(f) > maxFeatures {
			f = f[:maxFeatures]
		}
		out[i] = Item{Feats: f, Ex: e}
	}
	return out
}

// Train fits both heads by stochastic gradient descent on the log loss.
func Train(data []Item, cfg Config) *Model {
	m := New(cfg.Bits)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	total := float64(cfg.Epochs * len(data))
	step := 0.0
	var z, p [NumClasses]float64
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, idx := range order {
			d := data[idx]
			lr := cfg.LR * (1 - 0.9*step/total)
			step++
			s := Scale(len(d.Feats))
			zv := m.logits(d.Feats, &z)
			w := d.Ex.Weight
			if w == 0 {
				w = 1
			}
			decay := float32(1 - cfg.L2*lr)
			if d.Ex.Class >= 0 {
				prob.Softmax(z[:], p[:])
				var g [NumClasses]float32
				for k := range g {
					y := 0.0
					if k == d.Ex.Class {
						y = 1
					}
					g[k] = float32(lr * w * (p[k] - y))
					m.CatBias[k] -= g[k] * 0.1
				}
				for _, f := range d.Feats {
					row := m.Cat[int(f&m.mask)*NumClasses : int(f&m.mask)*NumClasses+NumClasses]
					for k := range row {
						row[k] = row[k]*decay - g[k]*float32(s)
					}
				}
			}
			if d.Ex.Valence >= 0 {
				g := float32(lr * w * (prob.Sigmoid(zv) - float64(d.Ex.Valence)))
				m.ValBias -= g * 0.1
				for _, f := range d.Feats {
					i := f & m.mask
					m.Val[i] = m.Val[i]*decay - g*float32(s)
				}
			}
		}
	}
	return m
}

// Calibrate picks the temperatures that minimise the log loss of both heads on
// held-out data (temperature scaling), so probabilities mean what they say.
func (m *Model) Calibrate(dev []Item) {
	best := func(nll func(t float64) float64) float32 {
		bt, bl := 1.0, math.Inf(1)
		for t := 0.3; t <= 4; t += 0.05 {
			if l := nll(t); l < bl {
				bt, bl = t, l
			}
		}
		return float32(bt)
	}
	var z, p [NumClasses]float64
	m.CatTemp = best(func(t float64) float64 {
		var l float64
		for _, d := range dev {
			if d.Ex.Class < 0 {
				continue
			}
			m.logits(d.Feats, &z)
			for k := range z {
				z[k] /= t
			}
			prob.Softmax(z[:], p[:])
			l -= math.Log(math.Max(p[d.Ex.Class], 1e-12))
		}
		return l
	})
	m.ValTemp = best(func(t float64) float64 {
		var l float64
		for _, d := range dev {
			if d.Ex.Valence < 0 {
				continue
			}
			pv := prob.Sigmoid(m.logits(d.Feats, &z) / t)
			if d.Ex.Valence == 0 {
				pv = 1 - pv
			}
			l -= math.Log(math.Max(pv, 1e-12))
		}
		return l
	})
}
