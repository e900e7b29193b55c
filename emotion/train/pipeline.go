package main

import (
	"fmt"
	"io"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/emotion/internal/textmodel"
)

// pipelineEval measures the whole text reading (model + cues + fusion) as the
// product uses it, not just the model head: dair_emotion val category accuracy
// over the mapped classes (a reading of neutral or confused counts as wrong).
func pipelineEval(weights []byte, ds *datasets, w io.Writer) error {
	m, err := emotion.Default(emotion.WithTextWeights(weights))
	if err != nil {
		return err
	}
	want := map[int]emotion.Category{textmodel.ClassSatisfied: emotion.Satisfied, textmodel.ClassAnxious: emotion.Anxious,
		textmodel.ClassSad: emotion.Sad, textmodel.ClassAngry: emotion.Angry}
	var ok, neutral int
	for _, e := range ds.dairVal {
		r := m.Text(e.Text)
		if r.Category == want[e.Class] {
			ok++
		}
		if r.Category == emotion.Neutral {
			neutral++
		}
	}
	n := len(ds.dairVal)
	fmt.Fprintf(w, "dair_emotion val, full text reading (model + cues + fusion): accuracy %.4f (%d of %d read neutral)\n",
		float64(ok)/float64(n), neutral, n)
	fmt.Fprintf(w, "waimai held-out fold, full text reading valence sign: accuracy %.4f\n", valenceSignAccuracy(m, ds.waimaiHeld))
	return nil
}

// valenceSignAccuracy is how often the sign of the full reading's valence agrees
// with the examples' valence labels (0 counts as positive).
func valenceSignAccuracy(m *emotion.Model, ex []textmodel.Example) float64 {
	ok := 0
	for _, e := range ex {
		if (m.Text(e.Text).Valence >= 0) == (e.Valence == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(ex))
}
