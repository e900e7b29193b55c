package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// periodic builds 1.2 s of a voice at f0 whose period and amplitude vary randomly by
// the given fractions from one period to the next (jitter, shimmer), with harmonic
// amplitudes falling as 1/k^tilt, at -20 dBFS, between 0.3 s of silence each side.
func periodic(f0, jit, shim, tilt float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	pcm := make([]float64, int(0.3*SampleRate))
	var norm float64
	for k := 1.0; k*f0 < 7000; k++ {
		norm += 1 / math.Pow(k, 2*tilt)
	}
	amp0 := 0.1 * 32768 * math.Sqrt(2/norm)
	for len(pcm) < int(1.5*SampleRate) {
		t := SampleRate / f0 * (1 + jit*rng.NormFloat64())
		a := amp0 * (1 + shim*rng.NormFloat64())
		n := int(math.Round(t))
		for i := 0; i < n; i++ {
			ph := 2 * math.Pi * float64(i) / float64(n)
			var v float64
			for k := 1.0; k*f0 < 7000; k++ {
				v += math.Sin(k*ph) / math.Pow(k, tilt)
			}
			pcm = append(pcm, a*v)
		}
	}
	pcm = append(pcm, make([]float64, int(0.3*SampleRate))...)
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(math.Max(-32768, math.Min(32767, v)))
	}
	return out
}

func TestSpectralFeatures(t *testing.T) {
	type want struct {
		lo, hi float64
	}
	cases := []struct {
		name              string
		pcm               []int16
		h1h2, jit, shim   want
		alphaAbove        float64 // alpha ratio at least this (dB)
		hnrAbove, hnrBelw float64
	}{
		// 1/k harmonics: H2 is 6 dB below H1; periods exact (to the sample).
		{"steady 1/k", periodic(150, 0, 0, 1, 1), want{4.5, 7.5}, want{0, 0.01}, want{0, 0.02}, 0, 15, 100},
		// Steeper tilt (1/k²): H1–H2 12 dB, a duller voice with more low energy.
		{"steady 1/k2", periodic(150, 0, 0, 2, 1), want{10.5, 13.5}, want{0, 0.01}, want{0, 0.02}, 15, 15, 100},
		// 2% period and 10% amplitude perturbation.
		{"rough", periodic(150, 0.02, 0.10, 1, 2), want{2, 10}, want{0.012, 0.06}, want{0.06, 0.2}, 0, -100, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Analyze(tc.pcm, Config{}).Features
			check := func(name string, v float64, w want) {
				if v < w.lo || v > w.hi {
					t.Errorf("%s = %.4f, want %.4f..%.4f", name, v, w.lo, w.hi)
				}
			}
			check("H1-H2", f.H1H2DB, tc.h1h2)
			check("jitter", f.Jitter, tc.jit)
			check("shimmer", f.Shimmer, tc.shim)
			if f.AlphaRatioDB < tc.alphaAbove {
				t.Errorf("alpha ratio %.1f dB, want >= %.1f", f.AlphaRatioDB, tc.alphaAbove)
			}
			if f.HNRDB < tc.hnrAbove || f.HNRDB > tc.hnrBelw {
				t.Errorf("HNR %.1f dB, want %.0f..%.0f", f.HNRDB, tc.hnrAbove, tc.hnrBelw)
			}
			t.Logf("H1-H2 %.2f dB, jitter %.4f, shimmer %.4f, alpha %.1f dB, Hammarberg %.1f dB, slopes %.1f / %.1f dB/kHz, HNR %.1f dB, flux %.3f",
				f.H1H2DB, f.Jitter, f.Shimmer, f.AlphaRatioDB, f.HammarbergDB, f.SlopeLowDBPerKHz, f.SlopeHighDBPerKHz, f.HNRDB, f.SpectralFlux)
		})
	}
}

// TestSpectralLevelInvariant: MFCC 1..12, the band ratios and slopes, jitter and
// shimmer describe the voice, not the line level; 12 dB of gain must not move them.
func TestSpectralLevelInvariant(t *testing.T) {
	pcm := periodic(120, 0.01, 0.05, 1.3, 3)
	loud := make([]int16, len(pcm))
	for i, v := range pcm {
		loud[i] = int16(math.Max(-32768, math.Min(32767, 4*float64(v))))
	}
	a, b := Analyze(pcm, Config{}).Features, Analyze(loud, Config{}).Features
	for k := range a.MFCCMean {
		if math.Abs(a.MFCCMean[k]-b.MFCCMean[k]) > 0.05 || math.Abs(a.MFCCSD[k]-b.MFCCSD[k]) > 0.05 {
			t.Errorf("MFCC %d: %.3f±%.3f vs %.3f±%.3f after +12 dB", k+1, a.MFCCMean[k], a.MFCCSD[k], b.MFCCMean[k], b.MFCCSD[k])
		}
	}
	for _, c := range []struct {
		name string
		x, y float64
		tol  float64
	}{
		{"alpha", a.AlphaRatioDB, b.AlphaRatioDB, 0.05},
		{"hammarberg", a.HammarbergDB, b.HammarbergDB, 0.05},
		{"slope 0-500", a.SlopeLowDBPerKHz, b.SlopeLowDBPerKHz, 0.1},
		{"slope 500-1500", a.SlopeHighDBPerKHz, b.SlopeHighDBPerKHz, 0.1},
		{"jitter", a.Jitter, b.Jitter, 0.002},
		{"shimmer", a.Shimmer, b.Shimmer, 0.01},
		{"flux", a.SpectralFlux, b.SpectralFlux, 0.01},
	} {
		if math.Abs(c.x-c.y) > c.tol {
			t.Errorf("%s: %.4f vs %.4f after +12 dB", c.name, c.x, c.y)
		}
	}
	if a.MFCCSD[0] == 0 || a.SpectralFlux == 0 || a.Jitter == 0 {
		t.Errorf("features not measured: %+v", a)
	}
}

// vowel builds 1.2 s of a voice at f0 whose harmonics are shaped by three resonances
// (formants at fs[i] Hz with bandwidths bw[i]), between 0.3 s of silence each side.
func vowel(f0 float64, fs, bw [3]float64) []int16 {
	gain := func(f float64) float64 {
		g := 1.0
		for i := range fs {
			// Magnitude of a second-order resonance, normalised to 1 at 0 Hz.
			num := fs[i]*fs[i] + bw[i]*bw[i]/4
			d1 := (f-fs[i])*(f-fs[i]) + bw[i]*bw[i]/4
			d2 := (f+fs[i])*(f+fs[i]) + bw[i]*bw[i]/4
			g *= num / math.Sqrt(d1*d2)
		}
		return g / (f / f0) // glottal source tilt
	}
	pcm := make([]float64, int(1.8*SampleRate))
	var peak float64
	for i := int(0.3 * SampleRate); i < int(1.5*SampleRate); i++ {
		t := float64(i) / SampleRate
		var v float64
		for k := 1.0; k*f0 < 7000; k++ {
			v += gain(k*f0) * math.Sin(2*math.Pi*k*f0*t)
		}
		pcm[i] = v
		peak = math.Max(peak, math.Abs(v))
	}
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(v / peak * 8000)
	}
	return out
}

func TestFormants(t *testing.T) {
	cases := []struct {
		name string
		f0   float64
		fs   [3]float64
	}{
		{"schwa, male", 110, [3]float64{500, 1500, 2500}},
		{"/a/, female", 210, [3]float64{850, 1300, 2800}},
		{"/i/, male", 120, [3]float64{300, 2200, 3000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Analyze(vowel(tc.f0, tc.fs, [3]float64{80, 100, 140}), Config{}).Features
			got := [3]float64{f.Formant1Hz, f.Formant2Hz, f.Formant3Hz}
			for i := range got {
				// LPC on harmonics is biased towards the nearest harmonic: allow
				// 8% or half an F0, whichever is larger.
				if tol := math.Max(0.08*tc.fs[i], tc.f0/2); math.Abs(got[i]-tc.fs[i]) > tol {
					t.Errorf("F%d = %.0f Hz, want %.0f ± %.0f", i+1, got[i], tc.fs[i], tol)
				}
			}
			t.Logf("F1-F3 %.0f / %.0f / %.0f Hz (true %v), H1-A3 %.1f dB", got[0], got[1], got[2], tc.fs, f.H1A3DB)
		})
	}
}

// TestTemporalFunctionals: syllables of 150 ms voice and 60 ms gaps (bridged by the
// VAD's hangover, so the gaps are unvoiced speech) give voiced stretches of ~150 ms,
// ~60 ms unvoiced stretches, and about one stretch per 210 ms.
func TestTemporalFunctionals(t *testing.T) {
	s := newSynth()
	s.noise(500*time.Millisecond, -120)
	s.syllables(7, 140, 120, -25, 150*time.Millisecond)
	s.noise(800*time.Millisecond, -120)
	s.mixNoise(-70)
	f := Analyze(s.int16s(0), Config{}).Features
	if math.Abs(f.VoicedSegMeanS-0.15) > 0.04 {
		t.Errorf("voiced stretch %.3f s, want 0.15 ± 0.04", f.VoicedSegMeanS)
	}
	if math.Abs(f.UnvoicedSegMean-0.06) > 0.04 {
		t.Errorf("unvoiced stretch %.3f s, want 0.06 ± 0.04", f.UnvoicedSegMean)
	}
	if want := 1 / 0.21; math.Abs(f.VoicedSegPerS-want) > 0.25*want {
		t.Errorf("%.2f voiced stretches per second, want %.2f ± 25%%", f.VoicedSegPerS, want)
	}
	if f.LoudRangeDB <= 0 || f.LoudRiseDBPerS <= 0 || f.LoudFallDBPerS <= 0 {
		t.Errorf("loudness contour functionals not measured: range %.1f, rise %.1f, fall %.1f", f.LoudRangeDB, f.LoudRiseDBPerS, f.LoudFallDBPerS)
	}
	t.Logf("voiced %.3f s × %.2f/s, unvoiced %.3f s, loudness range %.1f dB, rise %.0f / fall %.0f dB/s",
		f.VoicedSegMeanS, f.VoicedSegPerS, f.UnvoicedSegMean, f.LoudRangeDB, f.LoudRiseDBPerS, f.LoudFallDBPerS)
}

// TestPitchGlides: a voice gliding one octave (12 semitones) in a second rises at
// 12 st/s; the falling glide falls at the same rate, and neither reads the other way.
func TestPitchGlides(t *testing.T) {
	cases := []struct {
		name       string
		f0a, f0b   float64
		rise, fall float64 // st/s wanted; 0 = near zero
	}{
		{"rising octave", 110, 220, 12, 0},
		{"falling octave", 220, 110, 0, 12},
		{"level", 150, 150, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSynth()
			s.noise(300*time.Millisecond, -120)
			s.voice(time.Second, tc.f0a, tc.f0b, -25)
			s.noise(500*time.Millisecond, -120)
			s.mixNoise(-70)
			f := Analyze(s.int16s(0), Config{}).Features
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"rise", f.PitchRiseSTPerS, tc.rise}, {"fall", f.PitchFallSTPerS, tc.fall}} {
				if c.want > 0 && math.Abs(c.got-c.want) > 0.3*c.want {
					t.Errorf("%s %.1f st/s, want %.0f ± 30%%", c.what, c.got, c.want)
				}
				// The other direction only sees the tracker's own wobble, which
				// is small and, on a clean glide, rare.
				if c.want == 0 && c.got > 6 {
					t.Errorf("%s %.1f st/s, want little", c.what, c.got)
				}
			}
			t.Logf("rise %.1f, fall %.1f st/s, slope %.1f st/s", f.PitchRiseSTPerS, f.PitchFallSTPerS, f.PitchSlopeSTPerS)
		})
	}
}

// TestVowelSwitching: a voice switching between /a/ and /i/ every 120 ms moves its
// timbre (MFCC deltas) and its spectral balance between the coarse bands (band-share
// spreads) far more than a held /a/; on the held vowel every speech hop is voiced, so
// the voiced-hop MFCC means equal the all-hop ones.
func TestVowelSwitching(t *testing.T) {
	a, alt := vowelSwitching()
	held := Analyze(a, Config{}).Features
	moving := Analyze(alt, Config{}).Features
	for k := range held.MFCCVoicedMean {
		if d := math.Abs(held.MFCCVoicedMean[k] - held.MFCCMean[k]); d > 0.15*math.Max(1, math.Abs(held.MFCCMean[k])) {
			t.Errorf("held vowel: voiced MFCC %d mean %.2f, all-hop %.2f", k+1, held.MFCCVoicedMean[k], held.MFCCMean[k])
		}
	}
	sum := func(xs []float64) (s float64) {
		for _, x := range xs {
			s += x
		}
		return s
	}
	for _, tc := range []struct {
		name         string
		of           func(*Features) []float64
		heldPositive bool    // the held vowel's sum must be > 0, not only ≥ 0
		ratio, floor float64 // switching must exceed ratio × held and floor
	}{
		{"summed MFCC delta RMS", func(f *Features) []float64 { return f.MFCCDeltaSD[:] }, true, 2, 0},
		{"summed band-share SD (dB)", func(f *Features) []float64 { return f.BandSDDB[:] }, false, 3, 3},
	} {
		h, m := sum(tc.of(&held)), sum(tc.of(&moving))
		if !(h >= 0) || (tc.heldPositive && h == 0) || m < tc.ratio*h || m < tc.floor {
			t.Errorf("%s: held %.3f, switching %.3f; want switching > %g × held and > %g", tc.name, h, m, tc.ratio, tc.floor)
		}
		t.Logf("%s: held /a/ %.3f, /a/-/i/ switching %.3f", tc.name, h, m)
	}
}

// vowelSwitching returns a held /a/ and a voice switching between /a/ and /i/ every
// 120 ms (nine stretches), with the same silence around both.
func vowelSwitching() (held, switching []int16) {
	a := vowel(140, [3]float64{850, 1300, 2800}, [3]float64{80, 100, 140})
	i := vowel(140, [3]float64{300, 2200, 3000}, [3]float64{80, 100, 140})
	const chunk = 1920 // 120 ms
	lo := int(0.3 * SampleRate)
	alt := make([]int16, lo)
	for k := 0; k < 9; k++ {
		src := a
		if k%2 == 1 {
			src = i
		}
		alt = append(alt, src[lo+k*chunk:lo+(k+1)*chunk]...)
	}
	return a, append(alt, make([]int16, lo)...)
}
