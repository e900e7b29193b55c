package main

import (
	"fmt"
	"io"
	"os"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/emotion/internal/textmodel"
)

// evaluate prints the figures BENCHMARKS.md quotes. Only the open splits are used:
// dair_emotion val, a waimai fold the shipped model never saw, and NLPCC k-fold.
func evaluate(o options, ds *datasets, w io.Writer) error {
	b, err := os.ReadFile(o.out)
	if err != nil {
		return fmt.Errorf("read weights: %w", err)
	}
	m, err := textmodel.Load(b)
	if err != nil {
		return err
	}
	// dair val over the four mapped classes (surprise rows dropped), head argmax
	acc, n := headAccuracy(m, ds.dairVal, true)
	fmt.Fprintf(w, "dair_emotion val (mapped 4 classes, %d rows): head accuracy %.4f\n", n, acc)
	acc, n = headAccuracy(m, ds.dairVal, false)
	fmt.Fprintf(w, "dair_emotion val (mapped 4 classes, neutral allowed): head accuracy %.4f\n", acc)
	if err := pipelineEval(b, ds, w); err != nil {
		return err
	}

	// waimai valence on the held-out fold
	var ok int
	buf := make([]uint32, 0, 1024)
	var p [textmodel.NumClasses]float64
	for _, e := range ds.waimaiHeld {
		buf = textmodel.Features(e.Text, buf[:0])
		pos := m.Predict(buf, &p)
		if (pos >= 0.5) == (e.Valence == 1) {
			ok++
		}
	}
	fmt.Fprintf(w, "waimai valence (held-out fold 0 of 5, %d rows): accuracy %.4f\n", len(ds.waimaiHeld), float64(ok)/float64(len(ds.waimaiHeld)))

	// NLPCC k-fold: retrain without each fold's rows, score that fold
	k := o.folds
	if k < 2 {
		return nil
	}
	var conf, full [textmodel.NumClasses][textmodel.NumClasses]int
	for f := range k {
		skip := func(i int) bool { return i%k == f }
		fm := trainModel(o.cfg, o.val, ds.trainingSet(skip))
		fb, err := fm.MarshalBinary()
		if err != nil {
			return fmt.Errorf("marshal fold %d model: %w", f+1, err)
		}
		reader, err := emotion.Default(emotion.WithTextWeights(fb))
		if err != nil {
			return fmt.Errorf("fold %d reader: %w", f+1, err)
		}
		for i, e := range ds.nlpcc {
			if !skip(i) {
				continue
			}
			buf = textmodel.Features(e.Text, buf[:0])
			fm.Predict(buf, &p)
			conf[e.Class][argmaxMapped(p[:], true)]++
			c, ok := classOf[reader.Text(e.Text).Category]
			if !ok {
				c = textmodel.ClassNeutral // neutral or confused: no NLPCC row is either
			}
			full[e.Class][c]++
		}
		fmt.Fprintf(w, "  NLPCC fold %d/%d done\n", f+1, k)
	}
	fullF1, fullAcc := macroF1(full)
	fullOther := 0
	for _, row := range full {
		fullOther += row[textmodel.ClassNeutral]
	}
	fmt.Fprintf(w, "NLPCC %d-fold, full text reading (model + cues + fusion; %d rows read neutral or confused, counted wrong): macro-F1 %.4f, accuracy %.4f\n", k, fullOther, fullF1, fullAcc)
	for c := 1; c < textmodel.NumClasses; c++ {
		fmt.Fprintf(w, "  NLPCC %-9s F1 %.3f (%d rows)\n", textmodel.ClassNames[c], classF1(conf, c), rowSum(conf, c))
	}
	f1, acc := macroF1(conf)
	fmt.Fprintf(w, "NLPCC %d-fold (mapped 4 classes): macro-F1 %.4f, accuracy %.4f\n", k, f1, acc)
	return nil
}

// macroF1 is the macro-F1 and accuracy over the non-neutral classes of a confusion
// matrix (rows true); the neutral column holds rows predicted as none of them.
func macroF1(conf [textmodel.NumClasses][textmodel.NumClasses]int) (f1, acc float64) {
	var right, all int
	for c := 1; c < textmodel.NumClasses; c++ {
		f1 += classF1(conf, c)
		right += conf[c][c]
		all += rowSum(conf, c)
	}
	return f1 / float64(textmodel.NumClasses-1), float64(right) / float64(max(all, 1))
}

// classF1 is class c's F1 in a confusion matrix (rows true).
func classF1(conf [textmodel.NumClasses][textmodel.NumClasses]int, c int) float64 {
	tp := conf[c][c]
	if tp == 0 {
		return 0
	}
	var fp int
	for j := range textmodel.NumClasses {
		if j != c {
			fp += conf[j][c]
		}
	}
	pr, rc := float64(tp)/float64(tp+fp), float64(tp)/float64(rowSum(conf, c))
	return 2 * pr * rc / (pr + rc)
}

func rowSum(conf [textmodel.NumClasses][textmodel.NumClasses]int, c int) int {
	n := 0
	for _, v := range conf[c] {
		n += v
	}
	return n
}

func argmaxMapped(p []float64, skipNeutral bool) int {
	best := -1
	for i, x := range p {
		if skipNeutral && i == textmodel.ClassNeutral {
			continue
		}
		if best < 0 || x > p[best] {
			best = i
		}
	}
	return best
}

func headAccuracy(m *textmodel.Model, ex []textmodel.Example, skipNeutral bool) (float64, int) {
	var ok int
	buf := make([]uint32, 0, 1024)
	var p [textmodel.NumClasses]float64
	for _, e := range ex {
		buf = textmodel.Features(e.Text, buf[:0])
		m.Predict(buf, &p)
		if argmaxMapped(p[:], skipNeutral) == e.Class {
			ok++
		}
	}
	return float64(ok) / float64(len(ex)), len(ex)
}
