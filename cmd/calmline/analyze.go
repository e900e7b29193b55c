package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// errNoSpeech reports a file in which the VAD found no speech at all (silence, tones).
var errNoSpeech = errors.New("no speech found")

// errEmpty reports a WAV file without samples.
var errEmpty = errors.New("no audio samples")

// analyzer runs `calmline analyze`. Fields beyond the flags are hooks for the lead.
type analyzer struct {
	cfg      dsp.Config
	jsonOut  bool
	frames   bool
	plotPath string
	progress bool
	// oneCaller: the files are one caller's recordings, in order, so each is judged
	// against the caller's voice in the files before it.
	oneCaller bool
	judged    int // files the emotion hook has seen

	// emotion, when set, adds an "emotion" field to each file's JSON object
	// (voiceEmotion in the binary; nil in tests of the features alone). sameCaller
	// says the file continues the previous file's caller.
	emotion emotionHook
}

// emotionHook judges one analysed file; sameCaller continues the caller of the
// previous call instead of starting a new one.
type emotionHook func(r *dsp.Result, sameCaller bool) any

// newAnalyzeCmd returns the analyze command with an optional emotion hook.
func newAnalyzeCmd(emotion emotionHook) func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
		a := analyzer{emotion: emotion}
		fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.BoolVar(&a.jsonOut, "json", false, "one JSON object per file per line")
		fs.BoolVar(&a.frames, "frames", false, "include 10 ms frames (t, f0, db, speech) in the JSON (implies --json)")
		fs.StringVar(&a.plotPath, "plot", "", "draw pitch and loudness with utterance spans to this PNG (NAME_<file>.png for several files)")
		fs.DurationVar(&a.cfg.EndSilence, "end-silence", dsp.DefaultEndSilence, "silence that ends an utterance")
		fs.BoolVar(&a.cfg.ProsodicEndpoint, "prosodic-endpoint", false, "let falling/level pitch end utterances earlier/later")
		fs.BoolVar(&a.oneCaller, "one-caller", false, "the files are one caller's recordings in the order given: judge each file's emotion against the caller's voice in the files before it (default: every file is a new caller)")
		progress := fs.String("progress", "auto", "progress bar on stderr: auto (10+ files on a terminal), on, off")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: calmline analyze [--json] [--frames] [--plot OUT.png] [--one-caller] FILE.wav...")
			fs.PrintDefaults()
		}
		// Flags may come before, between or after the files.
		var files []string
		for rest := args; ; {
			if code, ok := parseArgs(fs, rest); !ok {
				return code
			}
			rest = fs.Args()
			if len(rest) == 0 {
				break
			}
			files = append(files, rest[0])
			rest = rest[1:]
		}
		if len(files) == 0 {
			fs.Usage()
			return 2
		}
		switch *progress {
		case "on":
			a.progress = true
		case "off":
		case "auto":
			a.progress = len(files) >= 10 && isTerminal(stderr)
		default:
			fmt.Fprintf(stderr, "calmline analyze: --progress must be auto, on or off, not %q\n", *progress)
			return 2
		}
		if a.frames {
			a.jsonOut = true
		}
		return a.run(ctx, files, stdout, stderr)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (a *analyzer) run(ctx context.Context, files []string, stdout, stderr io.Writer) int {
	enc := json.NewEncoder(stdout)
	failed := 0
	for i, file := range files {
		if err := ctx.Err(); err != nil {
			a.clearProgress(stderr)
			fmt.Fprintf(stderr, "calmline analyze: stopped after %d of %d files: %v\n", i, len(files), err)
			return 1
		}
		if a.progress {
			drawProgress(stderr, i, len(files))
		}
		if err := a.one(file, len(files) > 1, enc, stdout); err != nil {
			a.clearProgress(stderr)
			fmt.Fprintf(stderr, "calmline analyze: %s: %v\n", file, err)
			failed++
		}
	}
	if a.progress {
		drawProgress(stderr, len(files), len(files))
		fmt.Fprintln(stderr)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "calmline analyze: %d of %d files failed\n", failed, len(files))
		return 1
	}
	return 0
}

func (a *analyzer) clearProgress(w io.Writer) {
	if a.progress {
		fmt.Fprint(w, "\r\033[K")
	}
}

// drawProgress redraws a one-line bar: [#####-----] 12/388.
func drawProgress(w io.Writer, done, total int) {
	const width = 30
	n := done * width / max(1, total)
	fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat("-", width-n), done, total)
}

// fileReport is one line of --json output.
type fileReport struct {
	File       string          `json:"file"`
	DurationS  float64         `json:"duration_s"`
	Features   dsp.Features    `json:"features"`
	Utterances []dsp.Utterance `json:"utterances"`
	Frames     []frame         `json:"frames,omitempty"`
	Emotion    any             `json:"emotion,omitempty"`
}

// frame is one 10 ms hop in the JSON output.
type frame struct {
	T      float64 `json:"t"`
	F0     float64 `json:"f0"`
	DB     float64 `json:"db"`
	Speech bool    `json:"speech"`
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func (a *analyzer) one(file string, many bool, enc *json.Encoder, stdout io.Writer) error {
	pcm, err := audio.Load16k(file)
	if err != nil {
		return err
	}
	if len(pcm) == 0 {
		return errEmpty
	}
	res := dsp.Analyze(pcm, a.cfg)
	if len(res.Utterances) == 0 {
		return errNoSpeech
	}
	if a.plotPath != "" {
		out := a.plotPath
		if many {
			ext := filepath.Ext(out)
			base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			out = strings.TrimSuffix(out, ext) + "_" + base + ext
		}
		if err := plotResult(res, file, out); err != nil {
			return err
		}
	}
	if !a.jsonOut {
		writeText(stdout, file, res)
		return nil
	}
	rep := fileReport{File: file, DurationS: round(res.DurationS, 3), Features: res.Features, Utterances: res.Utterances}
	if a.frames {
		rep.Frames = make([]frame, len(res.Hops))
		for i, h := range res.Hops {
			rep.Frames[i] = frame{T: round(h.T, 3), F0: round(float64(h.F0), 1), DB: round(float64(h.DB), 1), Speech: h.Speech}
		}
	}
	if a.emotion != nil {
		rep.Emotion = a.emotion(res, a.oneCaller && a.judged > 0)
		a.judged++
	}
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func writeText(w io.Writer, file string, r *dsp.Result) {
	f := r.Features
	fmt.Fprintf(w, "%s: %.2f s, %d utterance(s)\n", file, r.DurationS, len(r.Utterances))
	fmt.Fprintf(w, "  pitch     mean %.0f Hz, median %.0f Hz, range %.1f st, sd %.1f st, slope %+.1f st/s\n",
		f.PitchMeanHz, f.PitchMedianHz, f.PitchRangeST, f.PitchSDST, f.PitchSlopeSTPerS)
	fmt.Fprintf(w, "  loudness  mean %.1f dBFS, sd %.1f dB, max %.1f dBFS, %.1f peaks/s\n",
		f.LoudMeanDB, f.LoudSDDB, f.LoudMaxDB, f.LoudPeakRate)
	fmt.Fprintf(w, "  rate      %d syllables, %.2f syl/s, articulation %.2f syl/s\n",
		f.Syllables, f.SpeechRate, f.ArticulationRate)
	fmt.Fprintf(w, "  pauses    %d, mean %.2f s, longest %.2f s, ratio %.2f\n",
		f.Pauses, f.PauseMeanS, f.PauseMaxS, f.PauseRatio)
	for i, u := range r.Utterances {
		fmt.Fprintf(w, "  utterance %d: %.2f-%.2f s (%s), %.0f Hz, %.2f syl/s\n",
			i+1, u.StartS, u.EndS, u.EndReason, u.Features.PitchMedianHz, u.Features.SpeechRate)
	}
}

// plotResult draws the pitch contour above the loudness contour, utterance spans shaded.
func plotResult(r *dsp.Result, title, out string) error {
	pitch := plot.New()
	pitch.Title.Text = filepath.Base(title)
	pitch.Y.Label.Text = "F0 (Hz)"
	loud := plot.New()
	loud.X.Label.Text = "time (s)"
	loud.Y.Label.Text = "level (dBFS)"
	pitch.X.Min, pitch.X.Max = 0, r.DurationS
	loud.X.Min, loud.X.Max = 0, r.DurationS

	var pts, lpts plotter.XYs
	for _, h := range r.Hops {
		if h.F0 > 0 {
			pts = append(pts, plotter.XY{X: h.T, Y: float64(h.F0)})
		}
		lpts = append(lpts, plotter.XY{X: h.T, Y: math.Max(float64(h.DB), -80)})
	}
	fmax, lmin, lmax := 100.0, -80.0, -80.0
	for _, p := range pts {
		fmax = math.Max(fmax, p.Y)
	}
	for _, p := range lpts {
		lmax = math.Max(lmax, p.Y)
	}
	shade := color.NRGBA{R: 120, G: 180, B: 255, A: 60}
	for _, u := range r.Utterances {
		for _, pl := range []struct {
			p      *plot.Plot
			lo, hi float64
		}{{pitch, 0, fmax * 1.1}, {loud, lmin, lmax + 5}} {
			poly, err := plotter.NewPolygon(plotter.XYs{{X: u.StartS, Y: pl.lo}, {X: u.EndS, Y: pl.lo}, {X: u.EndS, Y: pl.hi}, {X: u.StartS, Y: pl.hi}})
			if err != nil {
				return fmt.Errorf("plot utterance span: %w", err)
			}
			poly.Color = shade
			poly.LineStyle.Width = 0
			pl.p.Add(poly)
		}
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("plot pitch: %w", err)
		}
		sc.GlyphStyle.Radius = vg.Points(1.2)
		sc.GlyphStyle.Color = color.RGBA{R: 200, A: 255}
		pitch.Add(sc)
	}
	ln, err := plotter.NewLine(lpts)
	if err != nil {
		return fmt.Errorf("plot loudness: %w", err)
	}
	ln.Color = color.RGBA{B: 160, A: 255}
	loud.Add(ln)

	const w, h = 10 * vg.Inch, 6 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: vg.Millimeter, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{pitch}, {loud}}
	canvases := plot.Align(plots, tiles, dc)
	pitch.Draw(canvases[0][0])
	loud.Draw(canvases[1][0])

	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create plot: %w", err)
	}
	png := vgimg.PngCanvas{Canvas: img}
	if _, err := png.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write plot %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write plot %s: %w", out, err)
	}
	return nil
}
