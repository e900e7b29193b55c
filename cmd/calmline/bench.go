package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/asr/sphinx"
	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/tts"
	"github.com/calmline/calmline/tts/espeak"
)

// runBench measures calmline's hot paths on this machine, so an operator can size a
// server (calls per core) before taking traffic. The same figures, with their method,
// are in BENCHMARKS.md; `make bench` runs the package benchmarks too.
func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flows := fs.String("flows", "config/flows", "flow files or directory for the dialog measurement")
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "what\tper op\tallocs/op\tnote")
	row := func(name string, r testing.BenchmarkResult, note string) {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", name, time.Duration(r.NsPerOp()), r.AllocsPerOp(), note)
	}
	failed := false
	fail := func(name string, err error) {
		failed = true
		fmt.Fprintf(w, "%s\t-\t-\tfailed: %v\n", name, err)
	}

	speech, err := benchSpeech()
	if err != nil {
		fmt.Fprintln(stderr, "calmline bench: no espeak-ng speech, using a synthetic voice:", err)
		speech = synthVoice(3 * time.Second)
	}
	frames := len(speech) / telephony.FrameSamples
	st := dsp.NewStream(dsp.Config{ProsodicEndpoint: true})
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f := i % frames
			st.Write(speech[f*telephony.FrameSamples : (f+1)*telephony.FrameSamples])
		}
	})
	row("dsp: one 20 ms frame", r, fmt.Sprintf("%.0fx real time per core", float64(telephony.FrameDuration)/float64(r.NsPerOp())))

	model, err := emotion.Default()
	if err != nil {
		fail("emotion", err)
	} else {
		for _, s := range []string{"这个问题已经第三次出现了，你们到底有没有解决方案？", "This is the third time I'm calling about my refund."} {
			r = testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					model.Text(s)
				}
			})
			row("emotion: text reading", r, fmt.Sprintf("%d runes", len([]rune(s))))
		}
		tr := model.Text("I'm still waiting")
		ac := emotion.Acoustic{Voiced: true, Arousal: 0.7, Confidence: 0.6, Scores: map[emotion.Category]float64{emotion.Angry: 0.6, emotion.Neutral: 0.4}}
		r = testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				model.Fuse(tr, ac)
			}
		})
		row("emotion: fusion", r, "beyond the text reading")
	}

	if eng, err := dialog.Load(*flows); err != nil {
		fail("dialog", err)
	} else {
		in := dialog.Input{Text: "where is my parcel", Reading: emotion.Reading{Category: emotion.Neutral, Scores: map[emotion.Category]float64{}}}
		r = testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c := eng.NewConversation(dialog.Caller{CallID: fmt.Sprint(i), Lang: "en"})
				c.Start()
				c.Turn(in)
			}
		})
		row("dialog: new call + one turn", r, "")
	}

	if syn, err := espeak.New(espeak.Config{}); err != nil {
		fail("tts: espeak", err)
	} else {
		line := "I'm sorry about this. I can start a refund to your original payment method."
		start := time.Now()
		if _, err := syn.Synthesize(ctx, line, tts.Voice{Lang: "en"}); err != nil {
			fail("tts: espeak", err)
		} else {
			fmt.Fprintf(w, "tts: espeak, one sentence uncached\t%s\t-\ttime to first audio (whole line)\n", time.Since(start).Round(time.Millisecond))
		}
		cached := tts.NewCache(syn, 16)
		cached.Synthesize(ctx, line, tts.Voice{Lang: "en"})
		r = testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				cached.Synthesize(ctx, line, tts.Voice{Lang: "en"})
			}
		})
		row("tts: same sentence cached", r, "")
	}

	if rec, err := sphinx.New(sphinx.Config{}); err != nil {
		fail("asr: sphinx", err)
	} else {
		phrases := []string{"refund", "speak to an agent", "order status", "yes", "no"}
		for i := 0; i < 3; i++ { // the live normalisation settles over the first utterances
			rec.Recognize(ctx, speech, asr.Options{Phrases: phrases})
		}
		start := time.Now()
		res, err := rec.Recognize(ctx, speech, asr.Options{Phrases: phrases})
		el := time.Since(start)
		if err != nil && !errors.Is(err, asr.ErrEmptyAudio) {
			fail("asr: sphinx", err)
		} else {
			dur := time.Duration(len(speech)) * time.Second / telephony.SampleRate
			fmt.Fprintf(w, "asr: sphinx grammar, %.1f s utterance\t%s\t-\treal-time factor %.2f (heard %q)\n", dur.Seconds(), el.Round(time.Millisecond), el.Seconds()/dur.Seconds(), res.Text)
		}
		rec.Close()
	}
	w.Flush()
	if failed {
		return 1
	}
	return 0
}

// benchSpeech is a spoken sentence from espeak-ng at 16 kHz.
func benchSpeech() ([]int16, error) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "calmline-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "s.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", p, "I would like to speak to an agent about my order status please").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v %s", err, out)
	}
	return audio.Load16k(p)
}

// synthVoice is a vowel-like harmonic signal with syllable-rate loudness changes.
func synthVoice(d time.Duration) []int16 {
	n := int(d.Seconds() * telephony.SampleRate)
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / telephony.SampleRate
		f0 := 140 + 20*math.Sin(2*math.Pi*0.5*t)
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		v := 0.0
		for h := 1; h <= 8; h++ {
			v += math.Sin(2*math.Pi*f0*float64(h)*t) / float64(h)
		}
		out[i] = int16(6000 * env * v)
	}
	return out
}
