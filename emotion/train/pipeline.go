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
	var ok, neutral int
	for _, e := range ds.dairVal {
		r := m.Text(e.Text)
		if readsClass(r, e.Class) {
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

// classOf maps a reading's category to the text head's class it is scored as;
// neutral and confused are no class of the labelled emotion sets.
var classOf = map[emotion.Category]int{emotion.Satisfied: textmodel.ClassSatisfied, emotion.Anxious: textmodel.ClassAnxious,
	emotion.Sad: textmodel.ClassSad, emotion.Angry: textmodel.ClassAngry}

// readsClass reports whether reading r is labelled class c.
func readsClass(r emotion.Reading, c int) bool {
	got, ok := classOf[r.Category]
	return ok && got == c
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
