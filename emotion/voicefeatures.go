package emotion

import (
	"fmt"
	"math"

	"github.com/calmline/calmline/dsp"
)

// VoiceBaseline is how one caller sounds when they are (presumably) calm: the
// reference every later utterance is judged against. Judging a voice against its own
// baseline is what keeps a naturally high or loud voice from reading as anger; pitch
// is kept on a log scale so differences come out in semitones, as listeners hear them.
//
// The zero value is an empty baseline. Add folds utterances in weighted by their
// voiced time, so one long calm sentence counts more than a short "yes".
type VoiceBaseline struct {
	weight float64 // voiced seconds folded in
	sum    [nBase]float64
	sq     [nBase]float64 // weighted sums of squares, for the caller's own spread
}

// Indexes of the per-caller reference values a baseline keeps.
const (
	bPitchST    = iota                      // median F0, semitones re 100 Hz
	bLoudDB                                 // mean speech level, dBFS
	bLoudSD                                 // loudness variability, dB
	bRangeST                                // pitch range, semitones
	bSDST                                   // pitch variability, semitones
	bRate                                   // log speech rate
	bArtic                                  // log articulation rate
	bPeakRate                               // log loudness peaks per second
	bPause                                  // pause ratio
	bVoicedFrac                             // voiced time / duration
	bJitter                                 // jitter ratio
	bShimmer                                // shimmer ratio
	bFlux                                   // spectral flux
	bFluxSD                                 // its variability
	bAlpha                                  // alpha ratio, dB
	bHammar                                 // Hammarberg index, dB
	bSlopeLo                                // spectral slope 0–500 Hz, dB/kHz
	bSlopeHi                                // spectral slope 500–1500 Hz, dB/kHz
	bH1H2                                   // H1–H2, dB
	bHNR                                    // harmonics-to-noise ratio, dB
	bHNRSD                                  // its variability, dB
	bF1                                     // F1, semitones re 100 Hz
	bF2                                     // F2, semitones re 100 Hz
	bF3                                     // F3, semitones re 100 Hz
	bH1A3                                   // H1–A3, dB
	bAlphaUV                                // alpha ratio of unvoiced speech, dB
	bHammarUV                               // Hammarberg index of unvoiced speech, dB
	bLoudRange                              // loudness 20th–80th percentile range, dB
	bRise                                   // mean rising loudness slope, dB/s
	bFall                                   // mean falling loudness slope, dB/s
	bVSegRate                               // voiced stretches per second
	bVSegMean                               // mean voiced stretch, s
	bUVSeg                                  // mean unvoiced stretch inside speech, s
	bPitchRise                              // mean rising F0 slope, st/s
	bPitchFall                              // mean falling F0 slope, st/s
	bMFCC                                   // MFCC 1..12 means (dsp.NumMFCC entries)
	bMFCCSD     = bMFCC + dsp.NumMFCC       // MFCC 1..12 standard deviations
	bMFCCDelta  = bMFCCSD + dsp.NumMFCC     // MFCC 1..12 delta RMS
	bMFCCVoiced = bMFCCDelta + dsp.NumMFCC  // MFCC 1..12 means over voiced hops
	bBandSD     = bMFCCVoiced + dsp.NumMFCC // coarse band-share SDs, dB (dsp.NumBands entries)
	nBase       = bBandSD + dsp.NumBands
)

// minVoicedForVector is the voiced time below which an utterance says too little
// about the voice to be judged or to teach the baseline anything.
const minVoicedForVector = 0.25

// voiceUsable reports whether f has enough voiced speech with a pitch to judge.
func voiceUsable(f dsp.Features) bool {
	return f.VoicedS >= minVoicedForVector && f.PitchMedianHz > 0 && f.DurationS > 0 &&
		!math.IsNaN(f.PitchMedianHz) && !math.IsInf(f.PitchMedianHz, 0)
}

// hzToST converts a frequency to semitones re 100 Hz; non-positive input gives 0.
func voiceHzToST(hz float64) float64 {
	if hz <= 0 || math.IsNaN(hz) || math.IsInf(hz, 0) {
		return 0
	}
	return 12 * math.Log2(hz/100)
}

// logRate is the log of a positive rate with a floor, so that a silent stretch
// (rate 0) does not become -Inf.
func voiceLogRate(r float64) float64 {
	if !(r > 0.05) || math.IsInf(r, 0) {
		r = 0.05
	}
	return math.Log(r)
}

// finite turns NaN and ±Inf (hostile or broken upstream numbers) into 0.
func voiceFinite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func baseValues(f dsp.Features) [nBase]float64 {
	var v [nBase]float64
	v[bPitchST] = voiceHzToST(f.PitchMedianHz)
	v[bLoudDB] = voiceFinite(f.LoudMeanDB)
	v[bLoudSD] = voiceFinite(f.LoudSDDB)
	v[bRangeST] = voiceFinite(f.PitchRangeST)
	v[bSDST] = voiceFinite(f.PitchSDST)
	v[bRate] = voiceLogRate(f.SpeechRate)
	v[bArtic] = voiceLogRate(f.ArticulationRate)
	v[bPeakRate] = voiceLogRate(f.LoudPeakRate)
	v[bPause] = voiceFinite(f.PauseRatio)
	if f.DurationS > 0 {
		v[bVoicedFrac] = voiceFinite(math.Min(1, f.VoicedS/f.DurationS))
	}
	v[bJitter] = voiceFinite(f.Jitter)
	v[bShimmer] = voiceFinite(f.Shimmer)
	v[bFlux] = voiceFinite(f.SpectralFlux)
	v[bFluxSD] = voiceFinite(f.SpectralFluxSD)
	v[bAlpha] = voiceFinite(f.AlphaRatioDB)
	v[bHammar] = voiceFinite(f.HammarbergDB)
	v[bSlopeLo] = voiceFinite(f.SlopeLowDBPerKHz)
	v[bSlopeHi] = voiceFinite(f.SlopeHighDBPerKHz)
	v[bH1H2] = voiceFinite(f.H1H2DB)
	v[bHNR] = voiceFinite(f.HNRDB)
	v[bHNRSD] = voiceFinite(f.HNRSDDB)
	v[bF1] = voiceHzToST(f.Formant1Hz)
	v[bF2] = voiceHzToST(f.Formant2Hz)
	v[bF3] = voiceHzToST(f.Formant3Hz)
	v[bH1A3] = voiceFinite(f.H1A3DB)
	v[bAlphaUV] = voiceFinite(f.AlphaRatioUVDB)
	v[bHammarUV] = voiceFinite(f.HammarbergUVDB)
	v[bLoudRange] = voiceFinite(f.LoudRangeDB)
	v[bRise] = voiceFinite(f.LoudRiseDBPerS)
	v[bFall] = voiceFinite(f.LoudFallDBPerS)
	v[bVSegRate] = voiceFinite(f.VoicedSegPerS)
	v[bVSegMean] = voiceFinite(f.VoicedSegMeanS)
	v[bUVSeg] = voiceFinite(f.UnvoicedSegMean)
	v[bPitchRise] = voiceClamp(voiceFinite(f.PitchRiseSTPerS), 0, 200)
	v[bPitchFall] = voiceClamp(voiceFinite(f.PitchFallSTPerS), 0, 200)
	for k := 0; k < dsp.NumMFCC; k++ {
		v[bMFCC+k] = voiceFinite(f.MFCCMean[k])
		v[bMFCCSD+k] = voiceFinite(f.MFCCSD[k])
		v[bMFCCDelta+k] = voiceFinite(f.MFCCDeltaSD[k])
		v[bMFCCVoiced+k] = voiceFinite(f.MFCCVoicedMean[k])
	}
	for g := 0; g < dsp.NumBands; g++ {
		v[bBandSD+g] = voiceFinite(f.BandSDDB[g])
	}
	return v
}

// Add folds one utterance into the baseline, weighted by its voiced time.
// Utterances with too little voiced speech are ignored.
func (b *VoiceBaseline) Add(f dsp.Features) {
	b.AddWeighted(f, 1)
}

// AddWeighted is Add with an extra weight factor in (0, 1]: the listener uses a small
// factor to let a settled baseline drift slowly with calm speech.
func (b *VoiceBaseline) AddWeighted(f dsp.Features, factor float64) {
	if !voiceUsable(f) || !(factor > 0) {
		return
	}
	w := math.Min(f.VoicedS, 10) * math.Min(factor, 1)
	v := baseValues(f)
	for i := range v {
		b.sum[i] += w * v[i]
		b.sq[i] += w * v[i] * v[i]
	}
	b.weight += w
}

// VoicedS is how many voiced seconds the baseline has heard (after weighting).
func (b *VoiceBaseline) VoicedS() float64 { return b.weight }

// value returns reference i, or the utterance's own value when the baseline is empty
// (so an empty baseline yields "no change" rather than nonsense).
func (b *VoiceBaseline) value(i int, own float64) float64 {
	if b.weight <= 0 {
		return own
	}
	return b.sum[i] / b.weight
}

// PitchHz is the caller's reference pitch, or 0 when nothing was heard yet.
func (b *VoiceBaseline) PitchHz() float64 {
	if b.weight <= 0 {
		return 0
	}
	return 100 * math.Pow(2, b.sum[bPitchST]/b.weight/12)
}

// Voice feature vector: what the classifier sees. Names are stored in the model file
// so a model trained with another layout is refused instead of silently misread.
const (
	vPitchST       = iota                         // median F0 minus baseline, semitones
	vPitchMaxST                                   // 95th percentile F0 minus baseline median, semitones
	vPitchMinST                                   // 5th percentile F0 minus baseline median, semitones
	vRangeST                                      // pitch range, semitones (own)
	vRangeRel                                     // pitch range minus baseline range
	vSDST                                         // pitch SD, semitones (own)
	vSDRel                                        // pitch SD minus baseline
	vSlope                                        // pitch slope, st/s
	vLoudDB                                       // mean level minus baseline, dB
	vLoudCrest                                    // loudest frame minus mean level, dB
	vLoudSD                                       // loudness SD (own)
	vLoudSDRel                                    // loudness SD minus baseline
	vPeakRateRel                                  // log loudness-peak rate minus baseline
	vRateRel                                      // log speech rate minus baseline
	vArticRel                                     // log articulation rate minus baseline
	vArtic                                        // log articulation rate (own)
	vPause                                        // pause ratio (own)
	vPauseRel                                     // pause ratio minus baseline
	vVoicedFrac                                   // voiced fraction (own)
	vVoicedFracRel                                // voiced fraction minus baseline
	vJitterRel                                    // jitter minus baseline
	vShimmerRel                                   // shimmer minus baseline
	vJitter                                       // jitter (own)
	vShimmer                                      // shimmer (own)
	vFlux                                         // spectral flux (own)
	vFluxRel                                      // spectral flux minus baseline
	vFluxSDRel                                    // flux variability minus baseline
	vAlphaRel                                     // alpha ratio minus baseline, dB
	vHammarRel                                    // Hammarberg index minus baseline, dB
	vSlopeLoRel                                   // slope 0–500 Hz minus baseline
	vSlopeHiRel                                   // slope 500–1500 Hz minus baseline
	vH1H2Rel                                      // H1–H2 minus baseline, dB
	vHNR                                          // HNR (own), dB
	vHNRRel                                       // HNR minus baseline, dB
	vHNRSDRel                                     // HNR variability minus baseline
	vF1Rel                                        // F1 minus baseline, semitones
	vF2Rel                                        // F2 minus baseline, semitones
	vF3Rel                                        // F3 minus baseline, semitones
	vH1A3Rel                                      // H1–A3 minus baseline, dB
	vAlphaUVRel                                   // unvoiced alpha ratio minus baseline, dB
	vHammarUVRel                                  // unvoiced Hammarberg index minus baseline, dB
	vLoudRange                                    // loudness percentile range (own), dB
	vLoudRangeRel                                 // minus baseline
	vRiseRel                                      // rising loudness slope minus baseline
	vFallRel                                      // falling loudness slope minus baseline
	vVSegRateRel                                  // voiced stretches per second minus baseline
	vVSegMeanRel                                  // mean voiced stretch minus baseline
	vUVSegRel                                     // mean unvoiced stretch minus baseline
	vLoudRise                                     // rising loudness slope (own), dB/s
	vLoudFall                                     // falling loudness slope (own), dB/s
	vBaseRange                                    // the baseline's own pitch range: how animated the reference itself is
	vBaseSD                                       // the baseline's pitch SD
	vBaseFlux                                     // the baseline's spectral flux
	vBaseHNR                                      // the baseline's HNR
	vBaseLoudSD                                   // the baseline's loudness SD
	vPitchRise                                    // mean rising F0 slope (own), st/s
	vPitchFall                                    // mean falling F0 slope (own), st/s
	vPitchRiseRel                                 // minus baseline
	vPitchFallRel                                 // minus baseline
	vMFCCRel                                      // MFCC 1..12 means minus baseline (dsp.NumMFCC entries)
	vMFCCSDRel     = vMFCCRel + dsp.NumMFCC       // MFCC 1..12 SDs minus baseline
	vMFCCSD        = vMFCCSDRel + dsp.NumMFCC     // MFCC 1..12 SDs (own: a fixed line colouring does not change them)
	vMFCCDelta     = vMFCCSD + dsp.NumMFCC        // MFCC 1..12 delta RMS (own: also line-proof)
	vMFCCDeltaRel  = vMFCCDelta + dsp.NumMFCC     // minus baseline
	vMFCCVoicedRel = vMFCCDeltaRel + dsp.NumMFCC  // voiced-hop MFCC means minus baseline
	vBandSD        = vMFCCVoicedRel + dsp.NumMFCC // coarse band-share SDs (own: line-proof), dsp.NumBands entries
	vBandSDRel     = vBandSD + dsp.NumBands       // minus baseline
	nVoiceFeatures = vBandSDRel + dsp.NumBands    // length of the vector
)

// voiceFeatureNames label the vector in the model file and in the training report.
var voiceFeatureNames = func() (n [nVoiceFeatures]string) {
	copy(n[:], []string{
		"pitch_st", "pitch_max_st", "pitch_min_st", "range_st", "range_rel", "sd_st", "sd_rel", "slope",
		"loud_db", "loud_crest", "loud_sd", "loud_sd_rel", "peak_rate_rel", "rate_rel", "artic_rel", "artic",
		"pause", "pause_rel", "voiced_frac", "voiced_frac_rel", "jitter_rel", "shimmer_rel",
		"jitter", "shimmer", "flux", "flux_rel", "flux_sd_rel", "alpha_rel", "hammarberg_rel",
		"slope_0_500_rel", "slope_500_1500_rel", "h1_h2_rel", "hnr", "hnr_rel", "hnr_sd_rel",
		"f1_rel", "f2_rel", "f3_rel", "h1_a3_rel",
		"alpha_uv_rel", "hammarberg_uv_rel", "loud_range", "loud_range_rel", "loud_rise_rel", "loud_fall_rel",
		"voiced_seg_rate_rel", "voiced_seg_mean_rel", "unvoiced_seg_rel",
		"loud_rise", "loud_fall", "base_range_st", "base_sd_st", "base_flux", "base_hnr", "base_loud_sd",
		"pitch_rise", "pitch_fall", "pitch_rise_rel", "pitch_fall_rel",
	})
	for k := 0; k < dsp.NumMFCC; k++ {
		n[vMFCCRel+k] = fmt.Sprintf("mfcc%d_rel", k+1)
		n[vMFCCSDRel+k] = fmt.Sprintf("mfcc%d_sd_rel", k+1)
		n[vMFCCSD+k] = fmt.Sprintf("mfcc%d_sd", k+1)
		n[vMFCCDelta+k] = fmt.Sprintf("mfcc%d_delta", k+1)
		n[vMFCCDeltaRel+k] = fmt.Sprintf("mfcc%d_delta_rel", k+1)
		n[vMFCCVoicedRel+k] = fmt.Sprintf("mfcc%d_voiced_rel", k+1)
	}
	for g := 0; g < dsp.NumBands; g++ {
		n[vBandSD+g] = fmt.Sprintf("band%d_sd", g+1)
		n[vBandSDRel+g] = fmt.Sprintf("band%d_sd_rel", g+1)
	}
	return n
}()

// voiceMinSpread is, per feature, the smallest spread across training utterances
// that counts as the corpus exercising it, in the feature's own unit. A feature that
// barely varies in training (EmoDB's 2 s clips have almost no pauses) cannot be
// learnt; standardising by its tiny spread would turn an ordinary live value into a
// huge z-score, so TrainVoice leaves such features out (weight 0).
var voiceMinSpread = func() (m [nVoiceFeatures]float64) {
	copy(m[:], []float64{
		0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.5, // pitch (st, st/s)
		0.5, 0.5, 0.3, 0.3, 0.05, 0.05, 0.05, 0.05, // loudness (dB), log rates
		0.05, 0.05, 0.03, 0.03, 0.002, 0.01, // pause ratio, voiced fraction, jitter, shimmer
		0.002, 0.01, 0.005, 0.005, 0.005, 0.5, 0.5, // jitter, shimmer, flux (ratio), alpha, Hammarberg (dB)
		1, 1, 0.5, 0.3, 0.3, 0.3, // slopes (dB/kHz), H1–H2, HNR (dB)
		0.2, 0.2, 0.2, 0.5, // formants (st), H1–A3 (dB)
		0.5, 0.5, 0.5, 0.5, 5, 5, // UV alpha, UV Hammarberg, loudness range (dB), slopes (dB/s)
		0.1, 0.01, 0.005, // voiced stretches per second, their mean (s), unvoiced stretch (s)
		5, 5, 0.5, 0.2, 0.005, 0.3, 0.3, // own loudness slopes (dB/s), the baseline's range, SD (st), flux, HNR, loudness SD (dB)
		2, 2, 2, 2, // F0 rising and falling slopes (st/s)
	})
	for k := 0; k < 6*dsp.NumMFCC; k++ {
		m[vMFCCRel+k] = 0.05
	}
	for g := 0; g < 2*dsp.NumBands; g++ {
		m[vBandSD+g] = 0.05 // dB
	}
	return m
}()

// voiceMaxZ bounds standardised features, so one out-of-range measurement (a pitch
// tracker's octave error, a clipped level) cannot dominate a reading.
const voiceMaxZ = 5

// VoiceFeatureNames lists the voice feature vector's entries in order, for reports.
func VoiceFeatureNames() []string { return append([]string(nil), voiceFeatureNames[:]...) }

// voiceRelBase maps each baseline-relative vector entry to the baseline value it is
// relative to, and every other entry to -1.
var voiceRelBase = func() (m [nVoiceFeatures]int) {
	for i := range m {
		m[i] = -1
	}
	for v, b := range map[int]int{
		vPitchST: bPitchST, vPitchMaxST: bPitchST, vPitchMinST: bPitchST, vRangeRel: bRangeST, vSDRel: bSDST,
		vLoudDB: bLoudDB, vLoudSDRel: bLoudSD, vPeakRateRel: bPeakRate, vRateRel: bRate, vArticRel: bArtic,
		vPauseRel: bPause, vVoicedFracRel: bVoicedFrac, vJitterRel: bJitter, vShimmerRel: bShimmer,
		vFluxRel: bFlux, vFluxSDRel: bFluxSD, vAlphaRel: bAlpha, vHammarRel: bHammar, vSlopeLoRel: bSlopeLo,
		vSlopeHiRel: bSlopeHi, vH1H2Rel: bH1H2, vHNRRel: bHNR, vHNRSDRel: bHNRSD,
		vF1Rel: bF1, vF2Rel: bF2, vF3Rel: bF3, vH1A3Rel: bH1A3,
		vAlphaUVRel: bAlphaUV, vHammarUVRel: bHammarUV, vLoudRangeRel: bLoudRange, vRiseRel: bRise, vFallRel: bFall,
		vVSegRateRel: bVSegRate, vVSegMeanRel: bVSegMean, vUVSegRel: bUVSeg,
		vPitchRiseRel: bPitchRise, vPitchFallRel: bPitchFall,
	} {
		m[v] = b
	}
	for k := 0; k < dsp.NumMFCC; k++ {
		m[vMFCCRel+k] = bMFCC + k
		m[vMFCCSDRel+k] = bMFCCSD + k
		m[vMFCCDeltaRel+k] = bMFCCDelta + k
		m[vMFCCVoicedRel+k] = bMFCCVoiced + k
	}
	for g := 0; g < dsp.NumBands; g++ {
		m[vBandSDRel+g] = bBandSD + g
	}
	return m
}()

// speakerScale is per-speaker standardisation: each baseline-relative entry of x is
// rescaled by how much the typical training speaker's voice varies (spread) over how
// much this caller's does (their baseline's own spread, shrunk towards the typical one
// with a prior of priorS voiced seconds, since a young baseline's spread is a guess).
// An expressive actor's big swings and a flat caller's small ones then read alike.
// Units are kept, so thresholds and standardisation downstream still apply.
func speakerScale(x *[nVoiceFeatures]float64, b *VoiceBaseline, spread *[nBase]float64, priorS float64) {
	if !(priorS > 0) || b.weight <= 0 {
		return
	}
	for i, bi := range voiceRelBase {
		if bi < 0 || !(spread[bi] > 0) {
			continue
		}
		mean := b.sum[bi] / b.weight
		own := math.Max(0, b.sq[bi]/b.weight-mean*mean)
		g := spread[bi] * spread[bi]
		eff := (b.weight*own + priorS*g) / (b.weight + priorS)
		x[i] *= spread[bi] / math.Sqrt(eff)
	}
}

// voiceVector writes the baseline-relative description of f into dst.
func voiceVector(dst *[nVoiceFeatures]float64, f dsp.Features, b *VoiceBaseline) {
	own := baseValues(f)
	ref := func(i int) float64 { return b.value(i, own[i]) }
	// Every baseline-relative entry is the utterance's value minus the caller's
	// reference (voiceRelBase says which); the pitch extremes are measured from
	// their own values, the rest below are absolute.
	for i, bi := range voiceRelBase {
		if bi >= 0 {
			dst[i] = own[bi] - ref(bi)
		}
	}
	p0 := ref(bPitchST)
	dst[vPitchMaxST] = voiceHzToST(math.Max(f.PitchMaxHz, f.PitchMedianHz)) - p0
	dst[vPitchMinST] = voiceHzToST(math.Min(voiceNonZero(f.PitchMinHz, f.PitchMedianHz), f.PitchMedianHz)) - p0
	dst[vRangeST] = own[bRangeST]
	dst[vSDST] = own[bSDST]
	dst[vSlope] = voiceClamp(voiceFinite(f.PitchSlopeSTPerS), -60, 60)
	dst[vLoudCrest] = voiceClamp(voiceFinite(f.LoudMaxDB)-own[bLoudDB], 0, 60)
	dst[vLoudSD] = own[bLoudSD]
	dst[vArtic] = own[bArtic]
	dst[vPause] = own[bPause]
	dst[vVoicedFrac] = own[bVoicedFrac]
	dst[vJitter] = own[bJitter]
	dst[vShimmer] = own[bShimmer]
	dst[vFlux] = own[bFlux]
	dst[vHNR] = own[bHNR]
	dst[vLoudRange] = own[bLoudRange]
	dst[vLoudRise] = own[bRise]
	dst[vLoudFall] = own[bFall]
	dst[vBaseRange] = ref(bRangeST)
	dst[vBaseSD] = ref(bSDST)
	dst[vBaseFlux] = ref(bFlux)
	dst[vBaseHNR] = ref(bHNR)
	dst[vBaseLoudSD] = ref(bLoudSD)
	dst[vPitchRise] = own[bPitchRise]
	dst[vPitchFall] = own[bPitchFall]
	for k := 0; k < dsp.NumMFCC; k++ {
		dst[vMFCCSD+k] = own[bMFCCSD+k]
		dst[vMFCCDelta+k] = own[bMFCCDelta+k]
	}
	for g := 0; g < dsp.NumBands; g++ {
		dst[vBandSD+g] = own[bBandSD+g]
	}
	for i := range dst {
		dst[i] = voiceClamp(voiceFinite(dst[i]), -100, 100)
	}
}

func voiceNonZero(x, fallback float64) float64 {
	if x > 0 {
		return x
	}
	return fallback
}

func voiceClamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
