package tts

import (
	"errors"
	"testing"
)

func TestStyleRoundTrip(t *testing.T) {
	for _, s := range []Style{Neutral, Soothing, Urgent, Explaining} {
		got, err := ParseStyle(s.String())
		if err != nil || got != s {
			t.Errorf("ParseStyle(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
}

func TestParseStyle(t *testing.T) {
	tests := []struct {
		in      string
		want    Style
		wantErr bool
	}{
		{"", Neutral, false},
		{"  Soothing ", Soothing, false},
		{"URGENT", Urgent, false},
		{"explaining", Explaining, false},
		{"angry", Neutral, true},
	}
	for _, tt := range tests {
		got, err := ParseStyle(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseStyle(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if tt.wantErr && !errors.Is(err, ErrUnknownStyle) {
			t.Errorf("ParseStyle(%q) error %v is not ErrUnknownStyle", tt.in, err)
		}
	}
	if got := Style(9).String(); got != "Style(9)" {
		t.Errorf("Style(9).String() = %q", got)
	}
}
