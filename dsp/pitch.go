package dsp

import (
	"math"

	"github.com/mjibson/go-dsp/window"
	"gonum.org/v1/gonum/dsp/fourier"
)

// The pitch tracker follows Boersma (1993), "Accurate short-term analysis of the
// fundamental frequency and the harmonics-to-noise ratio of a sampled sound" — the
// method behind Praat's To Pitch (ac): the autocorrelation of a Hann-windowed frame,
// computed with an FFT and divided by the window's own autocorrelation, peaks picked
// with parabolic interpolation, an octave cost favouring the higher of near-equal
// candidates, and a voicing decision that weighs periodicity against the frame's level.
// Praat chooses the path with a Viterbi search over the whole file; a live call cannot
// wait for that, so the tracker runs the same Viterbi search (octave-jump and
// voiced/unvoiced transition costs: the octave-error guard) over a sliding lattice and
// commits each frame pitchDelay frames later, when the frames after it have had their say.
// It runs on audio decimated to 4 kHz (F0 up to 600 Hz, Praat's ceiling, with sinc
// interpolation of the peaks), which quarters the FFT work: see BENCHMARKS.md.
const (
	pitchDecim     = 4 // 16 kHz / pitchDecim is the analysis rate
	pitchRate      = 16000 / pitchDecim
	pitchMinHz     = 60
	pitchMaxHz     = 600
	pitchWin       = 180 // 45 ms, 2.7 periods of 60 Hz, so the FFT fits in 256 points
	pitchFFT       = 256 // ≥ pitchWin + maxLag + sincHalf
	minLag         = pitchRate / pitchMaxHz
	maxLag         = pitchRate/pitchMinHz + 1
	maxCandidates  = 10
	octaveCost     = 0.01 // per octave below the ceiling, Praat's default
	octaveJumpCost = 0.35 // per octave of F0 change between frames, Praat's default
	voicedUnvoiced = 0.14 // cost of switching voicing, Praat's default
	voicingThresh  = 0.6  // Praat uses 0.45 on full-band audio; band-limited 4 kHz analysis looks more periodic, and 0.6 matched Praat best on an EmoDB sample
	silenceThresh  = 0.03 // fraction of the running peak below which frames are unvoiced
	silenceGapDB   = 40   // a hop this far below the running peak (RMS vs peak) is unvoiced
	sincHalf       = 8    // points each side for sinc interpolation of peak heights
	pitchDelay     = 6    // frames (10 ms each) the Viterbi search looks ahead before committing
	latticeLen     = pitchDelay + 1
)

// decimTaps is the anti-alias low-pass (Hamming-windowed sinc, cutoff at 90% of the
// analysis Nyquist frequency) applied before keeping every pitchDecim-th sample.
var decimTaps = func() [16*pitchDecim - 1]float32 {
	var h [16*pitchDecim - 1]float32
	w := window.Hamming(len(h))
	var sum float64
	fc := 0.9 / pitchDecim
	for i := range h {
		t := float64(i - len(h)/2)
		v := fc * sincf(fc*t) * w[i]
		h[i] = float32(v)
		sum += v
	}
	for i := range h {
		h[i] /= float32(sum)
	}
	return h
}()

func sincf(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

type candidate struct {
	hz, r float64 // r is the normalised autocorrelation (0..1); hz 0 means unvoiced
}

// pitchTracker owns every buffer the per-hop pitch analysis needs.
type pitchTracker struct {
	fft      *fourier.FFT
	win      [pitchWin]float64 // Hann window (go-dsp), computed once
	winAC    [maxLag + sincHalf + 2]float64
	frame    []float64    // pitchFFT long
	coef     []complex128 // pitchFFT/2+1
	ac       []float64    // pitchFFT long
	cands    [maxCandidates + 1]candidate
	peakHold float64 // running absolute peak of the signal (Praat uses the file's global peak)

	// The Viterbi lattice, a ring of the last latticeLen frames.
	lat    [latticeLen]latticeFrame
	frames int // frames pushed since reset
}

// latticeFrame is one frame of the Viterbi search.
type latticeFrame struct {
	n     int
	cands [maxCandidates + 1]candidate // [0] is the unvoiced candidate
	cum   [maxCandidates + 1]float64   // best path score ending in each candidate
	back  [maxCandidates + 1]int8      // that path's candidate in the previous frame
	bestR float64                      // strongest periodicity in the frame
}

func newPitchTracker() *pitchTracker {
	p := &pitchTracker{
		fft:   fourier.NewFFT(pitchFFT),
		frame: make([]float64, pitchFFT),
		coef:  make([]complex128, pitchFFT/2+1),
		ac:    make([]float64, pitchFFT),
	}
	copy(p.win[:], window.Hann(pitchWin))
	// Autocorrelation of the window itself, normalised to 1 at lag 0.
	copy(p.frame, p.win[:])
	p.autocorr()
	for i := range p.winAC {
		p.winAC[i] = p.ac[i] / p.ac[0]
	}
	return p
}

func (p *pitchTracker) reset() {
	p.peakHold = 0
	p.frames = 0
}

// autocorr replaces p.ac with the autocorrelation of p.frame (zero padded).
func (p *pitchTracker) autocorr() {
	p.fft.Coefficients(p.coef, p.frame)
	for i, c := range p.coef {
		re, im := real(c), imag(c)
		p.coef[i] = complex(re*re+im*im, 0)
	}
	p.fft.Sequence(p.ac, p.coef)
}

// analyse adds the frame x (pitchWin samples at pitchRate, newest last) to the search and
// returns the decision for the frame pitchDelay frames earlier: F0 in Hz (0 when
// unvoiced) and its voicing strength (normalised autocorrelation of the frame's best
// voiced candidate, 0..1). ok is false until pitchDelay frames have been seen.
// centreDB is the level of the 10 ms at the window's centre: a centre far below the
// running peak is silence however periodic its edges are.
func (p *pitchTracker) analyse(x []float32, centreDB float64) (hz, strength float64, ok bool) {
	n := p.candidates(x, centreDB)
	return p.step(n)
}

// candidates fills p.cands for frame x and returns how many there are.
func (p *pitchTracker) candidates(x []float32, centreDB float64) int {
	var mean, localPeak float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for i, v := range x {
		d := float64(v) - mean
		if a := math.Abs(d); a > localPeak {
			localPeak = a
		}
		p.frame[i] = d * p.win[i]
	}
	for i := len(x); i < len(p.frame); i++ {
		p.frame[i] = 0
	}
	// The running peak decays by about 1 dB per second (100 hops) so a loud burst does
	// not silence the tracker for the rest of a call.
	p.peakHold *= 0.99885
	if localPeak > p.peakHold {
		p.peakHold = localPeak
	}
	p.cands[0] = candidate{0, 1}
	if localPeak < 1 || p.peakHold == 0 || centreDB < 20*math.Log10(p.peakHold/32768)-silenceGapDB {
		return 1
	}
	p.autocorr()
	r0 := p.ac[0]
	if r0 <= 0 {
		return 1
	}
	// Normalised autocorrelation r(τ) = ra(τ)/ra(0) / rw(τ).
	r := func(lag int) float64 { return p.ac[lag] / r0 / p.winAC[lag] }

	n := 0
	unvoiced := voicingThresh + math.Max(0, 2-(localPeak/p.peakHold)/(silenceThresh/(1+voicingThresh)))
	p.cands[0] = candidate{0, unvoiced}
	n = 1
	prev, cur := r(minLag-1), r(minLag)
	for lag := minLag; lag < maxLag; lag++ {
		next := r(lag + 1)
		if cur > 0.3 && cur >= prev && cur > next {
			// Parabolic interpolation of the peak position and height.
			den := prev - 2*cur + next
			shift, height := 0.0, cur
			if den < 0 {
				shift = 0.5 * (prev - next) / den
				// The parabola underestimates narrow peaks at short lags, which would
				// hand the octave below the win; read the height by sinc
				// interpolation instead, as Praat does.
				height = math.Max(cur, p.sincAt(float64(lag)+shift, r0))
			}
			if height > 1 {
				height = 1 / height // Praat's correction for peaks above 1
			}
			c := candidate{hz: pitchRate / (float64(lag) + shift), r: height}
			if n <= maxCandidates {
				p.cands[n] = c
				n++
			} else {
				// Replace the weakest voiced candidate, judged with the octave cost
				// so that among equal peaks the highest frequencies stay.
				w := 1
				for i := 2; i < n; i++ {
					if localStrength(p.cands[i]) < localStrength(p.cands[w]) {
						w = i
					}
				}
				if localStrength(c) > localStrength(p.cands[w]) {
					p.cands[w] = c
				}
			}
		}
		prev, cur = cur, next
	}
	return n
}

// step runs one Viterbi step with the frame's candidates and backtracks pitchDelay
// frames to commit the oldest frame of the lattice.
func (p *pitchTracker) step(n int) (hz, strength float64, ok bool) {
	cur := &p.lat[p.frames%latticeLen]
	cur.n = n
	copy(cur.cands[:n], p.cands[:n])
	cur.bestR = 0
	for _, c := range cur.cands[1:n] {
		cur.bestR = math.Max(cur.bestR, c.r)
	}
	var prev *latticeFrame
	if p.frames > 0 {
		prev = &p.lat[(p.frames-1)%latticeLen]
	}
	top := math.Inf(-1)
	for j, c := range cur.cands[:n] {
		local := localStrength(c)
		best, arg := 0.0, 0
		if prev != nil {
			best = math.Inf(-1)
			for i, pc := range prev.cands[:prev.n] {
				v := prev.cum[i] - transitionCost(pc.hz, c.hz)
				if v > best {
					best, arg = v, i
				}
			}
		}
		cur.cum[j] = local + best
		cur.back[j] = int8(arg)
		top = math.Max(top, cur.cum[j])
	}
	for j := range cur.cum[:n] { // keep the scores small
		cur.cum[j] -= top
	}
	p.frames++
	if p.frames < latticeLen {
		return 0, 0, false
	}
	// Backtrack from the best current candidate to the oldest frame.
	k := 0
	for j := range cur.cum[:n] {
		if cur.cum[j] == 0 {
			k = j
			break
		}
	}
	f := p.frames - 1
	for d := 0; d < pitchDelay; d++ {
		k = int(p.lat[f%latticeLen].back[k])
		f--
	}
	old := &p.lat[f%latticeLen]
	return old.cands[k].hz, old.bestR, true
}

// sincAt interpolates the normalised autocorrelation at a fractional lag with a
// Hann-windowed sinc over sincHalf points either side (weights from sincTable).
func (p *pitchTracker) sincAt(lag, r0 float64) float64 {
	i0 := int(math.Floor(lag))
	q := int(math.Round((lag - float64(i0)) * sincSteps))
	if q == sincSteps {
		i0, q = i0+1, 0
	}
	w := &sincTable[q]
	var v float64
	for k := -sincHalf + 1; k <= sincHalf; k++ {
		i := i0 + k
		if i < 0 || i > maxLag+1 {
			continue
		}
		v += p.ac[i] / r0 / p.winAC[i] * w[k+sincHalf-1]
	}
	return v
}

// sincSteps is the resolution of sincTable in fractions of a lag.
const sincSteps = 128

// sincTable[q][k] is the windowed-sinc weight of point k-sincHalf+1 at fraction q/sincSteps,
// computed once so the per-frame loop needs no trigonometry.
var sincTable = func() (t [sincSteps][2 * sincHalf]float64) {
	for q := range t {
		frac := float64(q) / sincSteps
		for k := -sincHalf + 1; k <= sincHalf; k++ {
			d := float64(k) - frac
			t[q][k+sincHalf-1] = sincf(d) * (0.5 + 0.5*math.Cos(math.Pi*d/sincHalf))
		}
	}
	return t
}()

// localStrength is a candidate's own score: its periodicity, less Praat's octave cost
// that favours the higher of near-equal peaks.
func localStrength(c candidate) float64 {
	if c.hz == 0 {
		return c.r
	}
	return c.r - octaveCost*math.Log2(pitchMaxHz/c.hz)
}

// transitionCost is Praat's path cost between consecutive frames.
func transitionCost(from, to float64) float64 {
	switch {
	case from == 0 && to == 0:
		return 0
	case from == 0 || to == 0:
		return voicedUnvoiced
	}
	return octaveJumpCost * math.Abs(math.Log2(to/from))
}
