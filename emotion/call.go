package emotion

import (
	"strings"
	"unicode"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion/internal/prob"
	"github.com/calmline/calmline/internal/hanzi"
)

// Call follows one caller through one call: their voice baseline (through the
// voice listener), the words they already said (so repetition is noticed) and the
// trajectory of their emotion. One per call; not safe for concurrent use.
type Call struct {
	m        *Model
	listener VoiceListener
	said     map[string]int // content words (en) / character bigrams (zh) of earlier turns
	history  []Reading
	voice    Acoustic // what the voice model heard in the last turn
	ema      float64  // smoothed intensity
	prevEMA  float64
	rising   int
	peak     Level
	threat   bool
	repeats  int
}

// maxHistory bounds what a Call keeps, so a long call does not grow without end.
const (
	maxHistory = 50
	maxSaid    = 2000
)

// NewCall starts the per-call state; with a voice model wired in, the call gets its
// own listener so the caller is judged against their own baseline.
func (m *Model) NewCall() *Call {
	c := &Call{m: m, said: make(map[string]int)}
	if m.voice != nil {
		c.listener = m.voice.NewListener()
	}
	return c
}

// Turn reads one caller turn. text may be "" (ASR failed) and f may be nil (no
// audio features); with neither the turn reads neutral with no evidence.
func (c *Call) Turn(text string, f *dsp.Features) Reading {
	text = strings.TrimSpace(text)
	var ev *TextEvidence
	if text != "" {
		folded := hanzi.Simplify(text)
		ev = c.m.evidenceFolded(text, folded)
		// Thanks said twice is no caller left unheard: only a turn that approves of
		// nothing, or names a problem too, can be a repetition that counts.
		cue, ok := c.repetition(folded)
		if ok && (namesProblem(ev.Cues) || !hasKind(ev.Cues, CueThanks)) {
			ev.Cues = append(ev.Cues, cue)
		}
	}
	var voice Acoustic
	if f != nil && c.listener != nil {
		voice = c.listener.Listen(*f)
	}
	c.voice = voice
	r := c.m.fuse(ev, voice)
	if ev != nil {
		r.Lang = ev.Lang
	}
	c.track(r)
	return r
}

// contentUnits splits text into what counts as "the same words": English words of
// three letters or more outside a stop list, and Chinese character bigrams.
func contentUnits(text string) []string {
	lower := strings.ToLower(text)
	var out []string
	var prevHan rune
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := lower[start:end]
			if len(w) >= 3 && !stopWords[w] {
				out = append(out, w)
			}
			start = -1
		}
	}
	for i, r := range lower {
		switch {
		case unicode.Is(unicode.Han, r):
			flush(i)
			if prevHan != 0 && !stopHan[prevHan] && !stopHan[r] {
				out = append(out, string([]rune{prevHan, r}))
			}
			prevHan = r
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''):
			if start < 0 {
				start = i
			}
			prevHan = 0
		default:
			flush(i)
			prevHan = 0
		}
	}
	flush(len(lower))
	return out
}

var stopWords = map[string]bool{"the": true, "and": true, "you": true, "your": true, "for": true, "this": true,
	"that": true, "with": true, "have": true, "was": true, "are": true, "but": true, "not": true, "can": true,
	"i'm": true, "it's": true, "what": true, "from": true, "there": true, "they": true, "will": true, "would": true,
	"please": true, "just": true, "about": true, "want": true, "need": true, "yes": true, "okay": true, "know": true,
	// courtesy, said again and again by the calmest callers
	"thank": true, "thanks": true, "much": true, "lot": true, "very": true, "hello": true, "bye": true,
	"goodbye": true, "sorry": true, "yeah": true}

var stopHan = map[rune]bool{'的': true, '了': true, '是': true, '我': true, '你': true, '们': true, '吗': true,
	'吧': true, '呢': true, '啊': true, '在': true, '有': true, '这': true, '那': true, '个': true, '就': true,
	'也': true, '都': true, '要': true, '和': true, '好': true, '请': true, '问': true, '谢': true, '喂': true}

// repetition notices when most of this turn's content was already said in earlier
// turns (the caller repeating themselves because they feel unheard), then remembers
// this turn's content.
func (c *Call) repetition(text string) (Cue, bool) {
	units := contentUnits(text)
	var seen []string
	for _, u := range units {
		if c.said[u] > 0 {
			seen = append(seen, u)
		}
	}
	if len(c.said) < maxSaid {
		for _, u := range units {
			c.said[u]++
		}
	}
	if len(units) == 0 || len(seen) < 2 {
		return Cue{}, false
	}
	share := float64(len(seen)) / float64(len(units))
	if share < 0.5 {
		return Cue{}, false
	}
	shown := seen
	if len(shown) > 4 {
		shown = shown[:4]
	}
	sep := " "
	if DetectLang(text) == "zh" {
		sep = "、"
	}
	return Cue{Kind: CueRepeatSelf, Text: strings.Join(shown, sep), Weight: round3(0.5 + share)}, true
}

// track folds a reading into the trajectory.
func (c *Call) track(r Reading) {
	var prev *Reading
	if n := len(c.history); n > 0 {
		prev = &c.history[n-1]
	}
	c.prevEMA = c.ema
	if prev == nil {
		c.ema = r.Intensity
	} else {
		c.ema = 0.5*c.ema + 0.5*r.Intensity
	}
	// Rising anger: anger is strong and the intensity went up, or holds at severe
	// (intensity saturates, and an angry caller who stays there is not calming down).
	angry := r.Scores[Angry] >= 0.3 && r.Level >= Mild
	switch {
	case prev == nil:
	case angry && (r.Intensity > prev.Intensity+0.02 || r.Level == Severe && prev.Level == Severe):
		c.rising++
	default:
		c.rising = 0
	}
	if r.Level > c.peak {
		c.peak = r.Level
	}
	for _, cue := range r.Cues {
		switch cue.Kind {
		case CueThreat:
			c.threat = true
		case CueRepeat, CueRepeatSelf:
			c.repeats++
		}
	}
	c.history = append(c.history, r)
	if len(c.history) > maxHistory {
		c.history = append(c.history[:0], c.history[len(c.history)-maxHistory:]...)
	}
}

// Voice is what the voice model alone heard in the last turn, in its own classes as
// well as calmline's categories; Voiced is false when the turn had no usable speech
// or the model has no voice model. `calmline analyze` prints it so a recording can be
// scored against its label without the text side in between.
func (c *Call) Voice() Acoustic { return c.voice }

// Trajectory is the call so far as the dialog policy needs it.
func (c *Call) Trajectory() Trajectory {
	n := len(c.history)
	t := Trajectory{Turns: n, Peak: c.peak, RisingTurns: c.rising}
	if n == 0 {
		return t
	}
	cur := c.history[n-1]
	t.Current = cur
	t.Smoothed = c.m.fusion.level(c.ema)
	t.To, t.From = cur.Category, cur.Category
	if n > 1 {
		prev := c.history[n-2]
		t.From = prev.Category
		t.Switched = t.From != t.To && prev.Confidence >= 0.5 && cur.Confidence >= 0.5
		switch d := c.ema - c.prevEMA; {
		case d > 0.05:
			t.Trend = Rising
		case d < -0.05:
			t.Trend = Falling
		}
	}
	// Hand-set, not trained (there are no call outcomes to learn from yet): smoothed
	// intensity, consecutive rising turns, threats and repeated complaints.
	z := -3.2 + 4*c.ema + 0.6*float64(min(c.rising, 4)) + 0.35*float64(min(c.repeats, 4))
	if c.threat {
		z += 1.2
	}
	t.EscalationRisk = round3(prob.Sigmoid(z))
	t.History = append([]Reading(nil), c.history...)
	return t
}
