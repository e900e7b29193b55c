package ari

import "fmt"

// Mode is how a supervisor is attached to a live call; the audit log
// records each one.
type Mode int

// Modes. The zero value is ModeUnknown.
const (
	ModeUnknown Mode = iota
	ModeListen       // hears caller and expert (or bot); nobody hears the supervisor
	ModeWhisper      // as listen, and the expert (only) hears the supervisor
	ModeBarge        // joins the call: everybody hears everybody
)

var modeNames = [...]string{"unknown", "listen", "whisper", "barge"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode is the inverse of String, for audit log readers.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return ModeUnknown, fmt.Errorf("ari: unknown supervisor mode %q", s)
}

// MarshalText writes the mode's name into JSON and YAML.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a mode name.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
