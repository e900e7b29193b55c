package audio

import (
	"math"
	"testing"
)

func TestG711RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		enc      func(int16) byte
		dec      func(byte) int16
		maxError float64 // relative, at full-scale segments
	}{{"ulaw", LinearToMuLaw, MuLawToLinear, 0.035}, {"alaw", LinearToALaw, ALawToLinear, 0.035}} {
		for _, s := range []int16{-32768, -12345, -1000, -100, 0, 100, 1000, 12345, 32767} {
			got := tc.dec(tc.enc(s))
			if d := math.Abs(float64(got) - float64(s)); d > tc.maxError*math.Abs(float64(s))+16 {
				t.Errorf("%s: %d -> %d", tc.name, s, got)
			}
		}
		for b := 0; b < 256; b++ { // every code decodes to a value that encodes back to it or its ±0 twin
			v := tc.dec(byte(b))
			if tc.dec(tc.enc(v)) != v {
				t.Errorf("%s: code %#02x -> %d does not round-trip", tc.name, b, v)
			}
		}
	}
}

// A phone line keeps speech-band tones and removes what lies above 4 kHz.
func TestTelephone(t *testing.T) {
	tone := func(hz float64) []int16 {
		s := make([]int16, 16000)
		for i := range s {
			s[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/16000))
		}
		return s
	}
	rms := func(s []int16) float64 {
		var e float64
		for _, v := range s[2000:14000] { // away from the edges
			e += float64(v) * float64(v)
		}
		return math.Sqrt(e / 12000)
	}
	in := tone(1000)
	out, err := Telephone(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("length %d, want %d", len(out), len(in))
	}
	var e float64
	for i := 2000; i < 14000; i++ {
		d := float64(out[i]) - float64(in[i])
		e += d * d
	}
	if snr := 20 * math.Log10(rms(in)/math.Sqrt(e/12000)); snr < 30 {
		t.Errorf("1 kHz through the line: SNR %.1f dB, want ≥ 30", snr)
	}
	hi, err := Telephone(tone(6000))
	if err != nil {
		t.Fatal(err)
	}
	if att := 20 * math.Log10(rms(hi)/rms(tone(6000))); att > -40 {
		t.Errorf("6 kHz through the line: %.1f dB, want below -40", att)
	}
}
