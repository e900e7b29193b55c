package main

import (
	"fmt"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// features measures one clip the way a live call is measured: the WAV is resampled to
// calmline's 16 kHz and analysed by dsp with its default configuration, and the
// whole-clip summary is used (EmoDB clips are single sentences cut to 2 s).
// It also measures the clip as a G.711 phone line would carry it (audio.Telephone),
// since SIP callers reach calmline through Asterisk in μ-law.
func features(path string) (wide, phone dsp.Features, err error) {
	pcm, err := audio.Load16k(path)
	if err != nil {
		return wide, phone, fmt.Errorf("load %s: %w", path, err)
	}
	tel, err := audio.Telephone(pcm)
	if err != nil {
		return wide, phone, fmt.Errorf("phone-band %s: %w", path, err)
	}
	return dsp.Analyze(pcm, dsp.Config{}).Features, dsp.Analyze(tel, dsp.Config{}).Features, nil
}

// Channels say which audio a run trains and tests on: wide-band as recorded
// (the browser softphone), the phone band (SIP calls), or both.
const (
	channelWide      = "wide"       // train and test wide-band
	channelPhoneTest = "phone-test" // train wide-band, test on the phone band: a wide-trained model on SIP calls
	channelPhone     = "phone"      // train and test on the phone band
	channelMixed     = "mixed"      // train on both copies of each clip, test on the phone band
)

// applyChannel sets, for every clip, the features it is trained on (F) and
// scored on (Test) under channel; "mixed" adds a phone-band copy of each clip
// that is only ever trained on.
func applyChannel(bySpk map[string][]clip, channel string) error {
	switch channel {
	case channelWide, channelPhoneTest, channelPhone, channelMixed:
	default:
		return fmt.Errorf("unknown -channel %q: want wide, phone-test, phone or mixed", channel)
	}
	for spk, cs := range bySpk {
		out := make([]clip, 0, 2*len(cs))
		for _, c := range cs {
			c.Test = c.Phone
			if channel == channelWide {
				c.Test = c.F
			}
			if channel == channelPhone {
				c.F = c.Phone
			}
			out = append(out, c)
			if channel == channelMixed {
				c.F, c.Copy = c.Phone, true
				out = append(out, c)
			}
		}
		bySpk[spk] = out
	}
	return nil
}

// testView is a held-out speaker's clips as they are scored: each recording
// once, measured as the channel delivers it.
func testView(cs []clip) []clip {
	out := make([]clip, 0, len(cs))
	for _, c := range cs {
		if !c.Copy {
			c.F = c.Test
			out = append(out, c)
		}
	}
	return out
}
