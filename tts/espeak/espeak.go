// Package espeak is calmline's offline speech synthesiser: the espeak-ng
// program (Debian espeak-ng) with its Mandarin (cmn) and English voices.
//
// It runs the program once per line rather than linking libespeak-ng: the
// library keeps global state and is not safe for concurrent calls, and a
// process per line costs tens of milliseconds (see BENCHMARKS.md), which
// tts.NewCache removes for fixed prompts anyway.
package espeak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/tts"
)

// Config chooses the program, the voices and the base prosody that styles
// vary. The zero value uses espeak-ng from PATH, cmn and en-us.
type Config struct {
	// Program is the espeak-ng executable; empty means "espeak-ng" on PATH.
	Program string
	// VoiceZh and VoiceEn are espeak-ng voice names for Voice.Lang "zh" and
	// "en"; empty means "cmn" and "en-us".
	VoiceZh, VoiceEn string
	// Rate is the neutral speed in words per minute (espeak-ng -s, 80..450);
	// zero means 175, espeak-ng's own default.
	Rate int
	// Pitch is the neutral pitch (espeak-ng -p, 0..99); zero means 50.
	Pitch int
	// Volume is the neutral amplitude (espeak-ng -a, 0..200); zero means 100.
	Volume int
	// MaxChars bounds one line of text; zero means 2000. Longer text is an
	// error rather than minutes of audio.
	MaxChars int
}

// Synth speaks with espeak-ng. It is safe for concurrent use.
type Synth struct {
	cfg Config
}

var _ tts.Synth = (*Synth)(nil)

// New finds the program and checks that both voices exist, so a missing
// espeak-ng or voice fails at start-up with an installation hint.
func New(cfg Config) (*Synth, error) {
	if cfg.Program == "" {
		cfg.Program = "espeak-ng"
	}
	if cfg.VoiceZh == "" {
		cfg.VoiceZh = "cmn"
	}
	if cfg.VoiceEn == "" {
		cfg.VoiceEn = "en-us"
	}
	if cfg.Rate == 0 {
		cfg.Rate = 175
	}
	if cfg.Pitch == 0 {
		cfg.Pitch = 50
	}
	if cfg.Volume == 0 {
		cfg.Volume = 100
	}
	if cfg.MaxChars == 0 {
		cfg.MaxChars = 2000
	}
	switch {
	case cfg.Rate < 80 || cfg.Rate > 450:
		return nil, fmt.Errorf("espeak: rate %d words/min out of range 80..450", cfg.Rate)
	case cfg.Pitch < 0 || cfg.Pitch > 99:
		return nil, fmt.Errorf("espeak: pitch %d out of range 0..99", cfg.Pitch)
	case cfg.Volume < 0 || cfg.Volume > 200:
		return nil, fmt.Errorf("espeak: volume %d out of range 0..200", cfg.Volume)
	case cfg.MaxChars < 0:
		return nil, fmt.Errorf("espeak: max chars %d is negative", cfg.MaxChars)
	}
	path, err := exec.LookPath(cfg.Program)
	if err != nil {
		return nil, fmt.Errorf("espeak: find program %q (install espeak-ng): %w", cfg.Program, err)
	}
	cfg.Program = path
	for _, v := range []string{cfg.VoiceZh, cfg.VoiceEn} {
		if out, err := exec.Command(path, "-q", "-v", v, "x").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("espeak: voice %q: %s: %w", v, strings.TrimSpace(string(out)), err)
		}
	}
	return &Synth{cfg: cfg}, nil
}

// prosody is what a style changes.
type prosody struct{ rate, pitch, volume int }

// prosodyFor maps a style onto espeak-ng's controls: soothing is slower,
// lower and softer; urgent quicker, higher and a little louder; explaining a
// little slower.
func (s *Synth) prosodyFor(st tts.Style) prosody {
	p := prosody{s.cfg.Rate, s.cfg.Pitch, s.cfg.Volume}
	switch st {
	case tts.Soothing:
		p = prosody{p.rate * 85 / 100, p.pitch - 12, p.volume * 80 / 100}
	case tts.Urgent:
		p = prosody{p.rate * 115 / 100, p.pitch + 10, p.volume * 110 / 100}
	case tts.Explaining:
		p = prosody{p.rate * 90 / 100, p.pitch, p.volume}
	}
	p.rate = min(max(p.rate, 80), 450)
	p.pitch = min(max(p.pitch, 0), 99)
	p.volume = min(max(p.volume, 0), 200)
	return p
}

func (s *Synth) voiceFor(lang string) (string, error) {
	l := strings.ToLower(lang)
	switch {
	case l == "zh" || strings.HasPrefix(l, "zh-") || l == "cmn":
		return s.cfg.VoiceZh, nil
	case l == "en" || strings.HasPrefix(l, "en-") || l == "":
		return s.cfg.VoiceEn, nil
	}
	return "", fmt.Errorf("espeak: voice for %q: %w (zh and en only)", lang, tts.ErrUnsupportedLanguage)
}

// Synthesize speaks text in v and returns 16 kHz mono PCM.
func (s *Synth) Synthesize(ctx context.Context, text string, v tts.Voice) ([]int16, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, tts.ErrEmptyText
	}
	if len([]rune(text)) > s.cfg.MaxChars {
		return nil, fmt.Errorf("espeak: text of %d characters exceeds the limit of %d", len([]rune(text)), s.cfg.MaxChars)
	}
	voice, err := s.voiceFor(v.Lang)
	if err != nil {
		return nil, err
	}
	p := s.prosodyFor(v.Style)
	dir, err := os.MkdirTemp("", "calmline-espeak-")
	if err != nil {
		return nil, fmt.Errorf("espeak: make temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	wav := filepath.Join(dir, "out.wav")
	// Text goes on stdin (UTF-8, -b 1) so it can never be read as an option.
	cmd := exec.CommandContext(ctx, s.cfg.Program, "-b", "1", "-v", voice,
		"-s", strconv.Itoa(p.rate), "-p", strconv.Itoa(p.pitch), "-a", strconv.Itoa(p.volume), "-w", wav)
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("espeak: synthesise: %w", ctx.Err())
		}
		return nil, fmt.Errorf("espeak: run %s -v %s: %s: %w", s.cfg.Program, voice, strings.TrimSpace(stderr.String()), err)
	}
	f, err := os.Open(wav)
	if err != nil {
		return nil, fmt.Errorf("espeak: open output: %w", err)
	}
	defer f.Close()
	clip, err := audio.ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("espeak: read output: %w", err)
	}
	if len(clip.Samples) == 0 {
		return nil, errors.New("espeak: the program produced no audio")
	}
	pcm, err := audio.Resample(audio.Mono(clip), clip.Rate, telephony.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("espeak: resample %d Hz to %d Hz: %w", clip.Rate, telephony.SampleRate, err)
	}
	return pcm, nil
}
