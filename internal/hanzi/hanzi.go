// Package hanzi folds Traditional Chinese into Simplified Chinese, so that what was
// written for one script (the emotion cue lexicon, the text model's n-grams, flow
// keywords) also works on the other. Recognisers disagree on the script: Whisper-style
// models often write Mandarin in Traditional characters, and callers from Taiwan or
// Hong Kong type and speak it; 「我要投訴」 must count as 投诉.
package hanzi

import (
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
)

// folder is OpenCC's Traditional-to-Simplified converter (phrases first, then single
// characters) and the set of common Han characters it changes on their own, so text
// with none of them (Simplified Chinese, the usual case) skips the converter, which
// costs about 10 µs and a hundred allocations a sentence.
type folder struct {
	cc      *opencc.OpenCC
	changes []uint64 // bit per rune below tableEnd: converting the rune alone changes it
}

// tableEnd bounds the runes the change set covers: the Basic Multilingual Plane, where
// the CJK blocks and nearly all Traditional characters are. Han runes above it are
// always sent to the converter.
const tableEnd = 0x10000

// t2s is built once, on first use, from the tables embedded in the library (25 ms on
// the development machine); it is read-only afterwards and safe for concurrent use.
var t2s = sync.OnceValues(func() (*folder, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, err
	}
	f := &folder{cc: cc, changes: make([]uint64, tableEnd/64)}
	for _, rt := range unicode.Han.R16 {
		for r := rune(rt.Lo); r <= rune(rt.Hi); r += rune(rt.Stride) {
			s := string(r)
			if out, err := cc.Convert(s); err == nil && out != s {
				f.changes[r/64] |= 1 << (r % 64)
			}
		}
	}
	return f, nil
})

// Simplify returns s with Traditional characters and phrases in their Simplified
// forms. Text with no Traditional character comes back as it is, without a copy;
// so does any text if the tables cannot be used, since a reading of the original is
// better than none. Invalid UTF-8 in converted text becomes U+FFFD.
func Simplify(s string) string {
	i := firstHan(s)
	if i < 0 {
		return s // no tables needed: English text never builds them
	}
	f, err := t2s()
	if err != nil || !f.needs(s[i:]) {
		return s
	}
	out, err := f.cc.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// Warm builds the tables now, so the first Chinese caller does not wait for them.
func Warm() { _, _ = t2s() }

// needs reports whether s has a character the converter would change.
func (f *folder) needs(s string) bool {
	for _, r := range s {
		if r >= tableEnd {
			if unicode.Is(unicode.Han, r) {
				return true
			}
			continue
		}
		if f.changes[r/64]&(1<<(r%64)) != 0 {
			return true
		}
	}
	return false
}

// firstHan is the byte offset of the first Han character in s, or -1.
func firstHan(s string) int {
	for i, r := range s {
		if r >= 0x2E80 && unicode.Is(unicode.Han, r) {
			return i
		}
	}
	return -1
}
