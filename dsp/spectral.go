package dsp

import (
	"math"

	"github.com/mjibson/go-dsp/window"
	"gonum.org/v1/gonum/dsp/fourier"
)

// Spectral and voice-quality analysis of each speech hop, in the spirit of eGeMAPS
// (Eyben et al. 2016, the Geneva minimalistic acoustic parameter set): MFCCs, spectral
// flux, alpha ratio, Hammarberg index, spectral slopes, H1–H2, HNR, jitter and shimmer.
// Prosody alone cannot tell anger from joy (both loud, high and fast); the timbre of
// the voice (how pressed, how breathy, how bright) can.
//
// It runs when a hop is committed by the pitch search, on the raw 16 kHz audio the
// Stream keeps for the turn, so harmonic and period measures know the hop's F0. Only
// speech hops are analysed, and everything it needs (FFT plan, window, mel filterbank,
// DCT table) is built once in NewStream.
//
// Band: every spectral measure stops at 4 kHz, so a narrow-band phone line (G.711,
// nothing above 3.4–4 kHz) and a wide-band WebRTC call give comparable numbers. The
// eGeMAPS bands that reach 5 kHz (alpha ratio, Hammarberg) are cut at 4 kHz here.
const (
	// NumMFCC is how many cepstral coefficients (1..NumMFCC, c0 left out: it is
	// level, which Features already carries) the per-utterance summary keeps.
	NumMFCC = 12

	// NumBands is how many coarse bands (four mel bands each, 80 Hz–4 kHz) the
	// spectral balance is followed in: few enough that each band's share is stable
	// hop to hop, enough to tell a pressed voice's shifting high band from a
	// relaxed one's steady low band.
	NumBands = melBands / melPerBand

	specN      = 512 // 32 ms Hamming window at 16 kHz, one real FFT per speech hop
	specBins   = specN/2 + 1
	specHzBin  = float64(SampleRate) / specN
	melBands   = 24
	melPerBand = 4 // mel bands per coarse band (NumBands)
	melLoHz    = 80
	specTopHz  = 4000 // upper edge of every spectral measure (phone bandwidth)
	periodSpan = 640  // 40 ms of raw audio searched for glottal periods
	maxPeriods = 32
	lpcOrder   = 10                             // LPC order for formants (8 kHz band: fs/1000 + 2)
	lpcBins    = specTopHz*specN/SampleRate + 1 // bins 0..4 kHz (the band the LPC models)
	preEmphHz  = 50                             // Praat's pre-emphasis corner for formant analysis
)

// hopSpec is what one speech hop's spectrum and periods say; summarize averages it.
type hopSpec struct {
	mfcc    [NumMFCC]float32
	flux    float32           // change of the normalised mel spectrum since the previous speech hop
	alpha   float32           // dB, energy 50–1000 Hz over 1–4 kHz
	hammar  float32           // dB, strongest bin 0–2 kHz over strongest 2–4 kHz
	slopeLo float32           // dB/kHz, regression slope of the dB spectrum 0–500 Hz
	slopeHi float32           // dB/kHz, 500–1500 Hz
	h1h2    float32           // dB, first minus second harmonic (voiced hops)
	jitter  float32           // local period jitter, ratio (voiced hops)
	shimmer float32           // local amplitude shimmer, ratio (voiced hops)
	formant [3]float32        // F1..F3 in Hz from the LPC envelope (voiced hops)
	h1a3    float32           // dB, first harmonic minus the harmonic nearest F3
	band    [NumBands]float32 // dB, each coarse band's mean mel level over the hop's total
	flags   uint8
}

// hopSpec flags.
const (
	specOK      = 1 << iota // spectrum measured (a speech hop)
	specFlux                // flux measured (the previous hop was measured too)
	specHarm                // h1h2 measured
	specPeriod              // jitter and shimmer measured
	specFormant             // formant and h1a3 measured
)

// melBand is one triangular filter: weights for bins lo..lo+len(w)-1.
type melBand struct {
	lo int
	w  []float64
}

// spectral owns the buffers of the per-hop spectral analysis.
type spectral struct {
	fft     *fourier.FFT
	win     [specN]float64
	frame   []float64
	coef    []complex128
	pow     [specBins]float64
	mel     [melBands]melBand
	dct     [NumMFCC][melBands]float64
	logMel  [melBands]float64
	normMel [melBands]float64
	prevMel [melBands]float64
	prevOK  bool
	slopeLo lineFit // precomputed abscissa sums for the two slope bands
	slopeHi lineFit
	periods [maxPeriods]float64
	amps    [maxPeriods]float64

	// LPC formants: the autocorrelation of the pre-emphasised 0–4 kHz band is a cosine
	// transform of the power spectrum (tables built once), Levinson–Durbin gives the
	// predictor, and the envelope 1/|A|² is sampled on the spectrum's own bins.
	preEmph [lpcBins]float64
	acCos   [lpcOrder + 1][lpcBins]float64
	envCos  [lpcBins][lpcOrder + 1]float64
	envSin  [lpcBins][lpcOrder + 1]float64
	r       [lpcOrder + 1]float64
	a, tmp  [lpcOrder + 1]float64
	env     [lpcBins]float64
}

// lineFit holds the bins of a regression band and the sums over their frequencies.
type lineFit struct {
	lo, hi   int // bins lo..hi inclusive
	sx, sxx  float64
	n        float64
	invDenom float64
}

func newLineFit(loHz, hiHz float64) lineFit {
	f := lineFit{lo: int(math.Ceil(loHz / specHzBin)), hi: int(math.Floor(hiHz / specHzBin))}
	for k := f.lo; k <= f.hi; k++ {
		x := float64(k) * specHzBin / 1000
		f.sx += x
		f.sxx += x * x
		f.n++
	}
	f.invDenom = 1 / (f.n*f.sxx - f.sx*f.sx)
	return f
}

// slope is the least-squares slope (dB per kHz) of the dB spectrum over the band.
func (f *lineFit) slope(pow *[specBins]float64) float64 {
	var sy, sxy float64
	for k := f.lo; k <= f.hi; k++ {
		y := 10 * math.Log10(pow[k]+powFloor)
		sy += y
		sxy += float64(k) * specHzBin / 1000 * y
	}
	return (f.n*sxy - f.sx*sy) * f.invDenom
}

// powFloor keeps logs of empty bins finite (samples are scaled to ±1).
const powFloor = 1e-12

func hzToMel(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }
func melToHz(m float64) float64  { return 700 * (math.Pow(10, m/2595) - 1) }

func newSpectral() *spectral {
	s := &spectral{
		fft:   fourier.NewFFT(specN),
		frame: make([]float64, specN),
		coef:  make([]complex128, specBins),
	}
	copy(s.win[:], window.Hamming(specN))
	// Triangular mel filters, melLoHz to specTopHz, weights on continuous frequency.
	lo, hi := hzToMel(melLoHz), hzToMel(specTopHz)
	var edges [melBands + 2]float64
	for i := range edges {
		edges[i] = melToHz(lo + (hi-lo)*float64(i)/(melBands+1))
	}
	for b := range s.mel {
		l, c, r := edges[b], edges[b+1], edges[b+2]
		k0, k1 := int(math.Ceil(l/specHzBin)), int(math.Floor(r/specHzBin))
		var w []float64
		for k := k0; k <= k1; k++ {
			f := float64(k) * specHzBin
			v := 0.0
			if f <= c {
				v = (f - l) / (c - l)
			} else {
				v = (r - f) / (r - c)
			}
			w = append(w, math.Max(v, 0))
		}
		if len(w) == 0 { // a band narrower than a bin: take the nearest bin
			k0, w = int(math.Round(c/specHzBin)), []float64{1}
		}
		s.mel[b] = melBand{lo: k0, w: w}
	}
	for i := range s.dct {
		for j := range s.dct[i] {
			s.dct[i][j] = math.Sqrt(2.0/melBands) * math.Cos(math.Pi*float64(i+1)*(float64(j)+0.5)/melBands)
		}
	}
	s.slopeLo = newLineFit(0, 500)
	s.slopeHi = newLineFit(500, 1500)
	al := math.Exp(-2 * math.Pi * preEmphHz / SampleRate)
	for k := range s.preEmph {
		// |1 − α·e^{−jω}|² at 16 kHz, α = exp(−2π·50/16000).
		w := 2 * math.Pi * float64(k) * specHzBin / SampleRate
		s.preEmph[k] = 1 - 2*al*math.Cos(w) + al*al
		// The band 0–4 kHz seen as an 8 kHz signal: bin k is at ω' = πk/(lpcBins−1).
		wk := math.Pi * float64(k) / (lpcBins - 1)
		for m := 0; m <= lpcOrder; m++ {
			c := 2.0
			if k == 0 || k == lpcBins-1 {
				c = 1
			}
			s.acCos[m][k] = c * math.Cos(wk*float64(m))
			s.envCos[k][m] = math.Cos(wk * float64(m))
			s.envSin[k][m] = math.Sin(wk * float64(m))
		}
	}
	return s
}

// formants estimates F1..F3 from the LPC envelope of the current power spectrum:
// the first three envelope peaks above 150 Hz, positions refined by a parabola.
func (s *spectral) formants(out *[3]float32) bool {
	for m := range s.r {
		var v float64
		for k, c := range s.acCos[m] {
			v += c * s.pow[k] * s.preEmph[k]
		}
		s.r[m] = v
	}
	if !(s.r[0] > 0) {
		return false
	}
	s.r[0] *= 1 + 1e-9 // a touch of white noise keeps the recursion stable
	// Levinson–Durbin: a[0] = 1, prediction error e.
	s.a = [lpcOrder + 1]float64{1}
	e := s.r[0]
	for i := 1; i <= lpcOrder; i++ {
		acc := s.r[i]
		for j := 1; j < i; j++ {
			acc += s.a[j] * s.r[i-j]
		}
		k := -acc / e
		s.tmp = s.a
		for j := 1; j < i; j++ {
			s.a[j] = s.tmp[j] + k*s.tmp[i-j]
		}
		s.a[i] = k
		e *= 1 - k*k
		if !(e > 0) {
			return false
		}
	}
	for k := range s.env {
		var re, im float64
		for m, am := range s.a {
			re += am * s.envCos[k][m]
			im -= am * s.envSin[k][m]
		}
		s.env[k] = 1 / (re*re + im*im + 1e-30)
	}
	n := 0
	for k := 150*specN/SampleRate + 1; k+1 < lpcBins && n < 3; k++ {
		y0, y1, y2 := s.env[k-1], s.env[k], s.env[k+1]
		if y1 > y0 && y1 >= y2 {
			shift := 0.0
			if den := y0 - 2*y1 + y2; den < 0 {
				shift = 0.5 * (y0 - y2) / den
			}
			out[n] = float32((float64(k) + shift) * specHzBin)
			n++
		}
	}
	return n == 3
}

func (s *spectral) reset() { s.prevOK = false }

// skip records a hop that was not analysed, so the next flux has no predecessor.
func (s *spectral) skip() { s.prevOK = false }

// analyse measures the hop centred at sample c of x (x may be shorter than the
// window around c: missing samples count as silence). f0 is the hop's pitch (0 when
// unvoiced).
func (s *spectral) analyse(out *hopSpec, x []int16, c int, f0 float64) {
	*out = hopSpec{flags: specOK}
	base := c - specN/2
	for i := range s.frame {
		j := base + i
		v := 0.0
		if j >= 0 && j < len(x) {
			v = float64(x[j]) / 32768
		}
		s.frame[i] = v * s.win[i]
	}
	s.fft.Coefficients(s.coef, s.frame)
	for k, z := range s.coef {
		re, im := real(z), imag(z)
		s.pow[k] = re*re + im*im
	}

	// MFCC 1..NumMFCC from log mel energies, and flux of the normalised mel spectrum.
	var total float64
	for b, band := range s.mel {
		var e float64
		for i, w := range band.w {
			e += w * s.pow[band.lo+i]
		}
		s.normMel[b] = e
		total += e
		s.logMel[b] = math.Log(e + powFloor)
	}
	for i := range s.dct {
		var v float64
		for j, l := range s.logMel {
			v += s.dct[i][j] * l
		}
		out.mfcc[i] = float32(v)
	}
	if total > 0 {
		// Band shares: a level change moves every band and the total alike, and a
		// fixed line colouring adds a constant per band, so their spread over the
		// turn is neither.
		lt := math.Log(total)
		for g := range out.band {
			var v float64
			for _, l := range s.logMel[g*melPerBand : (g+1)*melPerBand] {
				v += l
			}
			out.band[g] = float32(10 / math.Ln10 * (v/melPerBand - lt))
		}
		var fl float64
		for b := range s.normMel {
			s.normMel[b] /= total
			if s.prevOK {
				d := s.normMel[b] - s.prevMel[b]
				fl += d * d
			}
		}
		if s.prevOK {
			out.flux = float32(math.Sqrt(fl))
			out.flags |= specFlux
		}
		s.prevMel = s.normMel
		s.prevOK = true
	} else {
		s.prevOK = false
	}

	// Band energy ratios and slopes.
	var low, high, maxLow, maxHigh float64
	for k := int(math.Ceil(50 / specHzBin)); k < specBins; k++ {
		f, p := float64(k)*specHzBin, s.pow[k]
		if f > specTopHz {
			break
		}
		if f < 1000 {
			low += p
		} else {
			high += p
		}
		if f <= 2000 {
			maxLow = math.Max(maxLow, p)
		} else {
			maxHigh = math.Max(maxHigh, p)
		}
	}
	out.alpha = float32(10 * math.Log10((low+powFloor)/(high+powFloor)))
	out.hammar = float32(10 * math.Log10((maxLow+powFloor)/(maxHigh+powFloor)))
	out.slopeLo = float32(s.slopeLo.slope(&s.pow))
	out.slopeHi = float32(s.slopeHi.slope(&s.pow))

	if f0 <= 0 {
		return
	}
	// H1–H2: the strongest bin within a quarter of F0 of each harmonic.
	h1, h2 := s.harmonic(f0), s.harmonic(2*f0)
	if h1 > 0 && h2 > 0 {
		out.h1h2 = float32(10 * math.Log10(h1/h2))
		out.flags |= specHarm
	}
	if s.formants(&out.formant) {
		// H1–A3: the first harmonic against the harmonic nearest F3.
		if a3 := s.harmonicAt(math.Max(1, math.Round(float64(out.formant[2])/f0)) * f0); h1 > 0 && a3 > 0 {
			out.h1a3 = float32(10 * math.Log10(h1/a3))
			out.flags |= specFormant
		}
	}
	if j, sh, ok := s.periodsAround(x, c, f0); ok {
		out.jitter, out.shimmer = float32(j), float32(sh)
		out.flags |= specPeriod
	}
}

// harmonicAt is the peak power within two bins (±62 Hz) of hz.
func (s *spectral) harmonicAt(hz float64) float64 {
	c := int(math.Round(hz / specHzBin))
	var p float64
	for k := max(c-2, 1); k <= min(c+2, specBins-1); k++ {
		p = math.Max(p, s.pow[k])
	}
	return p
}

// harmonic returns the peak power near hz.
func (s *spectral) harmonic(hz float64) float64 {
	lo := int(math.Floor((hz - hz/4) / specHzBin))
	hi := int(math.Ceil((hz + hz/4) / specHzBin))
	lo, hi = max(lo, 1), min(hi, specBins-1)
	var p float64
	for k := lo; k <= hi; k++ {
		p = math.Max(p, s.pow[k])
	}
	return p
}

// periodsAround finds successive glottal periods in 40 ms of raw audio around sample
// c by peak picking (each peak searched 0.8–1.2 periods after the last, its position
// refined by a parabola) and returns local jitter (mean |ΔT| / mean T) and local
// shimmer (mean |ΔA| / mean A), Praat's "local" definitions over the peaks found.
func (s *spectral) periodsAround(x []int16, c int, f0 float64) (jitter, shimmer float64, ok bool) {
	lo, hi := max(0, c-periodSpan/2), min(len(x), c+periodSpan/2)
	if hi-lo < 3 {
		return 0, 0, false
	}
	seg := x[lo:hi]
	t0 := SampleRate / f0
	// Pick the polarity with the larger excursion: glottal pulses show as one-sided peaks.
	var mx, mn int16
	for _, v := range seg {
		mx, mn = max(mx, v), min(mn, v)
	}
	sign := 1.0
	if -int(mn) > int(mx) {
		sign = -1
	}
	at := func(i int) float64 { return sign * float64(seg[i]) }
	peak := func(a, b int) (pos, amp float64, ok bool) {
		a, b = max(a, 1), min(b, len(seg)-2)
		if a > b {
			return 0, 0, false
		}
		best := a
		for i := a + 1; i <= b; i++ {
			if at(i) > at(best) {
				best = i
			}
		}
		y0, y1, y2 := at(best-1), at(best), at(best+1)
		den := y0 - 2*y1 + y2
		shift := 0.0
		if den < 0 {
			shift = 0.5 * (y0 - y2) / den
		}
		return float64(best) + shift, y1 - 0.25*(y0-y2)*shift, y1 > 0
	}
	n := 0
	pos, amp, found := peak(0, int(t0))
	for found && n < maxPeriods {
		s.periods[n], s.amps[n] = pos, amp
		n++
		pos, amp, found = peak(int(pos+0.8*t0), int(math.Ceil(pos+1.2*t0)))
	}
	if n < 3 {
		return 0, 0, false
	}
	var sumT, sumDT, sumA, sumDA float64
	for i := 1; i < n; i++ {
		t := s.periods[i] - s.periods[i-1]
		sumT += t
		sumA += s.amps[i]
		sumDA += math.Abs(s.amps[i] - s.amps[i-1])
		if i > 1 {
			sumDT += math.Abs(t - (s.periods[i-1] - s.periods[i-2]))
		}
	}
	sumA += s.amps[0]
	if sumT <= 0 || sumA <= 0 {
		return 0, 0, false
	}
	jitter = (sumDT / float64(n-2)) / (sumT / float64(n-1))
	shimmer = (sumDA / float64(n-1)) / (sumA / float64(n))
	return jitter, shimmer, true
}
