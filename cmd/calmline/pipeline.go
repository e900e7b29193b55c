package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/calmline/calmline/asr"
	asropenai "github.com/calmline/calmline/asr/openai"
	"github.com/calmline/calmline/asr/sphinx"
	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/internal/hanzi"
	"github.com/calmline/calmline/tts"
	"github.com/calmline/calmline/tts/espeak"
	ttsopenai "github.com/calmline/calmline/tts/openai"
)

// buildPipeline assembles the per-call parts from the configuration: the ear (dsp),
// the recogniser with its fallback, the synthesiser with its cache, the emotion
// model and the flow engine. Everything that can fail at start-up fails here, with
// the configuration key to fix.
func (s *server) buildPipeline() error {
	cfg := s.cfg
	rec, online, err := newRecognizer(cfg)
	if err != nil {
		return err
	}
	synth, err := newSynth(cfg)
	if err != nil {
		return err
	}
	voice, err := emotion.DefaultVoice()
	if err != nil {
		return fmt.Errorf("load voice emotion model: %w", err)
	}
	opts := []emotion.Option{emotion.WithVoice(voice)}
	if cfg.Emotion.Fusion != "" {
		w, err := readFusion(cfg.Emotion.Fusion)
		if err != nil {
			return fmt.Errorf("emotion.fusion: %w", err)
		}
		opts = append(opts, emotion.WithFusion(w))
		s.log.Info("emotion fusion weights re-fitted on feedback", "file", cfg.Emotion.Fusion)
	}
	model, err := emotion.Default(opts...)
	if err != nil {
		return fmt.Errorf("load emotion model: %w", err)
	}
	hanzi.Warm() // the Traditional→Simplified tables, now rather than on the first Chinese caller
	engine, err := dialog.Load(cfg.Flows...)
	if err != nil {
		return fmt.Errorf("load flows %v: %w", cfg.Flows, err)
	}
	if cfg.ASR.Backend == "sphinx" {
		for _, name := range engine.Flows() {
			for _, l := range engine.Flow(name).Languages {
				if l != "en" {
					s.log.Warn("a flow speaks a language the offline recogniser cannot hear (sphinx is US English only): its callers get the no-match line every turn; set asr.backend: openai with a recogniser for it",
						"flow", name, "lang", l)
				}
			}
		}
	}
	for _, q := range undefinedQueues(engine, cfg.Queues) {
		s.log.Warn("a flow hands callers to a queue the config does not define: those handoffs ring nobody; add it under queues", "queue", q)
	}
	d := &dialogs{
		engine: engine, queues: cfg.Queues, client: &http.Client{Timeout: 5 * time.Second}, log: s.log,
		reportURL: func(id string) string { return s.publicURL() + "/v1/calls/live/" + id + "/report" },
	}
	if cfg.Call.ProfilesFile != "" {
		p, err := dialog.LoadProfiles(cfg.Call.ProfilesFile)
		if err != nil {
			return fmt.Errorf("call.profiles_file: %w", err)
		}
		d.profiles = p
	} else if cfg.Call.ProfilesURL != "" {
		d.profiles = &dialog.WebhookProfiles{URL: cfg.Call.ProfilesURL}
	}
	var health *asrHealth
	if cfg.ASR.Backend == "openai" && cfg.ASR.Fallback != "sphinx" {
		// No offline fallback: callers are not understood while the recogniser fails.
		health = &asrHealth{}
		if s.checks == nil {
			s.checks = map[string]func() error{}
		}
		s.checks["asr"] = health.check
	}
	endSilence := cfg.Call.EndSilence
	s.deps = call.Deps{
		NewEar: func() call.Ear {
			return dspEar{dsp.NewStream(dsp.Config{EndSilence: endSilence, ProsodicEndpoint: true})}
		},
		NewListener: func() call.Listener { return model.NewCall() },
		NewDialog:   d.newDialog,
		Recognizer:  recognizer{r: rec, health: health},
		Transcriber: transcriber(online),
		Synth:       synthesizer{synth},
		Recorder:    s.recorder,
		Publisher:   s.hub,
	}
	return nil
}

// newRecognizer builds the configured recogniser (with its offline fallback) and
// returns the remote one alone as online, nil when there is none.
func newRecognizer(cfg config.Config) (rec, online asr.Recognizer, err error) {
	var offline asr.Recognizer
	if cfg.ASR.Backend == "sphinx" || cfg.ASR.Fallback == "sphinx" {
		r, err := sphinx.New(sphinx.Config{ModelDir: cfg.ASR.Sphinx.ModelDir})
		if err != nil {
			return nil, nil, fmt.Errorf("asr.sphinx: %w", err)
		}
		offline = r
	}
	if cfg.ASR.Backend == "sphinx" {
		return offline, nil, nil
	}
	o := cfg.ASR.OpenAI
	online, err = asropenai.New(asropenai.Config{
		BaseURL: openAIBase(o.BaseURL), WordTimes: true, APIKey: cfg.Secrets.OpenAIAPIKey, Model: o.Model, Language: o.Language,
		Timeout: o.Timeout, Retries: o.Retries,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("asr.openai: %w", err)
	}
	if offline != nil {
		return asr.WithFallback(online, offline, nil), online, nil
	}
	return online, online, nil
}

// transcriber is the call.Deps.Transcriber for a remote recogniser, nil without
// one: after a handoff the offline recogniser is not asked (see call.Deps).
func transcriber(online asr.Recognizer) call.Recognizer {
	if online == nil {
		return nil
	}
	return recognizer{r: online}
}

func newSynth(cfg config.Config) (tts.Synth, error) {
	var s tts.Synth
	switch cfg.TTS.Backend {
	case "openai":
		o := cfg.TTS.OpenAI
		t, err := ttsopenai.New(ttsopenai.Config{
			BaseURL: openAIBase(o.BaseURL), APIKey: cfg.Secrets.OpenAIAPIKey, Model: o.Model,
			VoiceEn: o.Voice, VoiceZh: o.Voice, Timeout: o.Timeout, Retries: o.Retries,
		})
		if err != nil {
			return nil, fmt.Errorf("tts.openai: %w", err)
		}
		s = t
	default:
		t, err := espeak.New(espeak.Config{VoiceEn: cfg.TTS.Espeak.VoiceEN, VoiceZh: cfg.TTS.Espeak.VoiceZH})
		if err != nil {
			return nil, fmt.Errorf("tts.espeak: %w", err)
		}
		s = t
	}
	if cfg.TTS.CacheEntries > 0 {
		s = tts.NewCache(s, cfg.TTS.CacheEntries)
	}
	return s, nil
}

// dspEar adapts dsp.Stream to call.Ear.
type dspEar struct{ s *dsp.Stream }

func (e dspEar) Write(frame []int16) bool { return e.s.Write(frame) == dsp.EventUtteranceEnd }
func (e dspEar) Speaking() bool           { return e.s.Speaking() }
func (e dspEar) Utterance() ([]int16, dsp.Features) {
	u := e.s.Utterance()
	return u.Audio, u.Features
}

// recognizer adapts asr.Recognizer to call.Recognizer.
// recognizer adapts asr.Recognizer to call.Recognizer; with health set it also
// tells /healthz how the recogniser's last answer went.
type recognizer struct {
	r      asr.Recognizer
	health *asrHealth // nil: not checked
}

// asrHealth is a remote recogniser's health as its last answer showed it: callers
// are not understood while it fails, and nothing else would say so.
type asrHealth struct{ last atomic.Pointer[error] }

// observe records one recognition's outcome; a cancelled request (the caller hung
// up) or a language the backend does not have says nothing about the backend.
func (h *asrHealth) observe(ctx context.Context, err error) {
	switch {
	case ctx.Err() != nil || errors.Is(err, asr.ErrUnsupportedLanguage):
	case err != nil:
		h.last.Store(&err)
	default:
		h.last.Store(nil)
	}
}

func (h *asrHealth) check() error {
	if e := h.last.Load(); e != nil {
		return fmt.Errorf("last recognition failed: %w", *e)
	}
	return nil
}

func (a recognizer) Recognize(ctx context.Context, pcm []int16, lang string, expect []string) (call.Heard, error) {
	res, err := a.r.Recognize(ctx, pcm, asr.Options{Lang: lang, Phrases: expect, Prompt: strings.Join(expect, ", ")})
	if a.health != nil {
		a.health.observe(ctx, err)
	}
	if err != nil {
		return call.Heard{}, err
	}
	return call.Heard{Text: res.Text, Lang: res.Lang, Confidence: res.Confidence, NoMatch: res.NoMatch}, nil
}

// synthesizer adapts tts.Synth to call.Synth.
type synthesizer struct{ s tts.Synth }

func (t synthesizer) Synthesize(ctx context.Context, text, lang, style string) ([]int16, error) {
	st, err := tts.ParseStyle(style)
	if err != nil {
		st = tts.Neutral
	}
	return t.s.Synthesize(ctx, text, tts.Voice{Lang: lang, Style: st})
}

// openAIBase is OpenAI itself unless the operator points at another compatible server.
func openAIBase(u string) string {
	if u == "" {
		return "https://api.openai.com/v1"
	}
	return u
}

// publicURL is publicURL(s.cfg), but with the address the server really
// listens on when none is configured, so "--listen 127.0.0.1:0" does not hand
// agents a link to port 0 (seen on an expert's channel in Asterisk).
func (s *server) publicURL() string {
	if a := s.bound.Load(); a != nil && s.cfg.PublicURL == "" {
		return "http://" + *a
	}
	return publicURL(s.cfg)
}

// publicURL is the base URL handed to agents in report links.
func publicURL(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	return "http://" + cfg.Listen
}

// undefinedQueues lists the queues the flows hand callers to that the
// configuration gives no endpoints, sorted; an operator who renames a queue in
// one place and not the other hears about it at start-up, not from a caller.
func undefinedQueues(engine *dialog.Engine, queues map[string]config.QueueConfig) []string {
	var missing []string
	for _, name := range engine.Flows() {
		for q := range engine.Flow(name).Queues {
			if _, ok := queues[q]; !ok && !slices.Contains(missing, q) {
				missing = append(missing, q)
			}
		}
	}
	slices.Sort(missing)
	return missing
}
