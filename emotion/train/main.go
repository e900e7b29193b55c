// Command train builds calmline's text emotion model from the shared data sets and
// measures it, so the shipped weights (emotion/models/text.bin.gz) are reproducible:
//
//	go run ./emotion/train            # train, write emotion/models/text.bin.gz
//	go run ./emotion/train -eval      # train, write, then measure (BENCHMARKS.md numbers)
//	go run ./emotion/train -eval -no-train   # measure the weights already in the tree
//
// Label mapping (docs/emotion.md): dair_emotion joy, love → satisfied; anger → angry;
// fear → anxious; sadness → sad; surprise is dropped. NLPCC like, happiness →
// satisfied; anger, disgust → angry; fear → anxious; sadness → sad; surprise is
// dropped. The review sets train the valence head only. Neutral comes from
// neutral.txt (hand-made support-call utterances).
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/calmline/calmline/internal/repo"

	"github.com/calmline/calmline/emotion/internal/textmodel"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

type options struct {
	data, out, neutral string
	eval, noTrain      bool
	folds              int
	cfg                textmodel.Config
	val                valenceSetting // the valence head's trainer (first value of each -v flag)
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	root, _ := repo.Root()
	var o options
	fs.StringVar(&o.data, "data", filepath.Join(root, "..", "shared", "datasets"), "shared data sets directory")
	fs.StringVar(&o.out, "out", filepath.Join(root, "emotion", "models", "text.bin.gz"), "weights file to write")
	fs.StringVar(&o.neutral, "neutral", filepath.Join(root, "emotion", "train", "neutral.txt"), "hand-made neutral utterances")
	fs.BoolVar(&o.eval, "eval", false, "measure the model (dair val, waimai held-out fold, NLPCC k-fold)")
	fs.BoolVar(&o.noTrain, "no-train", false, "with -eval: measure the weights already in -out")
	fs.IntVar(&o.folds, "folds", 5, "folds for the NLPCC cross-validation")
	bits := fs.Uint("bits", 20, "feature table size 2^bits")
	fs.IntVar(&o.cfg.Epochs, "epochs", 12, "SGD epochs")
	fs.Float64Var(&o.cfg.LR, "lr", 3, "initial learning rate")
	fs.Float64Var(&o.cfg.L2, "l2", 0, "weight decay")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "random seed (shuffles, folds, calibration split)")
	var vg valenceGrid
	valCV := fs.Bool("valence-cv", false, "choose the valence head's settings by cross-validation inside waimai folds 1-4, then score fold 0 once")
	// the valence head's trainer: the first value of each list trains the shipped
	// model; -valence-cv tries every combination
	fs.StringVar(&vg.opt, "vopt", "adagrad", "valence head optimiser: adagrad, sgd (the category trainer); adagrad-avg averages epochs, -sqh squared hinge, +x adds valence-only features (-valence-cv only)")
	fs.StringVar(&vg.sources, "vsrc", "wond", "valence data for -valence-cv (w waimai, o other reviews, n NLPCC, d dair); training always uses all")
	fs.StringVar(&vg.epochs, "vepochs", "30", "valence head epochs")
	fs.StringVar(&vg.lr, "vlr", "0.05", "valence head AdaGrad learning rate")
	fs.StringVar(&vg.l2, "vl2", "0", "valence head L2")
	fs.StringVar(&vg.nb, "vnb", "0", "valence head NB log-count-ratio smoothing (0 = off)")
	fs.StringVar(&vg.waimaiW, "vww", "8", "valence head weight of waimai rows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.cfg.Bits = uint8(*bits)
	o.cfg.MaxFeatures = 600
	grid, err := vg.settings(o.cfg.Seed)
	if err != nil {
		return err
	}
	o.val = grid[0]

	ds, err := loadAll(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data: dair train %d, nlpcc %d, reviews %d (waimai held-out fold %d), neutral %d\n",
		len(ds.dairTrain), len(ds.nlpcc), len(ds.reviews), len(ds.waimaiHeld), len(ds.neutral))
	if *valCV {
		return valenceCV(o, ds, vg, stdout)
	}

	if !o.noTrain {
		t0 := time.Now()
		m := trainModel(o.cfg, o.val, ds.trainingSet(nil))
		m.About = fmt.Sprintf("calmline text model: dair_emotion train + NLPCC + waimai (minus fold 0) + online_shopping + chnsenticorp + neutral.txt; bits %d, epochs %d, lr %g, l2 %g, seed %d; valence head %s",
			o.cfg.Bits, o.cfg.Epochs, o.cfg.LR, o.cfg.L2, o.cfg.Seed, o.val)
		b, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, b, 0o644); err != nil {
			return fmt.Errorf("write weights: %w", err)
		}
		fmt.Fprintf(stdout, "trained in %s: %s (%d bytes), temperatures cat %.2f val %.2f\n",
			time.Since(t0).Round(time.Millisecond), o.out, len(b), m.CatTemp, m.ValTemp)
	}
	if o.eval {
		return evaluate(o, ds, stdout)
	}
	return nil
}

// trainModel trains on 90% of the data and calibrates on the remaining 10%. The
// category head is trained by Train; unless val.opt is "sgd", the valence head is
// then re-trained by its own trainer (TrainValence), with waimai rows weighted
// val.waimaiW (set as ValWeight when loading).
func trainModel(cfg textmodel.Config, val valenceSetting, ex []textmodel.Example) *textmodel.Model {
	devEx, trEx := splitDev(ex, cfg.Seed)
	dev := textmodel.Prepare(devEx, cfg.MaxFeatures)
	tr := textmodel.Prepare(trEx, cfg.MaxFeatures)
	m := textmodel.Train(tr, cfg)
	if val.opt != "sgd" {
		vc := val.cfg
		vc.Average = strings.Contains(val.opt, "avg")
		vc.Hinge = strings.Contains(val.opt, "sqh")
		textmodel.TrainValence(m, tr, vc)
	}
	m.Calibrate(dev)
	return m
}

// splitDev shuffles ex in place by seed and splits off the tenth the model does not
// train on: trainModel calibrates on it, and TestTuneValence chooses fusion's
// valence shares on it.
func splitDev(ex []textmodel.Example, seed uint64) (dev, train []textmodel.Example) {
	rng := rand.New(rand.NewPCG(seed, 99))
	rng.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
	nDev := len(ex) / 10
	return ex[:nDev], ex[nDev:]
}

// datasets holds every labelled sentence the tool uses.
type datasets struct {
	dairTrain, dairVal []textmodel.Example
	nlpcc              []textmodel.Example
	reviews            []textmodel.Example // valence only; waimai fold 0 excluded
	waimaiHeld         []textmodel.Example
	waimaiTrain        []textmodel.Example // waimai folds 1-4 (also in reviews)
	waimaiFold         []int               // fold (1-4) of each waimaiTrain row
	otherReviews       []textmodel.Example // online_shopping + chnsenticorp (also in reviews)
	neutral            []textmodel.Example
}

// trainingSet is everything the shipped model learns from; skipNLPCC (may be nil)
// leaves NLPCC rows out for cross-validation.
func (d *datasets) trainingSet(skipNLPCC func(i int) bool) []textmodel.Example {
	var ex []textmodel.Example
	ex = append(ex, d.dairTrain...)
	for i, e := range d.nlpcc {
		if skipNLPCC == nil || !skipNLPCC(i) {
			ex = append(ex, e)
		}
	}
	ex = append(ex, d.reviews...)
	// the neutral set is tiny: repeat it so the head does not ignore it
	for range 12 {
		ex = append(ex, d.neutral...)
	}
	balance(ex)
	return ex
}

// balance weights category examples by 1/sqrt(class frequency), so rare classes
// (fear, neutral) are not drowned, without overweighting them wildly.
func balance(ex []textmodel.Example) {
	var n [textmodel.NumClasses]float64
	var tot float64
	for _, e := range ex {
		if e.Class >= 0 {
			n[e.Class]++
			tot++
		}
	}
	for i := range ex {
		if ex[i].Weight == 0 {
			ex[i].Weight = 1
		}
		if c := ex[i].Class; c >= 0 {
			w := tot / (textmodel.NumClasses * n[c])
			if w > 1 {
				w = 1 + (w-1)*0.5
			}
			if w > 4 {
				w = 4
			}
			ex[i].Weight = w
		}
	}
}

var dairMap = map[string]int{"joy": textmodel.ClassSatisfied, "love": textmodel.ClassSatisfied,
	"anger": textmodel.ClassAngry, "fear": textmodel.ClassAnxious, "sadness": textmodel.ClassSad}

var nlpccMap = map[string]int{"like": textmodel.ClassSatisfied, "happiness": textmodel.ClassSatisfied,
	"anger": textmodel.ClassAngry, "disgust": textmodel.ClassAngry, "fear": textmodel.ClassAnxious,
	"sadness": textmodel.ClassSad}

func classExample(text string, c int) textmodel.Example {
	v := 0
	if c == textmodel.ClassSatisfied {
		v = 1
	}
	return textmodel.Example{Text: text, Class: c, Valence: v}
}

func loadAll(o options) (*datasets, error) {
	if _, err := os.Stat(o.data); err != nil {
		return nil, fmt.Errorf("data sets not found at %s (pass -data): %w", o.data, err)
	}
	ds := &datasets{}
	var err error
	if ds.dairTrain, err = loadDair(filepath.Join(o.data, "dair_emotion", "train.txt")); err != nil {
		return nil, err
	}
	if ds.dairVal, err = loadDair(filepath.Join(o.data, "dair_emotion", "val.txt")); err != nil {
		return nil, err
	}
	rows, err := readCSV(filepath.Join(o.data, "nlpcc_weibo_emotion_zh", "data.csv"), 0, 1)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if c, ok := nlpccMap[r[0]]; ok {
			ds.nlpcc = append(ds.nlpcc, classExample(r[1], c))
		}
	}
	// waimai: fold 0 of 5 (seeded shuffle) is held out for the valence measurement
	rows, err = readCSV(filepath.Join(o.data, "waimai_10k_zh", "data.csv"), 0, 1)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.cfg.Seed, 5))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for i, r := range rows {
		e := textmodel.Example{Text: r[1], Class: -1, Valence: label01(r[0]), Weight: waimaiWeight, ValWeight: o.val.waimaiW}
		if e.Valence < 0 {
			continue
		}
		if i%5 == 0 {
			ds.waimaiHeld = append(ds.waimaiHeld, e)
		} else {
			ds.reviews = append(ds.reviews, e)
			ds.waimaiTrain = append(ds.waimaiTrain, e)
			ds.waimaiFold = append(ds.waimaiFold, i%5)
		}
	}
	for _, f := range []struct {
		path          string
		label, review int
	}{
		{filepath.Join(o.data, "online_shopping_10_cats_zh", "online_shopping_10_cats.csv"), 1, 2},
		{filepath.Join(o.data, "chnsenticorp_htl_zh", "ChnSentiCorp_htl_all.csv"), 0, 1},
	} {
		rows, err := readCSV(f.path, f.label, f.review)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if v := label01(r[0]); v >= 0 && strings.TrimSpace(r[1]) != "" {
				e := textmodel.Example{Text: r[1], Class: -1, Valence: v}
				ds.reviews = append(ds.reviews, e)
				ds.otherReviews = append(ds.otherReviews, e)
			}
		}
	}
	nb, err := os.ReadFile(o.neutral)
	if err != nil {
		return nil, fmt.Errorf("read neutral set: %w", err)
	}
	for _, l := range strings.Split(string(nb), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ds.neutral = append(ds.neutral, textmodel.Example{Text: l, Class: textmodel.ClassNeutral, Valence: -1})
		}
	}
	return ds, nil
}

// waimaiWeight favours the review set closest to customer complaints.
const waimaiWeight = 4

func label01(s string) int {
	switch strings.TrimSpace(s) {
	case "0":
		return 0
	case "1":
		return 1
	}
	return -1
}

// loadDair reads "text;label" lines after the header; surprise rows are dropped.
func loadDair(path string) ([]textmodel.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dair_emotion: %w", err)
	}
	defer f.Close()
	var out []textmodel.Example
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		line := sc.Text()
		i := strings.LastIndexByte(line, ';')
		if i < 0 {
			continue
		}
		if c, ok := dairMap[line[i+1:]]; ok {
			out = append(out, classExample(line[:i], c))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// readCSV returns [label, text] pairs from the given columns, skipping the header.
func readCSV(path string, labelCol, textCol int) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open data set: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out [][2]string
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if first || len(rec) <= labelCol || len(rec) <= textCol {
			continue
		}
		out = append(out, [2]string{rec[labelCol], strings.TrimPrefix(rec[textCol], "\ufeff")})
	}
	return out, nil
}
