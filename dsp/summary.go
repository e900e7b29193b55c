package dsp

import (
	"math"
	"slices"
)

// summaryScratch holds the buffers the per-utterance summary needs, sized once for the
// longest utterance, so ending a turn allocates nothing either.
type summaryScratch struct {
	vals   []float64
	smooth []float64
	t      []float64
}

func newSummaryScratch(n int) summaryScratch {
	return summaryScratch{
		vals:   make([]float64, 0, n),
		smooth: make([]float64, 0, n),
		t:      make([]float64, 0, n),
	}
}

// semitones converts Hz to semitones re 100 Hz.
// maxPitchStepST is the largest F0 change between adjacent 10 ms hops that counts as
// a glide (150 semitones per second, beyond any sung or spoken glide).
const maxPitchStepST = 1.5

func semitones(hz float64) float64 { return 12 * math.Log2(hz/100) }

// De Jong & Wempe (2009) syllable-nuclei parameters: peaks of the intensity contour
// that stand above (99th percentile − 25 dB), with a dip of at least 2 dB from the
// previous peak, and voiced.
const (
	nucleiSilenceDB = 25
	nucleiMinDipDB  = 2
	loudRangeDB     = 40 // loudness statistics cover hops this close to the loudest
)

// summarize computes Features over the hops of one span (first to last speech hop).
// It only uses the capacity in sc; with a long enough sc it allocates nothing.
func summarize(f *Features, span []Hop, pauseHops int, sc *summaryScratch) {
	*f = Features{}
	n := len(span)
	if n == 0 {
		return
	}
	hopS := HopDuration.Seconds()
	f.DurationS = float64(n) * hopS

	// Pitch over voiced speech hops.
	vals := sc.vals[:0]
	ts := sc.t[:0]
	for _, h := range span {
		if h.F0 > 0 && h.Speech {
			vals = append(vals, semitones(float64(h.F0)))
			ts = append(ts, h.T)
		}
	}
	f.VoicedS = float64(len(vals)) * hopS
	if len(vals) > 0 {
		var sum, sumHz float64
		for _, v := range vals {
			sum += v
			sumHz += 100 * math.Exp2(v/12)
		}
		mean := sum / float64(len(vals))
		f.PitchMeanHz = sumHz / float64(len(vals))
		var sd, sxx, sxy float64
		var tm float64
		for _, t := range ts {
			tm += t
		}
		tm /= float64(len(ts))
		for i, v := range vals {
			sd += (v - mean) * (v - mean)
			dt := ts[i] - tm
			sxx += dt * dt
			sxy += dt * (v - mean)
		}
		f.PitchSDST = math.Sqrt(sd / float64(len(vals)))
		if sxx > 0 {
			f.PitchSlopeSTPerS = sxy / sxx
		}
		// Rising and falling F0 slopes between adjacent voiced hops (eGeMAPS's
		// meanRisingSlope / meanFallingSlope); a jump of more than maxPitchStep is a
		// tracker octave error or a new voiced stretch, not a glide.
		var rise, fall float64
		var nRise, nFall int
		for i := 1; i < len(vals); i++ {
			if ts[i]-ts[i-1] > 1.5*hopS {
				continue
			}
			switch d := vals[i] - vals[i-1]; {
			case d > 0 && d <= maxPitchStepST:
				rise += d
				nRise++
			case d < 0 && d >= -maxPitchStepST:
				fall -= d
				nFall++
			}
		}
		if nRise > 0 {
			f.PitchRiseSTPerS = rise / float64(nRise) / hopS
		}
		if nFall > 0 {
			f.PitchFallSTPerS = fall / float64(nFall) / hopS
		}
		slices.Sort(vals)
		hz := func(q float64) float64 { return 100 * math.Exp2(quantile(vals, q)/12) }
		f.PitchMedianHz = hz(0.5)
		f.PitchMinHz = hz(0.05)
		f.PitchMaxHz = hz(0.95)
		f.PitchRangeST = quantile(vals, 0.95) - quantile(vals, 0.05)
	}

	// Loudness over speech hops within 40 dB of the loudest: hops kept only by the
	// VAD's hangover (digital silence between words) would drag the mean down.
	f.LoudMaxDB = math.Inf(-1)
	for _, h := range span {
		if h.Speech {
			f.LoudMaxDB = math.Max(f.LoudMaxDB, float64(h.DB))
		}
	}
	var cnt int
	var sum, sq float64
	for _, h := range span {
		if d := float64(h.DB); h.Speech && d >= f.LoudMaxDB-loudRangeDB {
			cnt++
			sum += d
			sq += d * d
		}
	}
	if cnt > 0 {
		f.LoudMeanDB = sum / float64(cnt)
		f.LoudSDDB = math.Sqrt(math.Max(0, sq/float64(cnt)-f.LoudMeanDB*f.LoudMeanDB))
	} else {
		f.LoudMaxDB = 0
	}

	summarizeSpectral(f, span)

	// Pauses: non-speech runs of at least pauseHops inside the span.
	var pauseHopsTotal, run int
	for _, h := range span {
		if !h.Speech {
			run++
			continue
		}
		if run >= pauseHops {
			f.Pauses++
			pauseHopsTotal += run
			f.PauseMaxS = math.Max(f.PauseMaxS, float64(run)*hopS)
		}
		run = 0
	}
	if f.Pauses > 0 {
		f.PauseMeanS = float64(pauseHopsTotal) * hopS / float64(f.Pauses)
	}
	f.PauseRatio = float64(pauseHopsTotal) / float64(n)

	// Intensity contour smoothed like Praat's intensity with a 50 Hz floor (a ~64 ms
	// Gaussian): power-average over ±3 hops.
	sm := sc.smooth[:0]
	weights := [7]float64{0.11, 0.44, 0.83, 1, 0.83, 0.44, 0.11}
	for i := range span {
		var p, w float64
		for k, wk := range weights {
			j := i + k - 3
			if j < 0 || j >= n {
				continue
			}
			p += wk * math.Pow(10, float64(span[j].DB)/10)
			w += wk
		}
		sm = append(sm, 10*math.Log10(p/w+1e-10))
	}
	vals = append(vals[:0], sm...)
	slices.Sort(vals)
	thresh := quantile(vals, 0.99) - nucleiSilenceDB
	if thresh < vals[0] {
		thresh = vals[0]
	}

	// Syllable nuclei (de Jong & Wempe 2009): local maxima above the threshold; each
	// must stand at least minDip above the lowest point between it and the next
	// maximum, and be voiced. We also ask for minDip above the lowest point since the
	// previous nucleus, which stops long stressed vowels counting twice (on espeak-ng
	// speech at 120 words/min this took the count from 64 to the true 53). Loudness peaks: maxima a standard deviation above the
	// mean level, whatever the voicing.
	cand := ts[:0] // peak positions, reusing the scratch as float64 indices
	var loudPeaks int
	for i := 1; i+1 < n; i++ {
		v := sm[i]
		if v > sm[i-1] && v >= sm[i+1] && v > thresh {
			cand = append(cand, float64(i))
			if v > f.LoudMeanDB+f.LoudSDDB {
				loudPeaks++
			}
		}
	}
	var peaks int
	lastAccepted := -1 // position of the last nucleus
	for k, pf := range cand {
		p := int(pf)
		next := n
		if k+1 < len(cand) {
			next = int(cand[k+1]) + 1
		}
		after := sm[p]
		if k+1 == len(cand) {
			after = math.Inf(-1) // the span ends in silence: the last nucleus has its dip
		}
		for _, v := range sm[p:next] {
			after = math.Min(after, v)
		}
		// The dip before: the lowest point since the last nucleus (or the span start).
		before := math.Inf(-1)
		if lastAccepted >= 0 {
			before = sm[p]
			for _, v := range sm[lastAccepted:p] {
				before = math.Min(before, v)
			}
		}
		if sm[p]-after >= nucleiMinDipDB && sm[p]-before >= nucleiMinDipDB && span[p].F0 > 0 {
			peaks++
			lastAccepted = p
		}
	}
	f.Syllables = peaks
	f.SpeechRate = float64(peaks) / f.DurationS
	if phon := f.DurationS - float64(pauseHopsTotal)*hopS; phon > 0 {
		f.ArticulationRate = float64(peaks) / phon
	}
	f.LoudPeakRate = float64(loudPeaks) / f.DurationS
	summarizeTemporal(f, span, sm, sc)
}

// quantile of sorted x by linear interpolation.
func quantile(x []float64, q float64) float64 {
	if len(x) == 0 {
		return 0
	}
	pos := q * float64(len(x)-1)
	i := int(pos)
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[i] + (pos-float64(i))*(x[i+1]-x[i])
}

// finality is the prosodic judgement of how a stretch of speech ended.
type finality int

const (
	finalUnknown    finality = iota
	finalFalling             // falling pitch and a lengthened last syllable: a finished turn
	finalContinuing          // level or rising pitch: the caller has more to say
)

// Thresholds of the prosodic endpoint, after the turn-taking literature (falls mark
// completion, level/rising "continuation rises" mark a turn that holds the floor).
const (
	finalWindowHops = 30   // last 300 ms of voicing
	fallSTPerS      = -6.0 // slope at or below this is a fall
	levelSTPerS     = -1.5 // slope above this is level or rising
	lengthenRatio   = 1.2  // last voiced run vs the turn's mean voiced run
)

// judgeFinality looks at the end of span (first to last speech hop of the turn).
func judgeFinality(span []Hop) finality {
	// Voiced runs: mean length and the last one.
	var runs, runHops, cur, last int
	for _, h := range span {
		if h.F0 > 0 {
			cur++
			continue
		}
		if cur > 0 {
			runs++
			runHops += cur
			last = cur
		}
		cur = 0
	}
	if cur > 0 {
		runs++
		runHops += cur
		last = cur
	}
	if runs == 0 {
		return finalUnknown
	}
	// Slope of the last 300 ms that has pitch.
	end := len(span) - 1
	for end >= 0 && span[end].F0 == 0 {
		end--
	}
	var n, sx, sy, sxx, sxy float64
	for i := end; i >= 0 && end-i < finalWindowHops; i-- {
		if span[i].F0 == 0 {
			continue
		}
		x, y := span[i].T, semitones(float64(span[i].F0))
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if n < 5 {
		return finalUnknown
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	mean := float64(runHops) / float64(runs)
	switch {
	case slope <= fallSTPerS && float64(last) >= lengthenRatio*mean:
		return finalFalling
	case slope > levelSTPerS:
		return finalContinuing
	}
	return finalUnknown
}

// summarizeSpectral averages the spectral and voice-quality measures over the speech
// hops that count for loudness (within loudRangeDB of the loudest; the VAD's hangover
// over digital silence has no spectrum worth the name); voice-quality measures only
// over voiced ones. It runs after the loudness statistics.
func summarizeSpectral(f *Features, span []Hop) {
	var nSpec, nFlux, nVoiced, nHarm, nPer, nForm float64
	var form [3]float64
	var h1a3, alphaUV, hammarUV, nUV float64
	var ms, mss, vms, ds [NumMFCC]float64
	var bs, bss [NumBands]float64
	var nDelta float64
	var fl, fl2, alpha, hammar, slo, shi, h1h2, hnr, hnr2, jit, shim float64
	for i := range span {
		h := &span[i]
		sp := &h.spec
		if !h.Speech || sp.flags&specOK == 0 || float64(h.DB) < f.LoudMaxDB-loudRangeDB {
			continue
		}
		nSpec++
		for k, v := range sp.mfcc {
			ms[k] += float64(v)
			mss[k] += float64(v) * float64(v)
		}
		for g, v := range sp.band {
			bs[g] += float64(v)
			bss[g] += float64(v) * float64(v)
		}
		if deltaOK(span, i) {
			nDelta++
			a, b, c, d := &span[i-2].spec.mfcc, &span[i-1].spec.mfcc, &span[i+1].spec.mfcc, &span[i+2].spec.mfcc
			for k := range ds {
				// The HTK delta regression over ±2 hops.
				dk := (float64(c[k]-b[k]) + 2*float64(d[k]-a[k])) / 10
				ds[k] += dk * dk
			}
		}
		if sp.flags&specFlux != 0 {
			nFlux++
			fl += float64(sp.flux)
			fl2 += float64(sp.flux) * float64(sp.flux)
		}
		if h.F0 <= 0 {
			nUV++
			alphaUV += float64(sp.alpha)
			hammarUV += float64(sp.hammar)
			continue
		}
		nVoiced++
		for k, v := range sp.mfcc {
			vms[k] += float64(v)
		}
		alpha += float64(sp.alpha)
		hammar += float64(sp.hammar)
		slo += float64(sp.slopeLo)
		shi += float64(sp.slopeHi)
		// Boersma (1993): HNR = 10·log10(r / (1 − r)) from the periodicity r.
		r := math.Min(math.Max(float64(h.Voicing), 0.001), 0.999)
		v := 10 * math.Log10(r/(1-r))
		hnr += v
		hnr2 += v * v
		if sp.flags&specHarm != 0 {
			nHarm++
			h1h2 += float64(sp.h1h2)
		}
		if sp.flags&specFormant != 0 {
			nForm++
			for k, v := range sp.formant {
				form[k] += float64(v)
			}
			h1a3 += float64(sp.h1a3)
		}
		if sp.flags&specPeriod != 0 {
			nPer++
			jit += float64(sp.jitter)
			shim += float64(sp.shimmer)
		}
	}
	sd := func(s, ss, n float64) float64 {
		m := s / n
		return math.Sqrt(math.Max(0, ss/n-m*m))
	}
	if nSpec > 0 {
		for k := range ms {
			f.MFCCMean[k] = ms[k] / nSpec
			f.MFCCSD[k] = sd(ms[k], mss[k], nSpec)
		}
		for g := range bs {
			f.BandSDDB[g] = sd(bs[g], bss[g], nSpec)
		}
	}
	if nDelta > 0 {
		for k := range ds {
			f.MFCCDeltaSD[k] = math.Sqrt(ds[k] / nDelta)
		}
	}
	if nFlux > 0 {
		f.SpectralFlux = fl / nFlux
		f.SpectralFluxSD = sd(fl, fl2, nFlux)
	}
	if nVoiced > 0 {
		for k := range vms {
			f.MFCCVoicedMean[k] = vms[k] / nVoiced
		}
		f.AlphaRatioDB = alpha / nVoiced
		f.HammarbergDB = hammar / nVoiced
		f.SlopeLowDBPerKHz = slo / nVoiced
		f.SlopeHighDBPerKHz = shi / nVoiced
		f.HNRDB = hnr / nVoiced
		f.HNRSDDB = sd(hnr, hnr2, nVoiced)
	}
	if nUV > 0 {
		f.AlphaRatioUVDB = alphaUV / nUV
		f.HammarbergUVDB = hammarUV / nUV
	}
	if nHarm > 0 {
		f.H1H2DB = h1h2 / nHarm
	}
	if nForm > 0 {
		f.Formant1Hz, f.Formant2Hz, f.Formant3Hz = form[0]/nForm, form[1]/nForm, form[2]/nForm
		f.H1A3DB = h1a3 / nForm
	}
	if nPer > 0 {
		f.Jitter = jit / nPer
		f.Shimmer = shim / nPer
	}
}

// deltaOK reports whether hop i of span and its two neighbours each side are all
// measured speech hops, so an MFCC delta can be taken around it.
func deltaOK(span []Hop, i int) bool {
	if i < 2 || i+2 >= len(span) {
		return false
	}
	for j := i - 2; j <= i+2; j++ {
		if !span[j].Speech || span[j].spec.flags&specOK == 0 {
			return false
		}
	}
	return true
}

// summarizeTemporal fills the loudness-contour and voicing-segment functionals from
// the smoothed intensity contour sm (one value per hop of span).
func summarizeTemporal(f *Features, span []Hop, sm []float64, sc *summaryScratch) {
	vals := sc.vals[:0]
	var rise, fall float64
	var nRise, nFall int
	for i, h := range span {
		if !h.Speech || float64(h.DB) < f.LoudMaxDB-loudRangeDB {
			continue
		}
		vals = append(vals, sm[i])
		if i > 0 && span[i-1].Speech {
			switch d := sm[i] - sm[i-1]; {
			case d > 0:
				rise += d
				nRise++
			case d < 0:
				fall -= d
				nFall++
			}
		}
	}
	if len(vals) > 0 {
		slices.Sort(vals)
		f.LoudRangeDB = quantile(vals, 0.8) - quantile(vals, 0.2)
	}
	perS := 1 / HopDuration.Seconds()
	if nRise > 0 {
		f.LoudRiseDBPerS = rise / float64(nRise) * perS
	}
	if nFall > 0 {
		f.LoudFallDBPerS = fall / float64(nFall) * perS
	}
	// Voiced stretches, and the unvoiced speech between two of them.
	var segs, segHops, gaps, gapHops, run, gap int
	seen := false
	for _, h := range span {
		if h.Speech && h.F0 > 0 {
			if run == 0 && seen && gap > 0 {
				gaps++
				gapHops += gap
			}
			run++
			gap = 0
			continue
		}
		if run > 0 {
			segs++
			segHops += run
			seen = true
		}
		run = 0
		if h.Speech {
			gap++
		} else {
			gap = 0
		}
	}
	if run > 0 {
		segs++
		segHops += run
	}
	hopS := HopDuration.Seconds()
	if f.DurationS > 0 {
		f.VoicedSegPerS = float64(segs) / f.DurationS
	}
	if segs > 0 {
		f.VoicedSegMeanS = float64(segHops) * hopS / float64(segs)
	}
	if gaps > 0 {
		f.UnvoicedSegMean = float64(gapHops) * hopS / float64(gaps)
	}
}
