package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
)

// emotionLine is one output line of `calmline emotion`: the reading's public keys,
// without the internal evidence, so scripts get a stable shape.
type emotionLine struct {
	Text       string                       `json:"text"`
	Category   emotion.Category             `json:"category"`
	Level      emotion.Level                `json:"level"`
	Confidence float64                      `json:"confidence"`
	Arousal    float64                      `json:"arousal"`
	Valence    float64                      `json:"valence"`
	Scores     map[emotion.Category]float64 `json:"scores"`
	Cues       []emotion.Cue                `json:"cues"`
	Lang       string                       `json:"lang"`
}

// runEmotion reads text lines on stdin and prints one JSON reading per line; with
// `refit` it re-fits the fusion weights on feedback labels.
func runEmotion(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "refit" {
		return runEmotionRefit(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("emotion", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fusionFile := fs.String("fusion", "", "fusion weights JSON (written by calmline emotion refit --out); default: built-in")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: calmline emotion [--fusion FILE] < lines.txt\n       calmline emotion refit (--labels FILE | --store) [--out FILE]")
		fs.PrintDefaults()
	}
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	var opts []emotion.Option
	if *fusionFile != "" {
		w, err := readFusion(*fusionFile)
		if err != nil {
			fmt.Fprintln(stderr, "calmline emotion:", err)
			return 2
		}
		opts = append(opts, emotion.WithFusion(w))
	}
	m, err := emotion.Default(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion:", err)
		return 1
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		if ctx.Err() != nil {
			return 1
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		out := toEmotionLine(line, m.Text(line))
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "calmline emotion: write:", err)
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(stderr, "calmline emotion: read stdin:", err)
		return 1
	}
	return 0
}

func readFusion(path string) (emotion.FusionWeights, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return emotion.FusionWeights{}, fmt.Errorf("read fusion weights: %w", err)
	}
	w := emotion.DefaultFusion()
	if err := json.Unmarshal(b, &w); err != nil {
		return emotion.FusionWeights{}, fmt.Errorf("parse fusion weights %s: %w", path, err)
	}
	return w, w.Validate()
}

func roundScores[K comparable](s map[K]float64) map[K]float64 {
	out := make(map[K]float64, len(s))
	for k, v := range s {
		out[k] = round(v, 3)
	}
	return out
}

// runEmotionRefit re-fits the fusion weights on human feedback labels, from a JSON
// lines file (emotion.Label) or straight from the store's feedback table, and
// prints the accuracy before and after: on the labels themselves and, with enough
// of them, on labels held out of the fit. It will not write weights that do worse
// on held-out labels than the ones they replace unless told to.
func runEmotionRefit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emotion refit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	labels := fs.String("labels", "", "feedback labels, one JSON emotion.Label per line")
	fromStore := fs.Bool("store", false, "read the labels from the store's feedback (POST /v1/feedback) instead")
	cfgPath := fs.String("config", "config/calmline.yaml", "with --store: the configuration naming the store")
	since := fs.String("since", "", "with --store: only labels given from this date (2006-01-02 or RFC 3339)")
	saveLabels := fs.String("save-labels", "", "also write the labels read to this file (JSON lines), to keep or inspect")
	out := fs.String("out", "", "write the re-fitted fusion weights here (JSON); default: print them")
	fusionFile := fs.String("fusion", "", "start from these fusion weights (default: the config's emotion.fusion with --store, else built-in)")
	force := fs.Bool("force", false, "write the weights even when they do worse on held-out labels")
	usage := "usage: calmline emotion refit (--labels FILE | --store [--config FILE] [--since DATE]) [--out FILE] [--fusion FILE] [--save-labels FILE] [--force]"
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	if (*labels == "") == !*fromStore || fs.NArg() > 0 || (!*fromStore && *since != "") {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "calmline emotion refit:", err)
		return code
	}
	var ls []emotion.Label
	startFrom := *fusionFile
	if *fromStore {
		var code int
		var err error
		ls, startFrom, code, err = storeLabels(ctx, *cfgPath, *since, startFrom, stdout)
		if err != nil {
			return fail(code, err)
		}
	} else {
		f, err := os.Open(*labels)
		if err != nil {
			return fail(2, fmt.Errorf("open labels: %w", err))
		}
		ls, err = emotion.ReadLabels(f)
		f.Close()
		if err != nil {
			return fail(2, err)
		}
	}
	if *saveLabels != "" {
		if err := writeLabels(*saveLabels, ls); err != nil {
			return fail(1, err)
		}
	}
	var opts []emotion.Option
	if startFrom != "" {
		w, err := readFusion(startFrom)
		if err != nil {
			return fail(2, err)
		}
		opts = append(opts, emotion.WithFusion(w))
	}
	m, err := emotion.Default(opts...)
	if err != nil {
		return fail(1, err)
	}
	w, rep, err := m.Refit(ls)
	if err != nil {
		return fail(1, err)
	}
	fmt.Fprintf(stdout, "labels: %d\non the labels fitted to: category accuracy %.3f -> %.3f, log loss %.3f -> %.3f\n",
		rep.Labels, rep.AccuracyBefore, rep.AccuracyAfter, rep.LossBefore, rep.LossAfter)
	if rep.LevelLabels > 0 {
		fmt.Fprintf(stdout, "level accuracy (%d labelled): %.3f -> %.3f\n", rep.LevelLabels, rep.LevelBefore, rep.LevelAfter)
	}
	worse := false
	if h := rep.HeldOut; h != nil {
		fmt.Fprintf(stdout, "held out (%d folds, each judged by weights fitted without it): category accuracy %.3f -> %.3f, log loss %.3f -> %.3f\n",
			h.Folds, h.AccuracyBefore, h.AccuracyAfter, h.LossBefore, h.LossAfter)
		worse = h.AccuracyAfter < h.AccuracyBefore || h.AccuracyAfter == h.AccuracyBefore && h.LossAfter > h.LossBefore
	} else {
		fmt.Fprintf(stdout, "too few labels to hold any out (%d, want %d): the figures above are on the labels the weights were fitted to\n",
			rep.Labels, emotion.MinHeldOut)
	}
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fail(1, err)
	}
	if worse && !*force {
		fmt.Fprintln(stderr, "calmline emotion refit: the re-fitted weights do worse on held-out labels than the current ones; not written (--force writes them anyway)")
		return 1
	}
	if *out == "" {
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return fail(1, fmt.Errorf("write weights: %w", err))
	}
	fmt.Fprintf(stdout, "weights written to %s; the server reads them with emotion.fusion: %s in its configuration (restart to apply)\n", *out, *out)
	return 0
}

// storeLabels reads the feedback table of the configured store as refit labels. It
// also returns the fusion weights to start from: the given file, else the ones
// the configuration already serves with.
func storeLabels(ctx context.Context, cfgPath, since, fusion string, stdout io.Writer) (ls []emotion.Label, startFrom string, code int, err error) {
	var from time.Time
	if since != "" {
		if from, err = parseSince(since); err != nil {
			return nil, "", 2, err
		}
	}
	cfg, err := config.Load(cfgPath, os.Getenv)
	if err != nil {
		return nil, "", 2, err
	}
	if fusion == "" {
		fusion = cfg.Emotion.Fusion
	}
	// Refit runs beside the servers, often from another build: it reads the
	// feedback and must leave the schema as the servers expect it.
	db, err := openStore(ctx, cfg, true)
	switch {
	case errors.Is(err, store.ErrSchemaTooOld):
		return nil, "", 1, fmt.Errorf("%w: refit does not migrate a store the servers use; run the refit of the calmline the servers run, or upgrade the servers first (they migrate at start)", err)
	case errors.Is(err, store.ErrSchemaTooNew):
		return nil, "", 1, fmt.Errorf("%w: run the refit of the calmline the servers run", err)
	case err != nil:
		return nil, "", 1, err
	}
	defer db.Close()
	fb, err := db.Feedback(ctx, from)
	if err != nil {
		return nil, "", 1, err
	}
	skipped := 0
	for _, f := range fb {
		l, ok := f.Label()
		if !ok {
			skipped++
			continue
		}
		ls = append(ls, l)
	}
	fmt.Fprintf(stdout, "feedback in the store: %d", len(fb))
	if skipped > 0 {
		fmt.Fprintf(stdout, " (%d on turns with neither words nor voice, skipped)", skipped)
	}
	fmt.Fprintln(stdout)
	if len(ls) == 0 {
		return nil, "", 1, emotion.ErrNoLabels
	}
	return ls, fusion, 0, nil
}

// parseSince reads a date or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a date (2006-01-02) or an RFC 3339 time", s)
	}
	return t, nil
}

// writeLabels writes labels as JSON lines, the format --labels reads back.
func writeLabels(path string, ls []emotion.Label) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save labels: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range ls {
		if err := enc.Encode(l); err != nil {
			f.Close()
			return fmt.Errorf("save labels: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("save labels: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save labels: %w", err)
	}
	return nil
}
