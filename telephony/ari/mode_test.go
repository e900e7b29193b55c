package ari

import "testing"

func TestModeRoundTrip(t *testing.T) {
	for _, m := range []Mode{ModeUnknown, ModeListen, ModeWhisper, ModeBarge} {
		b, _ := m.MarshalText()
		var got Mode
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Errorf("round trip %v: %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("spy"); err == nil {
		t.Error("ParseMode(spy): want error")
	}
	if s := Mode(7).String(); s != "Mode(7)" {
		t.Errorf("String = %q", s)
	}
}
