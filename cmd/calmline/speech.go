package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/asr/sphinx"
	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/tts"
	"github.com/calmline/calmline/tts/espeak"
)

// runSpeech lets an operator check the offline speech engines without a call:
//
//	calmline speech say [--lang en|zh] [--style soothing] --out reply.wav TEXT...
//	calmline speech hear [--phrases "refund|speak to an agent"] FILE.wav
func runSpeech(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: calmline speech say|hear [flags] ...")
		return 2
	}
	switch args[0] {
	case "say":
		return speechSay(ctx, args[1:], stdout, stderr)
	case "hear":
		return speechHear(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "calmline speech: unknown subcommand %q (want say or hear)\n", args[0])
	return 2
}

func speechSay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("speech say", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "en", "language: en or zh")
	style := fs.String("style", "neutral", "neutral, soothing, urgent or explaining")
	out := fs.String("out", "", "WAV file to write (16 kHz mono)")
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	text := strings.Join(fs.Args(), " ")
	if *out == "" || strings.TrimSpace(text) == "" {
		fmt.Fprintln(stderr, "usage: calmline speech say [--lang en|zh] [--style S] --out FILE.wav TEXT...")
		return 2
	}
	st, err := tts.ParseStyle(*style)
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech say:", err)
		return 2
	}
	s, err := espeak.New(espeak.Config{})
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech say:", err)
		return 2
	}
	start := time.Now()
	pcm, err := s.Synthesize(ctx, text, tts.Voice{Lang: *lang, Style: st})
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech say:", err)
		return 1
	}
	took := time.Since(start)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech say:", err)
		return 1
	}
	if err := audio.WriteWAV(f, pcm, telephony.SampleRate); err != nil {
		f.Close()
		fmt.Fprintln(stderr, "calmline speech say: write:", err)
		return 1
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(stderr, "calmline speech say: write:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %.2f s of audio, synthesised in %v\n", *out, float64(len(pcm))/telephony.SampleRate, took.Round(time.Millisecond))
	return 0
}

func speechHear(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("speech hear", flag.ContinueOnError)
	fs.SetOutput(stderr)
	phrases := fs.String("phrases", "", `grammar phrases separated by "|" (empty: free dictation)`)
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, `usage: calmline speech hear [--phrases "a|b|c"] FILE.wav`)
		return 2
	}
	pcm, err := audio.Load16k(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech hear:", err)
		return 1
	}
	r, err := sphinx.New(sphinx.Config{Decoders: 1})
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech hear:", err)
		return 2
	}
	defer r.Close()
	var opts asr.Options
	if *phrases != "" {
		opts.Phrases = strings.Split(*phrases, "|")
	}
	start := time.Now()
	res, err := r.Recognize(ctx, pcm, opts)
	if err != nil {
		fmt.Fprintln(stderr, "calmline speech hear:", err)
		return 1
	}
	if res.NoMatch {
		fmt.Fprintf(stdout, "no match (confidence %.2f)\n", res.Confidence)
	} else {
		fmt.Fprintf(stdout, "%q (confidence %.2f)\n", res.Text, res.Confidence)
	}
	for _, w := range res.Words {
		fmt.Fprintf(stdout, "  %-16s %6.2f–%.2f s\n", w.Text, w.Start.Seconds(), w.End.Seconds())
	}
	fmt.Fprintf(stdout, "decoded %.2f s of audio in %v\n", float64(len(pcm))/telephony.SampleRate, time.Since(start).Round(time.Millisecond))
	return 0
}
