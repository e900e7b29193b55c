package emotion

import (
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/calmline/calmline/emotion/internal/textmodel"
	"github.com/calmline/calmline/internal/hanzi"
)

//go:embed models/text.bin.gz
var embeddedTextWeights []byte

// Model reads emotions from text and, when a voice model is wired in, from the
// voice. It holds only read-only weights, so one Model serves every call
// concurrently; per-call state lives in Call.
type Model struct {
	text   *textmodel.Model
	voice  interface{ NewListener() VoiceListener }
	fusion FusionWeights
	llm    *LLM // optional, used by TextContext only
	prior  langPrior
}

// langPrior re-calibrates the text model's category probabilities per language
// (log-probability offsets, neutral first as in textmodel.ClassNames). The model
// learnt Chinese categories from Weibo posts, where nearly every post is emotional,
// and English ones from tweets: on short support-call utterances the Chinese side
// over-reads anger and the English side under-reads it. The offsets were fitted on
// the tune half of testdata/calls.tsv (see TestTuneCalls) and checked on the other half.
type langPrior struct {
	zh, en [textmodel.NumClasses]float64
}

// defaultPrior is the fitted re-calibration (docs/emotion.md, BENCHMARKS.md).
var defaultPrior = langPrior{
	zh: [textmodel.NumClasses]float64{0, 0, 0, 0, -0.4},
	en: [textmodel.NumClasses]float64{0, 0, 0, 0, 0.3},
}

// Option configures a Model (see Default).
type Option func(*Model) error

// WithVoice wires in the acoustic model: each Call gets its own listener, so the
// voice is judged against that caller's baseline.
func WithVoice(v interface{ NewListener() VoiceListener }) Option {
	return func(m *Model) error {
		m.voice = v
		return nil
	}
}

// WithTextWeights replaces the embedded text model with weights written by
// `go run ./emotion/train`, so a retrained model can be tried without rebuilding.
func WithTextWeights(data []byte) Option {
	return func(m *Model) error {
		t, err := textmodel.Load(data)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadWeights, err)
		}
		m.text = t
		return nil
	}
}

// WithFusion replaces the default fusion weights, e.g. with ones re-fitted from
// human feedback (`calmline emotion refit`).
func WithFusion(w FusionWeights) Option {
	return func(m *Model) error {
		if err := w.Validate(); err != nil {
			return err
		}
		m.fusion = w.clone()
		return nil
	}
}

// Default returns the model with the embedded text weights and default fusion
// weights. It is safe for concurrent use.
func Default(opts ...Option) (*Model, error) {
	m := &Model{fusion: DefaultFusion(), prior: defaultPrior}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	if m.text == nil {
		t, err := textmodel.Load(embeddedTextWeights)
		if err != nil {
			return nil, fmt.Errorf("%w: embedded text model: %w", ErrBadWeights, err)
		}
		m.text = t
	}
	return m, nil
}

// Fusion returns a copy of the fusion weights in use (for refit and reports).
func (m *Model) Fusion() FusionWeights { return m.fusion.clone() }

// TextEvidence is what the text alone said before fusion: the text model's
// calibrated probabilities and the lexical cues. Readings keep it so that stored
// readings can be re-fused and fusion weights re-fitted from human labels.
type TextEvidence struct {
	Scores   map[Category]float64 `json:"scores"`   // calibrated text-model probability per category
	Positive float64              `json:"positive"` // calibrated probability that the text is positive (valence head)
	Cues     []Cue                `json:"cues"`     // lexical cues with their base strengths
	// Lang is the language the text was read as ("zh", "en", "" for neither):
	// fusion weighs the two text heads per language. Stored evidence from before it
	// was kept has none and is fused as "".
	Lang string `json:"lang,omitempty"`
}

// confusedPrior is the probability the text model leaves for Confused, which it has
// no data for; the confusion cues carry that category.
const confusedPrior = 0.04

// evidence runs the text model and the cue scanner on text folded to Simplified
// Chinese (both learnt Simplified); cue texts are cut from the original when the fold
// kept every offset, so an agent sees the caller's own characters.
func (m *Model) evidence(text string) *TextEvidence {
	return m.evidenceFolded(text, hanzi.Simplify(text))
}

// evidenceFolded is evidence with text already folded by hanzi.Simplify.
func (m *Model) evidenceFolded(text, folded string) *TextEvidence {
	lower := strings.ToLower(folded)
	// A phrase the caller rules out ("I'm not angry", 我不生气) is no evidence for
	// the cues, and must not be for the model either, which would read the feeling
	// word and not the denial: it sees the text with those phrases blanked.
	var masked []byte
	cues := scanCues(text, lower, nil, func(a, b int) {
		if len(lower) != len(folded) {
			return // the offsets are lower's; nothing safe to blank
		}
		if masked == nil {
			masked = []byte(folded)
		}
		for i := a; i < b; i++ {
			masked[i] = ' '
		}
	})
	if onlyKinds(cues, CueThanks, CuePolite) && calmReply(lower, masked) {
		// 不用, 不需要, 不是: a bare answer to a yes/no question says nothing of how
		// the caller feels, and 没关系, 慢慢来, "take your time" say the caller is at
		// ease; but the model learnt 不要, 不用 and 没 from angry Weibo posts (不要脸,
		// 不用你管) and read them angry. It reads such a reply as nothing said, and
		// the thanks in it (没事了) as thanks; the voice, when there is one, still
		// tells how it was said.
		masked = bytes.Repeat([]byte{' '}, len(folded))
	}
	input := folded
	if masked != nil {
		input = string(masked)
	}
	var buf [256]uint32
	var p [textmodel.NumClasses]float64
	var pos float64
	if masked != nil && !hasLetter(input) && hasKind(cues, CueIrony) {
		// Every word was said in irony ("Oh great.", "Just perfect.", 服了你们): the
		// model has nothing left to read, and what it says of empty text (mostly
		// neutral) would outweigh the cue that does know. It abstains. (A feeling
		// ruled out and nothing else, "not angry", is neutral: the model's own
		// reading of nothing says so.)
		for k := range p {
			p[k] = 1 / float64(len(p))
		}
		pos = 0.5
	} else {
		pos = m.text.Predict(textmodel.Features(input, buf[:0]), &p)
	}
	lang := DetectLang(text)
	m.prior.apply(lang, &p)
	ev := &TextEvidence{Scores: make(map[Category]float64, numCategories), Positive: pos, Lang: lang}
	for k, name := range textmodel.ClassNames {
		c, _ := ParseCategory(name)
		ev.Scores[c] = p[k] * (1 - confusedPrior)
	}
	ev.Scores[Confused] = confusedPrior
	ev.Cues = cues
	return ev
}

// apply shifts the category probabilities p by the offsets of lang and renormalises.
func (l *langPrior) apply(lang string, p *[textmodel.NumClasses]float64) {
	var off *[textmodel.NumClasses]float64
	switch lang {
	case "zh":
		off = &l.zh
	case "en":
		off = &l.en
	default:
		return
	}
	var sum float64
	for k := range p {
		p[k] *= math.Exp(off[k])
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

// Text reads the emotion of one utterance's text alone.
func (m *Model) Text(text string) Reading {
	text = strings.TrimSpace(text)
	if text == "" {
		return noEvidence()
	}
	ev := m.evidence(text)
	r := m.fuse(ev, Acoustic{})
	r.Lang = ev.Lang
	return r
}

// Fuse combines a text reading (from Text or Call.Turn, or a stored one) with what
// the voice said. A text reading without Evidence (no transcript) yields the voice
// alone; an unvoiced Acoustic leaves the text reading as it is.
func (m *Model) Fuse(text Reading, voice Acoustic) Reading {
	r := m.fuse(text.Evidence, voice)
	r.Lang = text.Lang
	return r
}

// noEvidence is the reading when there was neither text nor voice: neutral, with
// every category equally likely.
func noEvidence() Reading {
	s := make(map[Category]float64, numCategories)
	for _, c := range Categories {
		s[c] = 1 / float64(numCategories)
	}
	return Reading{Category: Neutral, Level: Calm, Confidence: 1 / float64(numCategories), Scores: s}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// calmReplies are answers with nothing to read but ease: a bare answer to a
// yes/no question (不用, 不是), or what a caller says to an apology or a wait
// (没关系, 慢慢来, "no worries", "take your time").
var calmReplies = map[string]bool{
	"不用": true, "不用了": true, "不需要": true, "不需要了": true, "不要": true, "不要了": true, "先不用": true,
	"先不用了": true, "先不要": true, "暂时不用": true, "暂时不需要": true, "不是": true, "不是的": true, "不对": true,
	"没有": true, "没有了": true, "没了": true, "不了": true, "不办了": true, "先不办了": true,
	"没关系": true, "没事": true, "没事了": true, "没事儿": true, "没事的": true, "不要紧": true, "不着急": true,
	"不急": true, "慢慢来": true, "没问题": true, "不碍事": true, "好的": true, "行": true, "可以": true,
	"never mind": true, "nevermind": true, "no worries": true, "no problem": true, "not a problem": true,
	"no problem at all": true, "take your time": true, "no rush": true, "no hurry": true, "all good": true,
	"that's ok": true, "that's okay": true, "that's fine": true, "that's alright": true, "thats ok": true,
	"thats okay": true, "thats fine": true, "it's ok": true, "it's okay": true, "it's fine": true,
	"it's alright": true, "its ok": true, "its okay": true, "its fine": true, "that is ok": true,
	"that is okay": true, "that is fine": true, "it is ok": true, "it is okay": true, "it is fine": true,
}

// calmReply reports whether lower (with the ruled-out phrases of masked blanked,
// when masked is not nil) is made only of calm replies, one per clause, give or
// take a filler before each (嗯, 哦) and a particle after it (吧, 啊); a clause
// blanked as ruled out (不用担心) or left with a filler alone counts as nothing.
func calmReply(lower string, masked []byte) bool {
	if len(lower) > 64 {
		return false // longer than any few calm replies: something else was said
	}
	if masked != nil {
		lower = strings.ToLower(string(masked))
	}
	found := false
	for _, clause := range strings.FieldsFunc(lower, func(r rune) bool {
		return strings.ContainsRune(clauseBreaks, r) || r == '、'
	}) {
		s := strings.Join(strings.FieldsFunc(strings.ReplaceAll(clause, "’", "'"), func(r rune) bool {
			return !unicode.IsLetter(r) && r != '\''
		}), " ")
		if !strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") {
			s = strings.ReplaceAll(s, " ", "") // 没 事 is 没事
		}
		s = strings.TrimRight(strings.TrimLeft(s, "嗯哦呃噢额那"), "吧啊呀哈哦呢")
		if s == "" {
			continue // a filler alone: 嗯，
		}
		if !calmReplies[s] {
			return false
		}
		found = true
	}
	return found
}

// onlyKinds reports whether every cue is of one of kinds (true for none).
func onlyKinds(cues []Cue, kinds ...string) bool {
	for _, c := range cues {
		if !slices.Contains(kinds, c.Kind) {
			return false
		}
	}
	return true
}

// hasLetter reports whether s has a letter or a Han character left to read.
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
