// Package textmodel is calmline's text emotion model: hashed word and character
// n-grams of Chinese and English text feeding two small linear heads (emotion
// category and valence). It is shared by the runtime (package emotion, which embeds
// the trained weights) and the training tool (emotion/train), so both see exactly
// the same features.
package textmodel

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// Feature-kind seeds keep a word, a character and a bigram with the same bytes in
// different hash buckets.
const (
	seedWord   uint32 = 0x9e3779b1
	seedWord2  uint32 = 0x85ebca77
	seedHan1   uint32 = 0x27d4eb2f
	seedHan2   uint32 = 0x165667b1
	seedHan3   uint32 = 0xd3a2646c
	seedPunct  uint32 = 0xfd7046c5
	seedLength uint32 = 0xb55a4f09
)

// Features appends the hashed feature indices of text (before masking to the table
// size) to dst and returns it. It allocates nothing when dst has room.
func Features(text string, dst []uint32) []uint32 {
	var (
		prevWord   uint32 // hash of the previous English word, 0 = none
		han1, han2 rune   // previous two Han characters in the current run, 0 = none
		wordStart  = -1
		nTokens    int
	)
	flushWord := func(end int) {
		if wordStart < 0 {
			return
		}
		w := text[wordStart:end]
		wordStart = -1
		h := hashLower(seedWord, w)
		dst = append(dst, h)
		if prevWord != 0 {
			dst = append(dst, mix(seedWord2, prevWord*31+h))
		}
		prevWord = h
		nTokens++
	}
	for i, r := range text {
		switch {
		case isWordRune(r):
			if wordStart < 0 {
				wordStart = i
			}
			han1, han2 = 0, 0
		case unicode.Is(unicode.Han, r):
			flushWord(i)
			prevWord = 0
			dst = append(dst, mix(seedHan1, uint32(r)))
			if han2 != 0 {
				dst = append(dst, mix(seedHan2, uint32(han2)*65599+uint32(r)))
				if han1 != 0 {
					dst = append(dst, mix(seedHan3, (uint32(han1)*65599+uint32(han2))*65599+uint32(r)))
				}
			}
			han1, han2 = han2, r
			nTokens++
		default:
			flushWord(i)
			if r == '\'' || r == '’' {
				continue
			}
			han1, han2 = 0, 0
			switch r {
			case '?', '？':
				dst = append(dst, mix(seedPunct, '?'))
			case '!', '！':
				dst = append(dst, mix(seedPunct, '!'))
			case '.', '。':
				prevWord = 0
			}
		}
	}
	flushWord(len(text))
	// a coarse length feature: very short utterances behave differently
	lb := uint32(0)
	switch {
	case nTokens <= 3:
		lb = 1
	case nTokens <= 8:
		lb = 2
	case nTokens <= 20:
		lb = 3
	default:
		lb = 4
	}
	dst = append(dst, mix(seedLength, lb))
	return dst
}

// isWordRune reports whether r belongs to a Latin-script word (letters, digits).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) && !unicode.Is(unicode.Han, r) || unicode.IsDigit(r)
}

// hashLower is FNV-1a over the lower-cased runes of s, without allocating.
func hashLower(seed uint32, s string) uint32 {
	h := uint32(2166136261) ^ seed
	for _, r := range s {
		r = unicode.ToLower(r)
		for r > 0 {
			h ^= uint32(r & 0xff)
			h *= 16777619
			r >>= 8
		}
	}
	return mix(seed, h)
}

// mix is a 32-bit finaliser (murmur3 fmix) so nearby inputs land far apart.
func mix(seed, h uint32) uint32 {
	h ^= seed
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	if h == 0 {
		h = 1
	}
	return h
}

// Scale is the value every feature of an example carries: 1/sqrt(n), so long
// reviews and short utterances produce logits of comparable size.
func Scale(n int) float64 {
	if n == 0 {
		return 0
	}
	return 1 / math.Sqrt(float64(n))
}

const (
	seedHanSkip uint32 = 0x61c88647
	seedHan4    uint32 = 0x7f4a7c15
)

// ValenceFeatures appends the extra features only the valence head reads:
// Chinese character 4-grams and skip-bigrams (c[i-2], c[i]), which catch "不太好",
// "一点都不" and similar review phrasing that 1-3-grams split.
func ValenceFeatures(text string, dst []uint32) []uint32 {
	var h [3]rune // previous three Han characters in the current run, newest last
	for _, r := range text {
		if !unicode.Is(unicode.Han, r) {
			if r != '\'' && r != '’' {
				h = [3]rune{}
			}
			continue
		}
		if h[1] != 0 {
			dst = append(dst, mix(seedHanSkip, uint32(h[1])*65599+uint32(r)))
		}
		if h[0] != 0 {
			dst = append(dst, mix(seedHan4, ((uint32(h[0])*65599+uint32(h[1]))*65599+uint32(h[2]))*65599+uint32(r)))
		}
		h[0], h[1], h[2] = h[1], h[2], r
	}
	return dst
}
