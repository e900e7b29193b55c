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

	"github.com/calmline/calmline/emotion"
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
		fmt.Fprintln(stderr, "usage: calmline emotion [--fusion FILE] < lines.txt\n       calmline emotion refit --labels FILE [--out FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
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

// runEmotionRefit re-fits the fusion weights on human feedback labels (JSON lines,
// emotion.Label) and prints the accuracy before and after on those labels.
func runEmotionRefit(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emotion refit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	labels := fs.String("labels", "", "feedback labels, one JSON emotion.Label per line (required)")
	out := fs.String("out", "", "write the re-fitted fusion weights here (JSON); default: print them")
	fusionFile := fs.String("fusion", "", "start from these fusion weights instead of the built-in ones")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *labels == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: calmline emotion refit --labels FILE [--out FILE] [--fusion FILE]")
		return 2
	}
	var opts []emotion.Option
	if *fusionFile != "" {
		w, err := readFusion(*fusionFile)
		if err != nil {
			fmt.Fprintln(stderr, "calmline emotion refit:", err)
			return 2
		}
		opts = append(opts, emotion.WithFusion(w))
	}
	m, err := emotion.Default(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit:", err)
		return 1
	}
	f, err := os.Open(*labels)
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit: open labels:", err)
		return 2
	}
	defer f.Close()
	ls, err := emotion.ReadLabels(f)
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit:", err)
		return 2
	}
	w, rep, err := m.Refit(ls)
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit:", err)
		return 1
	}
	fmt.Fprintf(stdout, "labels: %d\ncategory accuracy: before %.3f, after %.3f\nlog loss: before %.3f, after %.3f\n",
		rep.Labels, rep.AccuracyBefore, rep.AccuracyAfter, rep.LossBefore, rep.LossAfter)
	if rep.LevelLabels > 0 {
		fmt.Fprintf(stdout, "level accuracy (%d labelled): before %.3f, after %.3f\n", rep.LevelLabels, rep.LevelBefore, rep.LevelAfter)
	}
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit:", err)
		return 1
	}
	if *out == "" {
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(stderr, "calmline emotion refit: write weights:", err)
		return 1
	}
	fmt.Fprintln(stdout, "weights written to", *out)
	return 0
}
