// Command trainvoice trains and evaluates calmline's acoustic emotion model on EmoDB
// (../shared/datasets/emodb), speaker-independently.
//
//	go run ./emotion/trainvoice -eval   leave-one-speaker-out report only
//	go run ./emotion/trainvoice         report, then train on all speakers and write emotion/models/voice.json
//
// Every number it prints is out-of-speaker: the model never saw the scored speaker.
// See docs/emotion-voice.md for what the baseline schemes mean.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/calmline/calmline/internal/repo"

	"github.com/calmline/calmline/emotion"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trainvoice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root, _ := repo.Root()
	data := fs.String("data", filepath.Join(root, "..", "shared", "datasets", "emodb"), "EmoDB directory (labels.csv + wav/)")
	out := fs.String("out", filepath.Join(root, "emotion", "models", "voice.json"), "where to write the trained model")
	evalOnly := fs.Bool("eval", false, "only run the leave-one-speaker-out evaluation; write nothing")
	cache := fs.String("cache", "", "feature cache file (JSON); read if present, written otherwise")
	trainMode := fs.String("train-baseline", "mixed", "training speakers' baseline: all | random (5-clip draws) | neutral (3 neutral clips) | mixed (random and neutral draws)")
	reps := fs.Int("reps", 5, "repetitions of the random-baseline schemes per held-out speaker")
	seed := fs.Uint64("seed", 1, "random seed (baseline draws)")
	l2 := fs.Float64("l2", 0.01, "L2 penalty")
	iters := fs.Int("iters", 3000, "gradient steps")
	hidden := fs.Int("hidden", 0, "hidden tanh units (0 = multinomial logistic regression)")
	hopQuality := fs.Bool("hop-quality", false, "experiment (needs -eval): add voice-quality stand-ins from dsp hops in the jitter/shimmer slots")
	exclude := fs.String("exclude", "loud_db", "comma-separated features the model must not use (EmoDB's level normalisation makes level-vs-baseline meaningless, even inverted)")
	calib := fs.String("calibrate-on", schemeRandom, "baseline scheme whose out-of-speaker logits fit the calibration")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *hopQuality && !*evalOnly {
		fmt.Fprintln(stderr, "trainvoice: -hop-quality is an experiment and needs -eval (live calls have no such features)")
		return 2
	}
	if err := train(stdout, *data, *out, *evalOnly, *hopQuality, *cache, *trainMode, *reps, *seed, *l2, *iters, *hidden, *calib, *exclude); err != nil {
		fmt.Fprintf(stderr, "trainvoice: %v\n", err)
		return 1
	}
	return 0
}

func train(w io.Writer, data, out string, evalOnly, hopQuality bool, cache, trainMode string, reps int, seed uint64, l2 float64, iters, hidden int, calib, exclude string) error {
	switch trainMode {
	case "all", "random", "neutral", "mixed":
	default:
		return fmt.Errorf("unknown -train-baseline %q", trainMode)
	}
	clips, err := readLabels(data)
	if err != nil {
		return fmt.Errorf("load EmoDB from %s: %w", data, err)
	}
	t0 := time.Now()
	if err := extractAll(data, clips, cache, hopQuality); err != nil {
		return fmt.Errorf("extract features: %w", err)
	}
	fmt.Fprintf(w, "EmoDB: %d clips, features in %.1fs\n", len(clips), time.Since(t0).Seconds())
	bySpk := map[string][]clip{}
	unusable := 0
	for _, c := range clips {
		if c.F.VoicedS < 0.25 || c.F.PitchMedianHz <= 0 {
			unusable++
		}
		bySpk[c.Speaker] = append(bySpk[c.Speaker], c)
	}
	if unusable > 0 {
		fmt.Fprintf(w, "warning: %d clips have too little voiced speech; they are skipped in training and scored as they come\n", unusable)
	}
	cfg := emotion.VoiceTrainConfig{Classes: classNames, Categories: classCats, High: classHigh, L2: l2, Iters: iters, Hidden: hidden, Seed: seed}
	if exclude != "" {
		cfg.Exclude = strings.Split(exclude, ",")
	}
	res, err := loso(bySpk, cfg, trainMode, reps, seed)
	if err != nil {
		return err
	}
	cr, ok := res[calib]
	if !ok {
		return fmt.Errorf("unknown -calibrate-on %q", calib)
	}
	logits := make([]emotion.VoiceLogits, len(cr.outs))
	ys := make([]int, len(cr.outs))
	for i, o := range cr.outs {
		logits[i], ys[i] = o.logits, o.class
	}
	temp, a, b := emotion.FitVoiceCalibration(logits, ys, classHigh)

	fmt.Fprintf(w, "\nLeave-one-speaker-out over %d speakers; training baseline %q; calibration (T=%.2f, arousal a=%.2f b=%.2f) fitted on %q\n\n",
		len(bySpk), trainMode, temp, a, b, calib)
	fmt.Fprintln(w, "| baseline | n    | 7-class | UAR    | calmline cat | arousal | arousal (class) | anger F1 | log-loss | arousal ECE |")
	fmt.Fprintln(w, "|----------|------|---------|--------|--------------|---------|-----------------|----------|----------|-------------|")
	summary := ""
	for _, s := range schemes {
		m := computeMetrics(res[s].outs, temp, a, b)
		printMetrics(w, s, m)
		if s != schemeNone {
			summary += fmt.Sprintf(" %s-baseline: 7-class %.1f%%, arousal %.1f%%, anger F1 %.2f;", s, 100*m.acc, 100*m.arousalAcc, m.angerF1)
		}
	}
	fmt.Fprintf(w, "\nLive listener (the runtime path: a fresh VoiceListener per held-out speaker, clips in random order, %d orders each):\n\n", reps)
	fmt.Fprintln(w, "| scored      | n    | calmline cat | arousal | angry F1 (anger+disgust) | unvoiced |")
	fmt.Fprintln(w, "|-------------|------|--------------|---------|--------------------------|----------|")
	for _, from := range []int{0, 1, 4} {
		printLive(w, res["live"].live, from)
	}
	for _, s := range []string{schemeAll, schemeRandom} {
		fmt.Fprintf(w, "\nconfusion, baseline %q:\n", s)
		printConfusion(w, computeMetrics(res[s].outs, temp, a, b))
	}
	if evalOnly {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	kind := "multinomial logistic regression"
	if hidden > 0 {
		kind = fmt.Sprintf("MLP (%d tanh units)", hidden)
	}
	cfg.About = fmt.Sprintf("EmoDB (7 speakers, 2 s clips), %s on %d baseline-relative prosody features, training baseline %q, L2 %g, excluded %q; leave-one-speaker-out:%s",
		kind, len(emotion.VoiceFeatureNames()), trainMode, l2, exclude, summary)
	m, err := emotion.TrainVoice(trainExamples(bySpk, trainMode, rng), cfg)
	if err != nil {
		return err
	}
	if err := m.SetCalibration(temp, a, b, ""); err != nil {
		return err
	}
	js, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(out, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	fmt.Fprintf(w, "\nwrote %s (%d bytes)\n", out, len(js))
	return nil
}
