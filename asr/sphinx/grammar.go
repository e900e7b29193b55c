package sphinx

import (
	"fmt"
	"strings"
	"unicode"
)

// loopPhones are the context-independent phones of the en-us model. A free
// loop over them is the yardstick for grammar matches: it shows how many
// phones the audio really holds, so a long sentence forced onto a short phrase
// is caught. (Inside the grammar as a garbage path, the loop out-scored even
// correct phrases on espeak speech whatever its weight; pocketsphinx's own
// allphone search took 25 s on a 0.8 s word where this loop takes under 0.5 s.)
var loopPhones = []string{
	"AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
	"HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH",
	"T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
}

// phonePrefix marks the dictionary words of the phone loop; no cmudict word
// starts with it, and buildGrammar refuses phrases that would.
const phonePrefix = "zzph"

func phoneWord(phone string) string { return phonePrefix + strings.ToLower(phone) }

func isPhoneWord(word string) bool { return strings.HasPrefix(word, phonePrefix) }

// phoneLoopJSGF is the grammar of the phone-loop pass.
func phoneLoopJSGF() string {
	return "#JSGF V1.0;\ngrammar phones;\npublic <utt> = <ph>+;\n" + phoneRule()
}

// phoneRule is the JSGF rule <ph>: any one of the loop's phone words.
func phoneRule() string {
	words := make([]string, len(loopPhones))
	for i, ph := range loopPhones {
		words[i] = phoneWord(ph)
	}
	return "<ph> = " + strings.Join(words, " | ") + ";\n"
}

// isFiller reports pocketsphinx's silence and noise tokens, which are not words.
func isFiller(word string) bool {
	return word == "(NULL)" || word == "<s>" || word == "</s>" || word == "<sil>" || strings.HasPrefix(word, "[") || strings.HasPrefix(word, "++")
}

var digitWords = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// normalise turns a flow phrase into dictionary words: lower case, digits spelt
// out one by one (IVR callers say account numbers digit by digit), punctuation
// dropped, apostrophes kept ("don't" is in the dictionary).
func normalise(phrase string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(phrase) {
		switch {
		case r >= '0' && r <= '9':
			flush()
			words = append(words, digitWords[r-'0'])
		case unicode.IsLetter(r) || r == '\'':
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// grammar is a compiled phrase list: the JSGF text and the way back from a
// recognised word sequence to the flow's own phrase.
type grammar struct {
	jsgf    string
	spot    string            // the phrases anywhere in a sentence: phone loop, phrase, phone loop
	phrases map[string]string // normalised words joined by " " -> original phrase
	dropped []string          // phrases with words the dictionary lacks
}

// buildGrammar writes a JSGF grammar of phrases, one alternative each. known
// filters out phrases with words the dictionary cannot pronounce (pocketsphinx
// would reject the grammar as a whole).
func buildGrammar(phrases []string, known func(string) bool) (grammar, error) {
	g := grammar{phrases: make(map[string]string)}
	var alts []string
	for _, p := range phrases {
		words := normalise(p)
		if len(words) == 0 {
			continue
		}
		ok := true
		for _, w := range words {
			if !known(w) || isPhoneWord(w) {
				ok = false
				break
			}
		}
		if !ok {
			g.dropped = append(g.dropped, p)
			continue
		}
		key := strings.Join(words, " ")
		if _, dup := g.phrases[key]; dup {
			continue
		}
		g.phrases[key] = p
		alts = append(alts, key)
	}
	if len(alts) == 0 {
		return g, fmt.Errorf("%w (dropped for unknown words: %q)", ErrNoPhrases, g.dropped)
	}
	var b strings.Builder
	b.WriteString("#JSGF V1.0;\ngrammar calmline;\n")
	b.WriteString("public <utt> = <phrase>;\n")
	b.WriteString("<phrase> = ")
	for i, a := range alts {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(a)
	}
	b.WriteString(";\n")
	g.jsgf = b.String()
	return g, nil
}

// spotJSGF finds one of the phrases inside longer speech: anything before and
// after it is taken by free phones, so "I want a refund please" can yield
// "refund". Whether the phrase is really there is decided afterwards by
// comparing its acoustic score with the phone loop's on the same frames.
// minSpotPhones keeps short phrases ("yes", "two") out of spotting: a few
// phones fit somewhere in any sentence.
const minSpotPhones = 6

func spotJSGF(alts []string) string {
	if len(alts) == 0 {
		return ""
	}
	return "#JSGF V1.0;\ngrammar calmlinespot;\npublic <utt> = <ph>* <phrase> <ph>*;\n<phrase> = " +
		strings.Join(alts, " | ") + ";\n" + phoneRule()
}
