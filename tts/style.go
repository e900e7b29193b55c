package tts

import (
	"fmt"
	"strings"
)

// Style is the manner of speaking the emotion policy asks for. Backends map it
// to what they can vary (rate, pitch, volume, or an instruction).
type Style int

// Styles. Neutral is the zero value so an unset style speaks plainly.
const (
	Neutral    Style = iota // the flow's ordinary voice
	Soothing                // slower, lower, softer: for upset or anxious callers
	Urgent                  // quicker and brighter: time-critical information
	Explaining              // a little slower and clear: confused callers, instructions
)

var styleNames = [...]string{"neutral", "soothing", "urgent", "explaining"}

// String returns the style's name as written in flow YAML.
func (s Style) String() string {
	if s < 0 || int(s) >= len(styleNames) {
		return fmt.Sprintf("Style(%d)", int(s))
	}
	return styleNames[s]
}

// ParseStyle reads a style name (case-insensitive; empty means Neutral), so
// flows can name styles in YAML.
func ParseStyle(name string) (Style, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return Neutral, nil
	}
	for i, s := range styleNames {
		if s == n {
			return Style(i), nil
		}
	}
	return Neutral, fmt.Errorf("tts: parse style %q: %w (want one of %s)", name, ErrUnknownStyle, strings.Join(styleNames[:], ", "))
}
