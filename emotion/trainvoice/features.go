package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/dsp"
)

// measured is one recording's features as the two channels deliver it.
type measured struct {
	Wide  dsp.Features `json:"wide"`  // as recorded (the browser softphone)
	Phone dsp.Features `json:"phone"` // through a G.711 phone line (SIP calls)
}

// measure analyses pcm as a live call would (dsp with its default configuration,
// the whole clip as one utterance), wide-band and after audio.Telephone, since SIP
// callers reach calmline through Asterisk in μ-law.
func measure(pcm []int16) (measured, error) {
	tel, err := audio.Telephone(pcm)
	if err != nil {
		return measured{}, fmt.Errorf("phone band: %w", err)
	}
	return measured{Wide: dsp.Analyze(pcm, dsp.Config{}).Features, Phone: dsp.Analyze(tel, dsp.Config{}).Features}, nil
}

// augmentation says which training copies each recording gets. Six actors are few
// voices and 388 clips few examples for a network: each copy is trained on as a
// pseudo-speaker of its own and never scored.
type augmentation struct {
	// speeds: the clip played that much faster (or slower, below 1); pitch,
	// formants and tempo all move, like another voice.
	speeds []float64
	// crop: the fraction of the clip's speech that each of two crops keeps, one
	// from its start and one from its end (0: no crops). A live turn is judged
	// from whatever stretch of speech it holds, and a shorter stretch gives the
	// same emotion with other functionals.
	crop float64
}

// copyNames lists the training copies a recording gets, in a fixed order; the
// names key clip.Copies and become clip.Copy.
func (a augmentation) copyNames() []string {
	var out []string
	for _, f := range a.speeds {
		out = append(out, speedCopy(f))
	}
	if a.crop > 0 {
		c := cropCopies(a.crop)
		out = append(out, c[:]...)
	}
	return out
}

// speedCopy names the copy played at speed factor f.
func speedCopy(f float64) string { return "speed " + speedKey(f) }

// cropCopies names the two crops keeping fraction frac, as crops returns them.
func cropCopies(frac float64) [2]string {
	k := speedKey(frac)
	return [2]string{"crop " + k + " head", "crop " + k + " tail"}
}

// features measures one clip resampled to calmline's 16 kHz (EmoDB clips are single
// sentences cut to 2 s) and each of its training copies (keyed as copyNames).
func features(path string, aug augmentation) (rec measured, copies map[string]measured, err error) {
	pcm, err := audio.Load16k(path)
	if err != nil {
		return rec, nil, fmt.Errorf("load %s: %w", path, err)
	}
	if rec, err = measure(pcm); err != nil {
		return rec, nil, fmt.Errorf("%s: %w", path, err)
	}
	copies = make(map[string]measured)
	for _, f := range aug.speeds {
		// Playing 16 kHz audio as if it were recorded at 16 kHz × f and resampling
		// back to 16 kHz shifts pitch and formants by f and shortens time by 1/f:
		// the speed perturbation speech recognisers train with.
		name := speedCopy(f)
		fast, err := audio.Resample(pcm, int(16000*f+0.5), 16000)
		if err == nil {
			copies[name], err = measure(fast)
		}
		if err != nil {
			return rec, nil, fmt.Errorf("%s %s: %w", name, path, err)
		}
	}
	if aug.crop > 0 {
		names := cropCopies(aug.crop)
		for i, part := range crops(pcm, aug.crop) {
			if copies[names[i]], err = measure(part); err != nil {
				return rec, nil, fmt.Errorf("%s %s: %w", names[i], path, err)
			}
		}
	}
	return rec, copies, nil
}

// cropSilence is the level (about -40 dBFS) below which a clip's leading and
// trailing samples count as the silence around its speech.
const cropSilence = 328

// crops returns the first and the last frac of the speech in pcm, the silence
// around it trimmed first, so both crops hold speech.
func crops(pcm []int16, frac float64) [2][]int16 {
	quiet := func(x int16) bool { return x > -cropSilence && x < cropSilence }
	lo, hi := 0, len(pcm)
	for lo < hi && quiet(pcm[lo]) {
		lo++
	}
	for hi > lo && quiet(pcm[hi-1]) {
		hi--
	}
	n := int(float64(hi-lo) * frac)
	return [2][]int16{pcm[lo : lo+n], pcm[hi-n : hi]}
}

// speedKey names a speed factor as it was given (0.9, 1.1).
func speedKey(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseCrop reads -crop: 0 (no crops) or a fraction from 0.3 (shorter stretches of
// a 2 s clip hold too little speech to carry its emotion) to 0.9.
func parseCrop(v float64) (float64, error) {
	if v != 0 && !(v >= 0.3 && v <= 0.9) {
		return 0, fmt.Errorf("-crop: bad fraction %g (want 0, or 0.3–0.9)", v)
	}
	return v, nil
}

// parseSpeeds reads the -augment list; outside 0.7–1.3 a voice stops sounding
// like a person, so those factors are refused.
func parseSpeeds(list string) ([]float64, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []float64
	for _, s := range strings.Split(list, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(f >= 0.7 && f <= 1.3) || f == 1 {
			return nil, fmt.Errorf("-augment: bad speed factor %q (want 0.7–1.3, not 1)", s)
		}
		out = append(out, f)
	}
	return out, nil
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
// that is only ever trained on, and each of the clip's copies (names) adds a
// training copy on each channel trained on.
func applyChannel(bySpk map[string][]clip, channel string, names []string) error {
	switch channel {
	case channelWide, channelPhoneTest, channelPhone, channelMixed:
	default:
		return fmt.Errorf("unknown -channel %q: want wide, phone-test, phone or mixed", channel)
	}
	trainWide := channel != channelPhone
	trainPhone := channel == channelPhone || channel == channelMixed
	for spk, cs := range bySpk {
		out := make([]clip, 0, 2*len(cs)*(1+len(names)))
		for _, c := range cs {
			c.Test = c.Phone
			if channel == channelWide {
				c.Test = c.F
			}
			if channel == channelPhone {
				c.F = c.Phone
			}
			out = append(out, c)
			addCopy := func(name string, f dsp.Features) {
				cp := c
				cp.F, cp.Copy = f, name
				out = append(out, cp)
			}
			if channel == channelMixed {
				addCopy("phone", c.Phone)
			}
			for _, name := range names {
				m := c.Copies[name]
				if trainWide {
					addCopy(name, m.Wide)
				}
				if trainPhone {
					addCopy(name+" phone", m.Phone)
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
