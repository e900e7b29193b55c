// Package redact removes personal data from transcripts before calmline stores
// them: a recorded complaint is kept for coaching and A/B analysis for months,
// the caller's phone number, e-mail, card or ID number must not be.
//
// What goes: phone numbers (Chinese mobiles, +country numbers, formatted
// landlines and North-American numbers), e-mail addresses, bank and credit card
// numbers (13-19 digits that pass the Luhn check) and 18-digit Chinese resident ID
// numbers (valid ISO 7064 check digit), also when dictated in Chinese numerals
// (幺三八…) or full-width digits. What stays: order, ticket and tracking
// numbers, so an agent reading the transcript can still find the order. A number
// right after an order word ("order", "ticket", "订单", "单号", "#"; Traditional 訂單 too) is always kept;
// a bare digit string that is none of the above is kept too.
package redact

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Placeholders written in place of what was removed. They are words an agent
// understands, and they keep the sentence readable for the emotion model.
const (
	Phone = "[phone]"
	Email = "[email]"
	Card  = "[card]"
	ID    = "[id]"
)

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// numberRE finds digit runs that may be written with spaces, dashes, dots or
	// brackets between groups, optionally with a leading + and a trailing X (the
	// check character of a Chinese ID). Classification happens on the digits.
	numberRE = regexp.MustCompile(`\+?\(?\d(?:\d|[ \-.()]{1,2}\d)*[Xx]?`)
	// orderRE matches an order word right before a number (allowing "number",
	// "no.", ":", "#" and spaces in between).
	orderRE = regexp.MustCompile(`(?i)(?:order|ticket|tracking|invoice|case|ref(?:erence)?|订单|单号|工单|快递|运单|编号|訂單|單號|工單|快遞|運單|編號)\s*(?:number|no\.?|num|id|号|号码|號|號碼)?\s*[:：#＃]?\s*$|#\s*$`)
)

// Text returns s with personal data replaced by the placeholders above. It never
// fails: text it does not recognise is returned unchanged.
func Text(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRE.ReplaceAllString(s, Email)
	}
	s = replaceNumbers(s, numberRE, false)
	return replaceNumbers(s, hanNumberRE, true)
}

// hanNumberRE finds numbers dictated in Chinese numerals (幺三八…, 幺 is how a
// one is read out in phone numbers) or in full-width digits, as ASR may write them.
var hanNumberRE = regexp.MustCompile(`[〇零一二三四五六七八九幺０-９](?:[ ]?[〇零一二三四五六七八九幺０-９])+[Xx]?`)

// hanDigits maps Chinese numerals and full-width digits to ASCII digits.
var hanDigits = strings.NewReplacer(
	"〇", "0", "零", "0", "一", "1", "幺", "1", "二", "2", "三", "3", "四", "4",
	"五", "5", "六", "6", "七", "7", "八", "8", "九", "9",
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
)

// orderLookback is how far before a number an order word is looked for.
const orderLookback = 48

func replaceNumbers(s string, re *regexp.Regexp, han bool) string {
	locs := re.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		start, end := loc[0], loc[1]
		// A digit run glued to letters (e.g. "A1234567890", "v2") is an
		// identifier, not a number someone dictated.
		if start > 0 && isWordByte(s[start-1]) || end < len(s) && isWordByte(s[end]) {
			continue
		}
		m := s[start:end]
		if han {
			m = strings.ReplaceAll(hanDigits.Replace(m), " ", "")
		}
		tag := classify(m)
		if tag == "" || afterOrderWord(s[:start]) {
			continue
		}
		if last == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(tag)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// afterOrderWord reports whether prefix ends with an order word, looking only at
// its tail so a long transcript with many numbers stays linear.
func afterOrderWord(prefix string) bool {
	if len(prefix) > orderLookback {
		cut := len(prefix) - orderLookback
		for cut < len(prefix) && !utf8.RuneStart(prefix[cut]) {
			cut++
		}
		prefix = prefix[cut:]
	}
	return orderRE.MatchString(prefix)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= '0' && c <= '9'
}

// classify says what a matched number is, or "" when it should stay.
func classify(m string) string {
	plus := strings.HasPrefix(m, "+")
	formatted := strings.ContainsAny(strings.TrimPrefix(m, "+"), " -.()")
	x := strings.HasSuffix(m, "X") || strings.HasSuffix(m, "x")
	digits := make([]byte, 0, len(m))
	for i := 0; i < len(m); i++ {
		if c := m[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	n := len(digits)
	switch {
	case x:
		if n == 17 && chineseID(append(digits, 'X')) {
			return ID
		}
		return ""
	case n == 18 && chineseID(digits):
		return ID
	case n >= 13 && n <= 19 && !plus && luhn(digits):
		return Card
	case plus && n >= 7 && n <= 15:
		return Phone
	case chineseMobile(digits):
		return Phone
	case formatted && n >= 7 && n <= 12 && lastGroup(m) >= 4:
		// Dictated with separators: 010-12345678, (555) 123-4567, 555.123.4567.
		// Phone numbers end in a group of four or more digits; dates
		// (2024-03-15) and amounts (1 000 000) do not.
		return Phone
	}
	return ""
}

// lastGroup is the length of the final run of digits in m.
func lastGroup(m string) int {
	n := 0
	for i := len(m) - 1; i >= 0 && m[i] >= '0' && m[i] <= '9'; i-- {
		n++
	}
	return n
}

// chineseMobile reports an 11-digit mobile number 1[3-9]xxxxxxxxx, optionally with
// the 86 country code.
func chineseMobile(d []byte) bool {
	if len(d) == 13 && d[0] == '8' && d[1] == '6' {
		d = d[2:]
	}
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// luhn is the check card numbers carry; a random digit string passes it one time
// in ten, which is why order words protect order numbers.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// chineseID checks the ISO 7064 MOD 11-2 check character of an 18-character
// resident ID number (GB 11643-1999).
func chineseID(d []byte) bool {
	if len(d) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	const checks = "10X98765432"
	sum := 0
	for i := 0; i < 17; i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
		sum += int(d[i]-'0') * weights[i]
	}
	c := d[17]
	if c == 'x' {
		c = 'X'
	}
	return checks[sum%11] == c
}
