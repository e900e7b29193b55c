package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// features measures one clip the way a live call is measured: the WAV is resampled to
// calmline's 16 kHz and analysed by dsp with its default configuration, and the
// whole-clip summary is used (EmoDB clips are single sentences cut to 2 s).
// It also measures the clip as a G.711 phone line would carry it (audio.Telephone),
// since SIP callers reach calmline through Asterisk in μ-law, and, for each speed
// factor, the clip played that much faster (wide-band under the factor's key, phone
// band under "<factor> phone").
func features(path string, speeds []string) (wide, phone dsp.Features, speed map[string]dsp.Features, err error) {
	pcm, err := audio.Load16k(path)
	if err != nil {
		return wide, phone, nil, fmt.Errorf("load %s: %w", path, err)
	}
	tel, err := audio.Telephone(pcm)
	if err != nil {
		return wide, phone, nil, fmt.Errorf("phone-band %s: %w", path, err)
	}
	if len(speeds) > 0 {
		speed = make(map[string]dsp.Features, 2*len(speeds))
	}
	for _, sp := range speeds {
		f, err := parseSpeed(sp)
		if err != nil {
			return wide, phone, nil, err
		}
		// Playing 16 kHz audio as if it were recorded at 16 kHz × f and resampling
		// back to 16 kHz shifts pitch and formants by f and shortens time by 1/f:
		// the speed perturbation speech recognisers train with.
		fast, err := audio.Resample(pcm, int(16000*f+0.5), 16000)
		if err != nil {
			return wide, phone, nil, fmt.Errorf("speed %s %s: %w", sp, path, err)
		}
		fastTel, err := audio.Telephone(fast)
		if err != nil {
			return wide, phone, nil, fmt.Errorf("phone-band speed %s %s: %w", sp, path, err)
		}
		speed[sp] = dsp.Analyze(fast, dsp.Config{}).Features
		speed[sp+" phone"] = dsp.Analyze(fastTel, dsp.Config{}).Features
	}
	return dsp.Analyze(pcm, dsp.Config{}).Features, dsp.Analyze(tel, dsp.Config{}).Features, speed, nil
}

// parseSpeed reads one -augment factor; outside 0.7–1.3 a voice stops sounding
// like a person, so those are refused.
func parseSpeed(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f >= 0.7 && f <= 1.3) || f == 1 {
		return 0, fmt.Errorf("-augment: bad speed factor %q (want 0.7–1.3, not 1)", s)
	}
	return f, nil
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
// that is only ever trained on, and each speed factor adds a training copy on
// each channel trained on.
func applyChannel(bySpk map[string][]clip, channel string, speeds []string) error {
	switch channel {
	case channelWide, channelPhoneTest, channelPhone, channelMixed:
	default:
		return fmt.Errorf("unknown -channel %q: want wide, phone-test, phone or mixed", channel)
	}
	trainWide := channel != channelPhone
	trainPhone := channel == channelPhone || channel == channelMixed
	for spk, cs := range bySpk {
		out := make([]clip, 0, 2*len(cs)*(1+len(speeds)))
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
				cp := c
				cp.F, cp.Copy = c.Phone, "phone"
				out = append(out, cp)
			}
			for _, sp := range speeds {
				if trainWide {
					cp := c
					cp.F, cp.Copy = c.Speed[sp], "speed "+sp
					out = append(out, cp)
				}
				if trainPhone {
					cp := c
					cp.F, cp.Copy = c.Speed[sp+" phone"], "speed "+sp+" phone"
					out = append(out, cp)
				}
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
		if c.Copy == "" {
			c.F = c.Test
			out = append(out, c)
		}
	}
	return out
}
