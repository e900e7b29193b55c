// Package sphinx is calmline's offline recogniser: Debian's pocketsphinx
// (0.8/5prealpha API, libpocketsphinx-dev) through cgo with the US English
// model (pocketsphinx-en-us).
//
// Measured on this machine, free dictation is too weak for open questions, but
// a JSGF grammar of the current node's phrases is accurate. So grammar mode is
// the point of this backend; a phone loop competes with the phrases so that
// speech outside the grammar becomes NoMatch rather than the nearest phrase.
// English only: open speech and Chinese go to asr/openai.
package sphinx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/calmline/calmline/asr"
)

// Default model locations of the Debian package pocketsphinx-en-us.
const (
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultDict     = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
	DefaultLM       = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
)

// DefaultMinConfidence is the grammar-match confidence below which a result
// becomes NoMatch, tuned on the espeak round trip (see BENCHMARKS.md).
const DefaultMinConfidence = 0.45

// Config chooses the model and the decoder pool. The zero value uses the Debian
// model paths and two decoders.
type Config struct {
	// ModelDir is the acoustic model directory (mdef, means, ...).
	ModelDir string
	// Dict is the pronunciation dictionary; phrases with words missing from it are dropped.
	Dict string
	// LM is the language model for free dictation (empty Options.Phrases).
	LM string
	// Lang must be empty or "en": the model is US English.
	Lang string
	// Decoders bounds concurrent decodes; each decoder holds its own copy of
	// the model (~tens of MB). Zero means 2.
	Decoders int
	// MinConfidence turns grammar matches below it into NoMatch. The
	// confidence is the matched phrase's phone count over the phone count a
	// free phone loop finds in the same audio (capped at 1): a long sentence
	// squeezed onto a short phrase scores low. Zero means DefaultMinConfidence;
	// negative accepts every match (the nearest phrase always wins).
	MinConfidence float64
	// Log receives warnings (phrases dropped for unknown words); nil discards.
	Log *slog.Logger
}

// Recognizer decodes utterances with a pool of pocketsphinx decoders. It is
// safe for concurrent use.
type Recognizer struct {
	cfg  Config
	log  *slog.Logger
	sem  chan struct{}
	idle chan *decoder

	mu       sync.Mutex
	grammars map[string]grammar
	closed   bool
	channel  []float32 // shared live cepstral mean: the estimate of the line
	heard    int       // samples the channel estimate is built on
}

// calibrationSamples is how much audio pocketsphinx's live cepstral mean
// normalisation needs before it reflects the line rather than its built-in
// initial value (its window is 500 frames = 5 s).
const calibrationSamples = 5 * 16000

var _ asr.Recognizer = (*Recognizer)(nil)

// maxSamples bounds one utterance (60 s): endpointing gives seconds; anything
// longer is a bug or hostile input and would hold a decoder for minutes.
const maxSamples = 60 * 16000

// maxGrammars bounds the compiled-grammar cache; flows have few nodes.
const maxGrammars = 256

// New checks the model files, loads one decoder (so a broken model fails at
// start-up, not on the first call) and returns the Recognizer.
func New(cfg Config) (*Recognizer, error) {
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir
	}
	if cfg.Dict == "" {
		cfg.Dict = DefaultDict
	}
	if cfg.LM == "" {
		cfg.LM = DefaultLM
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = 2
	}
	if cfg.MinConfidence == 0 {
		cfg.MinConfidence = DefaultMinConfidence
	}
	if !isEnglish(cfg.Lang) {
		return nil, fmt.Errorf("sphinx: language %q: %w (the offline model is US English; configure the openai backend for it)", cfg.Lang, asr.ErrUnsupportedLanguage)
	}
	for _, p := range []string{filepath.Join(cfg.ModelDir, "mdef"), cfg.Dict, cfg.LM} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w at %s, install pocketsphinx-en-us or set the path: %w", ErrModelNotFound, p, err)
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recognizer{
		cfg: cfg, log: log,
		sem:      make(chan struct{}, cfg.Decoders),
		idle:     make(chan *decoder, cfg.Decoders),
		grammars: make(map[string]grammar),
	}
	d, err := newDecoder(cfg.ModelDir, cfg.Dict, cfg.LM)
	if err != nil {
		return nil, err
	}
	r.idle <- d
	return r, nil
}

func isEnglish(lang string) bool {
	l := strings.ToLower(lang)
	return l == "" || l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// Close frees the decoders. Calls in flight finish first; later calls fail.
// Close is idempotent.
func (r *Recognizer) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	for range cap(r.sem) { // wait for calls in flight
		r.sem <- struct{}{}
	}
	for len(r.idle) > 0 {
		(<-r.idle).free()
	}
	for range cap(r.sem) {
		<-r.sem
	}
	return nil
}

// errClosed is returned by calls after Close.
var errClosed = errors.New("sphinx: recogniser closed")

func (r *Recognizer) acquire(ctx context.Context) (*decoder, error) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("sphinx: wait for a decoder: %w", ctx.Err())
	}
	r.mu.Lock()
	closed = r.closed
	r.mu.Unlock()
	if closed {
		<-r.sem
		return nil, errClosed
	}
	select {
	case d := <-r.idle:
		return d, nil
	default:
	}
	d, err := newDecoder(r.cfg.ModelDir, r.cfg.Dict, r.cfg.LM)
	if err != nil {
		<-r.sem
		return nil, err
	}
	return d, nil
}

func (r *Recognizer) release(d *decoder) {
	r.idle <- d
	<-r.sem
}

// Recognize decodes pcm (16 kHz mono). With opts.Phrases it recognises only
// those phrases and returns the flow's own spelling of the one it heard, or
// NoMatch; without, it is free dictation (weak: see the package doc).
func (r *Recognizer) Recognize(ctx context.Context, pcm []int16, opts asr.Options) (asr.Result, error) {
	if len(pcm) == 0 {
		return asr.Result{}, asr.ErrEmptyAudio
	}
	if len(pcm) > maxSamples {
		return asr.Result{}, fmt.Errorf("sphinx: utterance of %.0f s is longer than the %d s limit", float64(len(pcm))/16000, maxSamples/16000)
	}
	if !isEnglish(opts.Lang) {
		return asr.Result{}, fmt.Errorf("sphinx: recognise %q: %w", opts.Lang, asr.ErrUnsupportedLanguage)
	}
	d, err := r.acquire(ctx)
	if err != nil {
		return asr.Result{}, err
	}
	defer r.release(d)

	if err := r.calibrate(ctx, d, pcm); err != nil {
		return asr.Result{}, err
	}
	var g grammar
	if len(opts.Phrases) > 0 {
		if g, err = r.grammar(d, opts.Phrases); err != nil {
			return asr.Result{}, err
		}
		err = d.useGrammar(g.jsgf)
	} else {
		err = d.setSearch(searchDictation)
	}
	if err != nil {
		return asr.Result{}, err
	}
	h, err := d.decode(ctx, pcm)
	if err != nil {
		return asr.Result{}, err
	}
	r.learnChannel(d, len(pcm))
	res := asr.Result{Lang: "en"}
	var words []string
	phrasePhones := 0
	for _, s := range h.words {
		if isFiller(s.word) || isPhoneWord(s.word) {
			continue
		}
		w := baseWord(s.word)
		words = append(words, w)
		res.Words = append(res.Words, asr.Word{Text: w, Start: s.start, End: s.end})
		phrasePhones += len(strings.Fields(d.pronunciation(s.word)))
	}
	text := strings.Join(words, " ")
	if len(opts.Phrases) == 0 {
		// No confidence: pocketsphinx's posterior (ps_get_prob) needs lattice
		// options not set here and read 0 on a test sentence.
		res.Text = text
		return res, nil
	}
	orig, ok := g.phrases[text]
	if !ok {
		return r.inSentence(ctx, d, g, pcm, nil, 0)
	}
	if err := d.setSearch(searchPhones); err != nil {
		return asr.Result{}, err
	}
	loop, err := d.decode(ctx, pcm)
	if err != nil {
		return asr.Result{}, err
	}
	res.Confidence = phoneConfidence(phrasePhones, loop.words)
	if res.Confidence < r.cfg.MinConfidence {
		return r.inSentence(ctx, d, g, pcm, &loop, res.Confidence)
	}
	res.Text = orig
	return res, nil
}

// spotMinScore is the per-frame score (phrase against free phones, see spot)
// a phrase found inside a sentence needs. Measured on espeak-ng sentences:
// the phrases only this pass found scored 2.1 to 14.5 wide-band and 5 or more
// through a phone line; out-of-grammar sentences that yielded a phrase at all
// scored -20.9 wide-band and -3.6 through a phone line.
const spotMinScore = 0

// inSentence is the second chance for speech the whole-utterance grammar did
// not match: callers say "I want a refund please", not "refund". It returns
// the phrase spotted inside the speech, or NoMatch with the first pass's
// confidence. loop is the first pass's phone-loop decode, nil if it made none.
func (r *Recognizer) inSentence(ctx context.Context, d *decoder, g grammar, pcm []int16, loop *hyp, conf float64) (asr.Result, error) {
	phrase, score, err := r.spot(ctx, d, g, pcm, loop)
	if err != nil {
		return asr.Result{}, err
	}
	if phrase == "" || score < spotMinScore {
		return asr.Result{Lang: "en", Confidence: conf, NoMatch: true}, nil
	}
	// Map the score onto [0.5, 1]: it passed the spotting threshold; 10 above it is sure.
	c := 0.5 + 0.5*min(1, (score-spotMinScore)/10)
	return asr.Result{Lang: "en", Text: phrase, Confidence: c}, nil
}

// phoneConfidence compares the phones of the matched phrase with the phones a
// free phone loop heard: about 1 when the audio is as long as the phrase, low
// when a long sentence was squeezed onto a short phrase.
func phoneConfidence(phrasePhones int, loop []segment) float64 {
	heard := 0
	for _, s := range loop {
		if isPhoneWord(s.word) {
			heard++
		}
	}
	if heard == 0 || phrasePhones >= heard {
		return 1
	}
	return float64(phrasePhones) / float64(heard)
}

// calibrate gives the decoder the pool's channel estimate. Until the pool has
// heard calibrationSamples, it first runs the utterance through the cheap phone
// loop (repeatedly, at most 10 times) so the estimate comes from real audio:
// without it a fresh decoder misrecognises (measured: "speak to an agent" taken
// as "1"). Sharing the estimate keeps pooled decoders alike, so a result does
// not depend on which decoder a call got.
func (r *Recognizer) calibrate(ctx context.Context, d *decoder, pcm []int16) error {
	r.mu.Lock()
	channel, heard := r.channel, r.heard
	r.mu.Unlock()
	if channel != nil {
		if err := d.setCMN(channel); err != nil {
			return err
		}
	}
	if heard >= calibrationSamples {
		return nil
	}
	if err := d.setSearch(searchPhones); err != nil {
		return err
	}
	for pass := 0; heard < calibrationSamples && pass < 10; pass++ {
		if _, err := d.decode(ctx, pcm); err != nil {
			return err
		}
		heard += len(pcm)
	}
	r.mu.Lock()
	r.heard = max(r.heard, heard)
	r.mu.Unlock()
	return nil
}

// learnChannel keeps the decoder's updated cepstral mean as the pool's estimate.
func (r *Recognizer) learnChannel(d *decoder, samples int) {
	mean := d.cmn()
	if len(mean) == 0 {
		return
	}
	r.mu.Lock()
	r.channel = mean
	r.heard += samples
	r.mu.Unlock()
}

// baseWord strips the alternate-pronunciation suffix: "read(2)" -> "read".
func baseWord(w string) string {
	if i := strings.IndexByte(w, '('); i > 0 {
		return w[:i]
	}
	return w
}

// grammar returns the compiled grammar for phrases, building it once.
func (r *Recognizer) grammar(d *decoder, phrases []string) (grammar, error) {
	key := strings.Join(phrases, "\x00")
	r.mu.Lock()
	g, ok := r.grammars[key]
	r.mu.Unlock()
	if ok {
		return g, nil
	}
	g, err := buildGrammar(phrases, d.known)
	if err != nil {
		return grammar{}, err
	}
	var long []string
	for key := range g.phrases {
		n := 0
		for _, w := range strings.Fields(key) {
			n += len(strings.Fields(d.pronunciation(w)))
		}
		if n >= minSpotPhones {
			long = append(long, key)
		}
	}
	slices.Sort(long)
	g.spot = spotJSGF(long)
	if len(g.dropped) > 0 {
		r.log.Warn("sphinx: grammar phrases dropped, their words are not in the dictionary", "dropped", g.dropped, "dict", r.cfg.Dict)
	}
	r.mu.Lock()
	if len(r.grammars) >= maxGrammars {
		clear(r.grammars)
	}
	r.grammars[key] = g
	r.mu.Unlock()
	return g, nil
}

// spot looks for one of g's phrases inside longer speech and says how well it
// fits: the phrase's acoustic score minus what a free phone loop scores on the
// same frames, per frame (0 is as good as the best phones; more negative is a
// forced fit). It returns "" when no phrase could be placed. loop, when not
// nil, is the phone loop already decoded on pcm.
func (r *Recognizer) spot(ctx context.Context, d *decoder, g grammar, pcm []int16, loop *hyp) (string, float64, error) {
	if g.spot == "" {
		return "", 0, nil
	}
	if err := d.useSpot(g.spot); err != nil {
		return "", 0, err
	}
	h, err := d.decode(ctx, pcm)
	if err != nil {
		return "", 0, err
	}
	var words []string
	var score int64
	from, to := time.Duration(-1), time.Duration(0)
	for _, s := range h.words {
		if isFiller(s.word) || isPhoneWord(s.word) {
			continue
		}
		words = append(words, baseWord(s.word))
		score += int64(s.ascr)
		if from < 0 {
			from = s.start
		}
		to = s.end
	}
	orig, ok := g.phrases[strings.Join(words, " ")]
	if !ok || to <= from {
		return "", 0, nil
	}
	if loop == nil {
		if err := d.setSearch(searchPhones); err != nil {
			return "", 0, err
		}
		l, err := d.decode(ctx, pcm)
		if err != nil {
			return "", 0, err
		}
		loop = &l
	}
	var free int64
	for _, s := range loop.words {
		if mid := (s.start + s.end) / 2; isPhoneWord(s.word) && mid >= from && mid < to {
			free += int64(s.ascr)
		}
	}
	frames := float64((to - from) * framesPerSecond / time.Second)
	return orig, float64(score-free) / frames, nil
}
