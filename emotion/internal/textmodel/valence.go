package textmodel

import (
	"math"
	"math/rand/v2"

	"github.com/calmline/calmline/emotion/internal/prob"
)

// ValenceConfig are the settings of the valence head's own trainer. The valence
// head is trained separately from the category head (they share only the hashed
// feature space), so its optimiser can be tuned on review data without moving the
// category head's numbers.
type ValenceConfig struct {
	Epochs int     // passes over the data
	LR     float64 // AdaGrad base learning rate
	L2     float64 // L2 penalty per example (applied to the touched weights)
	// NB is the smoothing count of the naive-Bayes log-count ratio that scales
	// every feature (NB-SVM / NB-LR, Wang & Manning 2012); 0 trains on the plain
	// features. The ratio is folded into the weights after training, so the
	// runtime model is an ordinary linear head.
	NB   float64
	Seed uint64
	// Average keeps the mean of the weights after each epoch of the second half
	// of training (epoch-level Polyak averaging), which smooths SGD noise.
	Average bool
	// Hinge trains with the squared hinge loss (a linear SVM) instead of the log
	// loss; Calibrate then turns margins into probabilities.
	Hinge bool
}

// TrainValence fits m's valence head (Val, ValBias) by AdaGrad on the log loss of
// every item with a valence label, leaving the category head untouched.
func TrainValence(m *Model, data []Item, cfg ValenceConfig) {
	n := len(m.Val)
	mask := uint32(n - 1)
	var items []int
	for i, d := range data {
		if d.Ex.Valence >= 0 {
			items = append(items, i)
		}
	}
	r := nbRatio(data, items, n, mask, cfg.NB)
	w := make([]float32, n)
	g2 := make([]float32, n)
	var b, gb float64
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	const eps = 1e-6
	var avg []float32
	var avgB float64
	nAvg := 0
	for ep := range cfg.Epochs {
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, idx := range items {
			d := data[idx]
			s := Scale(len(d.Feats))
			var z float64
			for _, f := range d.Feats {
				i := f & mask
				z += float64(w[i] * r[i])
			}
			z = z*s + b
			wt := d.Ex.ValWeight
			if wt == 0 {
				wt = 1
			}
			g := wt * (prob.Sigmoid(z) - float64(d.Ex.Valence))
			if cfg.Hinge {
				y := 2*float64(d.Ex.Valence) - 1
				g = 0
				if y*z < 1 {
					g = -wt * 2 * y * (1 - y*z)
				}
			}
			gb += g * g
			b -= cfg.LR * g / math.Sqrt(gb+eps)
			for _, f := range d.Feats {
				i := f & mask
				gi := float32(g*s)*r[i] + float32(cfg.L2)*w[i]
				g2[i] += gi * gi
				w[i] -= float32(cfg.LR) * gi / float32(math.Sqrt(float64(g2[i])+eps))
			}
		}
		if cfg.Average && ep >= cfg.Epochs/2 {
			if avg == nil {
				avg = make([]float32, n)
			}
			for i := range w {
				avg[i] += w[i]
			}
			avgB += b
			nAvg++
		}
	}
	if nAvg > 0 {
		for i := range w {
			w[i] = avg[i] / float32(nAvg)
		}
		b = avgB / float64(nAvg)
	}
	for i := range w {
		m.Val[i] = w[i] * r[i]
	}
	m.ValBias = float32(b)
}

// nbRatio is the log-count ratio of each feature between positive and negative
// items (presence counts, weighted by example weight), or all ones when alpha is 0.
func nbRatio(data []Item, items []int, n int, mask uint32, alpha float64) []float32 {
	r := make([]float32, n)
	if alpha <= 0 {
		for i := range r {
			r[i] = 1
		}
		return r
	}
	pos := make([]float64, n)
	neg := make([]float64, n)
	seen := make(map[uint32]bool, 256)
	var sp, sn float64
	for _, idx := range items {
		d := data[idx]
		wt := d.Ex.ValWeight
		if wt == 0 {
			wt = 1
		}
		clear(seen)
		for _, f := range d.Feats {
			i := f & mask
			if seen[i] {
				continue
			}
			seen[i] = true
			if d.Ex.Valence == 1 {
				pos[i] += wt
				sp += wt
			} else {
				neg[i] += wt
				sn += wt
			}
		}
	}
	sp += alpha * float64(n)
	sn += alpha * float64(n)
	for i := range r {
		r[i] = float32(math.Log((pos[i] + alpha) / sp / ((neg[i] + alpha) / sn)))
	}
	return r
}
