// Package openai synthesises speech through any OpenAI-compatible speech
// endpoint (OpenAI's /audio/speech or a local server speaking the same API)
// with go-openai, and converts the answer to calmline's 16 kHz mono PCM.
//
// It asks for raw PCM (OpenAI: 24 kHz 16-bit little-endian mono) or WAV; an
// answer that starts with a RIFF header is read as WAV whatever was asked,
// since compatible servers differ. Every attempt has a deadline and retries
// are bounded; put tts.NewCache in front for fixed prompts.
package openai

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/calmline/calmline/internal/openaicompat"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/tts"
)

// Config points the synthesiser at a server. BaseURL is required.
type Config struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1".
	BaseURL string
	// APIKey is sent as a bearer token.
	APIKey string
	// Model is the speech model; empty means "tts-1". Style instructions are
	// sent only to models that take them (gpt-4o-mini-tts).
	Model string
	// VoiceEn and VoiceZh are the server's voice names per language; empty
	// means "alloy" (OpenAI voices speak both languages).
	VoiceEn, VoiceZh string
	// Format is "pcm" (default) or "wav".
	Format string
	// PCMRate is the sample rate of raw PCM answers; zero means 24000 (OpenAI's).
	PCMRate int
	// Timeout bounds one attempt; zero means 10 s.
	Timeout time.Duration
	// Retries after a failed attempt (network, timeout, 429, 5xx); zero means
	// 1, negative none, at most 5.
	Retries int
	// Backoff is the pause before the first retry, doubled each time; zero means 200 ms.
	Backoff time.Duration
	// MaxBytes bounds an answer; zero means 32 MiB (~11 min of 24 kHz PCM).
	MaxBytes int64
	// HTTPClient replaces the default client.
	HTTPClient *http.Client
}

// Synth speaks through an OpenAI-compatible endpoint. Safe for concurrent use.
type Synth struct {
	cfg    Config
	client *goopenai.Client
}

var _ tts.Synth = (*Synth)(nil)

// New validates cfg and builds the client. It does not contact the server.
func New(cfg Config) (*Synth, error) {
	if err := openaicompat.CheckBaseURL("openai tts", cfg.BaseURL); err != nil {
		return nil, err
	}
	if cfg.Model == "" {
		cfg.Model = string(goopenai.TTSModel1)
	}
	if cfg.VoiceEn == "" {
		cfg.VoiceEn = string(goopenai.VoiceAlloy)
	}
	if cfg.VoiceZh == "" {
		cfg.VoiceZh = string(goopenai.VoiceAlloy)
	}
	switch cfg.Format {
	case "":
		cfg.Format = "pcm"
	case "pcm", "wav":
	default:
		return nil, fmt.Errorf("openai tts: format %q: want pcm or wav", cfg.Format)
	}
	if cfg.PCMRate == 0 {
		cfg.PCMRate = 24000
	}
	if cfg.PCMRate < 8000 || cfg.PCMRate > 96000 {
		return nil, fmt.Errorf("openai tts: PCM rate %d out of range 8000..96000", cfg.PCMRate)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("openai tts: timeout %v is negative", cfg.Timeout)
	}
	if cfg.Retries == 0 {
		cfg.Retries = 1
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Retries > 5 {
		return nil, fmt.Errorf("openai tts: %d retries is more than 5", cfg.Retries)
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 32 << 20
	}
	return &Synth{cfg: cfg, client: openaicompat.Client(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)}, nil
}

// styleSpeed and styleInstructions carry a Style to the server: a speed for
// every model, words for models that follow instructions.
var (
	styleSpeed        = map[tts.Style]float64{tts.Neutral: 1, tts.Soothing: 0.9, tts.Urgent: 1.15, tts.Explaining: 0.92}
	styleInstructions = map[tts.Style]string{
		tts.Soothing:   "Speak calmly, warmly and a little slower, in a low, gentle voice.",
		tts.Urgent:     "Speak clearly and briskly; this is time-critical.",
		tts.Explaining: "Speak patiently and clearly, as if explaining step by step.",
	}
)

// Synthesize asks the server to speak text and returns 16 kHz mono PCM.
func (s *Synth) Synthesize(ctx context.Context, text string, v tts.Voice) ([]int16, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, tts.ErrEmptyText
	}
	voice := s.cfg.VoiceEn
	switch l := strings.ToLower(v.Lang); {
	case l == "zh" || strings.HasPrefix(l, "zh-"):
		voice = s.cfg.VoiceZh
	case l == "en" || strings.HasPrefix(l, "en-") || l == "":
	default:
		return nil, fmt.Errorf("openai tts: voice for %q: %w (zh and en only)", v.Lang, tts.ErrUnsupportedLanguage)
	}
	req := goopenai.CreateSpeechRequest{
		Model:          goopenai.SpeechModel(s.cfg.Model),
		Input:          text,
		Voice:          goopenai.SpeechVoice(voice),
		ResponseFormat: goopenai.SpeechResponseFormat(s.cfg.Format),
		Speed:          styleSpeed[v.Style],
	}
	if strings.Contains(s.cfg.Model, "gpt-4o") {
		req.Instructions = styleInstructions[v.Style]
	}
	var lastErr error
	backoff := s.cfg.Backoff
	for attempt := 0; attempt <= s.cfg.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil, fmt.Errorf("openai tts: synthesise: %w (after %w)", ctx.Err(), lastErr)
			}
			backoff *= 2
		}
		pcm, err := s.attempt(ctx, req)
		if err == nil {
			return pcm, nil
		}
		lastErr = fmt.Errorf("openai tts: synthesise at %s (attempt %d of %d): %w", s.cfg.BaseURL, attempt+1, s.cfg.Retries+1, err)
		if ctx.Err() != nil || !openaicompat.Retryable(err) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// errBadAudio marks an answer that is not audio we can read; retrying may help
// (a proxy's error page), so it is retryable.
var errBadAudio = errors.New("unreadable audio in the answer")

func (s *Synth) attempt(ctx context.Context, req goopenai.CreateSpeechRequest) ([]int16, error) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	resp, err := s.client.CreateSpeech(actx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Close()
	body, err := io.ReadAll(io.LimitReader(resp, s.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(body)) > s.cfg.MaxBytes {
		return nil, fmt.Errorf("answer larger than %d bytes: %w", s.cfg.MaxBytes, errBadAudio)
	}
	return s.decode(body)
}

// decode turns an answer body into 16 kHz mono PCM.
func (s *Synth) decode(body []byte) ([]int16, error) {
	var (
		pcm  []int16
		rate int
	)
	switch {
	case bytes.HasPrefix(body, []byte("RIFF")):
		clip, err := audio.ReadWAV(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadAudio, err)
		}
		pcm, rate = audio.Mono(clip), clip.Rate
	case bytes.HasPrefix(body, []byte("{")) || bytes.HasPrefix(body, []byte("<")):
		return nil, fmt.Errorf("%w: got text starting %q", errBadAudio, string(body[:min(len(body), 80)]))
	default:
		if len(body)%2 != 0 {
			body = body[:len(body)-1]
		}
		pcm = make([]int16, len(body)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
		}
		rate = s.cfg.PCMRate
	}
	if len(pcm) == 0 {
		return nil, fmt.Errorf("%w: no samples", errBadAudio)
	}
	out, err := audio.Resample(pcm, rate, telephony.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: %w", rate, telephony.SampleRate, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %d samples are too short to play", errBadAudio, len(pcm))
	}
	return out, nil
}
