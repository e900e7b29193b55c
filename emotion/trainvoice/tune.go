package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/calmline/calmline/emotion"
)

// hyper is one hyper-parameter candidate.
type hyper struct {
	l2     float64
	hidden int
}

func (h hyper) apply(c emotion.VoiceTrainConfig) emotion.VoiceTrainConfig {
	c.L2, c.Hidden = h.l2, h.hidden
	return c
}

func (h hyper) kind() string {
	if h.hidden > 0 {
		return fmt.Sprintf("MLP (%d tanh units, L2 %g)", h.hidden, h.l2)
	}
	return fmt.Sprintf("multinomial logistic regression (L2 %g)", h.l2)
}

func (h hyper) String() string { return fmt.Sprintf("L2 %g, hidden %d", h.l2, h.hidden) }

// innerScore is the selection criterion: leave-one-speaker-out over bySpk, mean of
// the 7-class accuracy with a 3-neutral-clip and a 5-random-clip baseline (one draw
// each), the two realistic call openings.
// It never reads a first utterance, so the first-utterance head is not trained for it.
func innerScore(bySpk map[string][]clip, cfg emotion.VoiceTrainConfig, trainMode string, seed uint64) (float64, error) {
	cfg.FirstUtterance = false
	res, err := loso(bySpk, cfg, trainMode, 1, seed, 1)
	if err != nil {
		return 0, err
	}
	r := computeMetrics(res[schemeRandom].outs, 1, 1, 0)
	n := computeMetrics(res[schemeNeutral].outs, 1, 1, 0)
	return (r.acc + n.acc) / 2, nil
}

// selectHyper returns the candidate with the best innerScore over bySpk (two at a
// time: the machine is shared).
func selectHyper(bySpk map[string][]clip, base emotion.VoiceTrainConfig, grid []hyper, trainMode string, seed uint64) (hyper, error) {
	scores := make([]float64, len(grid))
	errs := make([]error, len(grid))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, h := range grid {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			scores[i], errs[i] = innerScore(bySpk, h.apply(base), trainMode, seed)
		}()
	}
	wg.Wait()
	best := 0
	for i := range grid {
		if errs[i] != nil {
			return hyper{}, errs[i]
		}
		if scores[i] > scores[best] {
			best = i
		}
	}
	return grid[best], nil
}

// nestedLOSO is leave-one-speaker-out in which each held-out speaker's model gets its
// hyper-parameters from selectHyper over the other speakers only, so no reported
// speaker ever influenced a choice. It returns the outer results and the pick per
// held-out speaker; workers outer folds run at once (each selection runs its
// candidates two at a time on top).
func nestedLOSO(w io.Writer, bySpk map[string][]clip, base emotion.VoiceTrainConfig, grid []hyper, trainMode string, reps int, seed uint64, workers int) (map[string]*evalResult, []string, error) {
	keys := sortedKeys(bySpk)
	picks := make([]string, len(keys))
	var mu sync.Mutex // w is shared by the folds running at once
	res, err := eachFold(bySpk, workers, func(fold int, test string, train map[string][]clip, res map[string]*evalResult) error {
		h, err := selectHyper(train, base, grid, trainMode, seed)
		if err != nil {
			return err
		}
		mu.Lock()
		fmt.Fprintf(w, "held-out speaker %s: inner leave-one-speaker-out chose %s\n", test, h)
		mu.Unlock()
		picks[fold] = fmt.Sprintf("%s: %s", test, h)
		return scoreFold(res, train, bySpk[test], h.apply(base), trainMode, reps, seed, fold)
	})
	if err != nil {
		return nil, nil, err
	}
	return res, picks, nil
}
