package emotion

import "unicode"

// DetectLang says whether text is Chinese ("zh") or English ("en"), or "" when it
// has no letters. Mixed text counts as Chinese when it has at least as many Han
// characters as Latin words, since Chinese callers often mix in English brand names.
func DetectLang(text string) string {
	var han, words int
	inWord := false
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			inWord = false
		case r < 128 && (r|0x20 >= 'a' && r|0x20 <= 'z'):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	switch {
	case han > 0 && han >= words:
		return "zh"
	case words > 0:
		return "en"
	case han > 0:
		return "zh"
	}
	return ""
}
