// Package openai recognises speech through any OpenAI-compatible
// transcription endpoint (OpenAI's Whisper, or a local Whisper server such as
// faster-whisper-server or whisper.cpp's server) with go-openai.
//
// It carries what the offline recogniser cannot: open questions and Chinese.
// Every attempt has a deadline and retries are bounded, so a slow or broken
// server turns into an error quickly; wrap it with asr.WithFallback so the
// call falls back to the offline recogniser instead of hanging.
package openai

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/calmline/calmline/internal/openaicompat"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony"
)

// Config points the recogniser at a server. BaseURL is required; the rest
// has defaults.
type Config struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" or
	// "http://127.0.0.1:8000/v1" for a local Whisper server.
	BaseURL string
	// APIKey is sent as a bearer token; local servers usually ignore it.
	APIKey string
	// Model is the transcription model; empty means "whisper-1".
	Model string
	// Language is used when Options.Lang is empty ("en", "zh"); empty lets
	// the server detect it.
	Language string
	// WordTimes asks for verbose_json with word timestamps. Servers that do
	// not support them still answer; Words is then empty.
	WordTimes bool
	// Timeout bounds one attempt; zero means 8 s.
	Timeout time.Duration
	// Retries is how many times a failed attempt (network error, timeout,
	// 429, 5xx, unreadable answer) is repeated; zero means 1, negative none.
	Retries int
	// Backoff is the pause before the first retry, doubled each time; zero
	// means 200 ms.
	Backoff time.Duration
	// HTTPClient replaces the default client (proxies, TLS settings).
	HTTPClient *http.Client
}

// Recognizer transcribes through an OpenAI-compatible endpoint. It is safe
// for concurrent use.
type Recognizer struct {
	cfg    Config
	client *goopenai.Client
}

var _ asr.Recognizer = (*Recognizer)(nil)

// New validates cfg and builds the client. It does not contact the server.
func New(cfg Config) (*Recognizer, error) {
	if err := openaicompat.CheckBaseURL("openai asr", cfg.BaseURL); err != nil {
		return nil, err
	}
	if cfg.Model == "" {
		cfg.Model = goopenai.Whisper1
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 8 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("openai asr: timeout %v is negative", cfg.Timeout)
	}
	if cfg.Retries == 0 {
		cfg.Retries = 1
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Retries > 5 {
		return nil, fmt.Errorf("openai asr: %d retries is more than 5: a caller would wait too long", cfg.Retries)
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	return &Recognizer{cfg: cfg, client: openaicompat.Client(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)}, nil
}

// Recognize uploads pcm as a 16 kHz WAV and returns the server's transcript.
// Options.Phrases and Options.Prompt become the prompt, which biases Whisper
// towards the flow's words; the transcript stays free text (NoMatch is never
// set: the dialog's intent matching reads it).
func (r *Recognizer) Recognize(ctx context.Context, pcm []int16, opts asr.Options) (asr.Result, error) {
	if len(pcm) == 0 {
		return asr.Result{}, asr.ErrEmptyAudio
	}
	var wav bytes.Buffer
	if err := audio.WriteWAV(&wav, pcm, telephony.SampleRate); err != nil {
		return asr.Result{}, fmt.Errorf("openai asr: encode WAV: %w", err)
	}
	lang := opts.Lang
	if lang == "" {
		lang = r.cfg.Language
	}
	req := goopenai.AudioRequest{
		Model:    r.cfg.Model,
		FilePath: "utterance.wav",
		Prompt:   prompt(opts),
		Language: lang,
		Format:   goopenai.AudioResponseFormatJSON,
	}
	if r.cfg.WordTimes {
		req.Format = goopenai.AudioResponseFormatVerboseJSON
		req.TimestampGranularities = []goopenai.TranscriptionTimestampGranularity{goopenai.TranscriptionTimestampGranularityWord}
	}
	var lastErr error
	backoff := r.cfg.Backoff
	for attempt := 0; attempt <= r.cfg.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return asr.Result{}, fmt.Errorf("openai asr: transcribe: %w (after %w)", ctx.Err(), lastErr)
			}
			backoff *= 2
		}
		req.Reader = bytes.NewReader(wav.Bytes())
		actx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		resp, err := r.client.CreateTranscription(actx, req)
		cancel()
		if err == nil {
			return result(resp, lang), nil
		}
		lastErr = fmt.Errorf("openai asr: transcribe at %s (attempt %d of %d): %w", r.cfg.BaseURL, attempt+1, r.cfg.Retries+1, err)
		if ctx.Err() != nil || !openaicompat.Retryable(err) {
			return asr.Result{}, lastErr
		}
	}
	return asr.Result{}, lastErr
}

// prompt joins the caller-supplied prompt and the grammar phrases.
func prompt(opts asr.Options) string {
	parts := []string{}
	if p := strings.TrimSpace(opts.Prompt); p != "" {
		parts = append(parts, p)
	}
	if len(opts.Phrases) > 0 {
		parts = append(parts, strings.Join(opts.Phrases, ", "))
	}
	return strings.Join(parts, " ")
}

// languageCodes maps the language names verbose_json reports to codes.
var languageCodes = map[string]string{"english": "en", "chinese": "zh", "mandarin": "zh", "cantonese": "yue"}

func result(resp goopenai.AudioResponse, asked string) asr.Result {
	res := asr.Result{Text: strings.TrimSpace(resp.Text), Lang: asked}
	if l := strings.ToLower(strings.TrimSpace(resp.Language)); l != "" {
		if code, ok := languageCodes[l]; ok {
			res.Lang = code
		} else if len(l) <= 3 {
			res.Lang = l
		}
	}
	// Confidence: the mean per-token probability over segments, where given.
	var sum float64
	n := 0
	for _, s := range resp.Segments {
		if !math.IsNaN(s.AvgLogprob) && s.AvgLogprob <= 0 {
			sum += s.AvgLogprob
			n++
		}
	}
	if n > 0 {
		res.Confidence = math.Exp(sum / float64(n))
	}
	for _, w := range resp.Words {
		if w.Start < 0 || w.End < w.Start || math.IsNaN(w.Start) || math.IsNaN(w.End) || w.End > 3600 {
			continue // hostile or broken timestamps
		}
		res.Words = append(res.Words, asr.Word{
			Text:  strings.TrimSpace(w.Word),
			Start: time.Duration(w.Start * float64(time.Second)),
			End:   time.Duration(w.End * float64(time.Second)),
		})
	}
	return res
}
