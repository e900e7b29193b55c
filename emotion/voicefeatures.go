package emotion

import (
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
}

// Indexes of the per-caller reference values a baseline keeps.
const (
	bPitchST    = iota // median F0, semitones re 100 Hz
	bLoudDB            // mean speech level, dBFS
	bLoudSD            // loudness variability, dB
	bRangeST           // pitch range, semitones
	bSDST              // pitch variability, semitones
	bRate              // log speech rate
	bArtic             // log articulation rate
	bPeakRate          // log loudness peaks per second
	bPause             // pause ratio
	bVoicedFrac        // voiced time / duration
	bJitter            // jitter ratio (0 when dsp does not measure it)
	bShimmer           // shimmer ratio
	nBase
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
	vPitchST       = iota // median F0 minus baseline, semitones
	vPitchMaxST           // 95th percentile F0 minus baseline median, semitones
	vPitchMinST           // 5th percentile F0 minus baseline median, semitones
	vRangeST              // pitch range, semitones (own)
	vRangeRel             // pitch range minus baseline range
	vSDST                 // pitch SD, semitones (own)
	vSDRel                // pitch SD minus baseline
	vSlope                // pitch slope, st/s
	vLoudDB               // mean level minus baseline, dB
	vLoudCrest            // loudest frame minus mean level, dB
	vLoudSD               // loudness SD (own)
	vLoudSDRel            // loudness SD minus baseline
	vPeakRateRel          // log loudness-peak rate minus baseline
	vRateRel              // log speech rate minus baseline
	vArticRel             // log articulation rate minus baseline
	vArtic                // log articulation rate (own)
	vPause                // pause ratio (own)
	vPauseRel             // pause ratio minus baseline
	vVoicedFrac           // voiced fraction (own)
	vVoicedFracRel        // voiced fraction minus baseline
	vJitterRel            // jitter minus baseline (0 when unmeasured)
	vShimmerRel           // shimmer minus baseline (0 when unmeasured)
	nVoiceFeatures
)

// voiceFeatureNames label the vector in the model file and in the training report.
var voiceFeatureNames = [nVoiceFeatures]string{
	"pitch_st", "pitch_max_st", "pitch_min_st", "range_st", "range_rel", "sd_st", "sd_rel", "slope",
	"loud_db", "loud_crest", "loud_sd", "loud_sd_rel", "peak_rate_rel", "rate_rel", "artic_rel", "artic",
	"pause", "pause_rel", "voiced_frac", "voiced_frac_rel", "jitter_rel", "shimmer_rel",
}

// voiceMinSpread is, per feature, the smallest spread across training utterances
// that counts as the corpus exercising it, in the feature's own unit. A feature that
// barely varies in training (EmoDB's 2 s clips have almost no pauses) cannot be
// learnt; standardising by its tiny spread would turn an ordinary live value into a
// huge z-score, so TrainVoice leaves such features out (weight 0).
var voiceMinSpread = [nVoiceFeatures]float64{
	0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.5, // pitch (st, st/s)
	0.5, 0.5, 0.3, 0.3, 0.05, 0.05, 0.05, 0.05, // loudness (dB), log rates
	0.05, 0.05, 0.03, 0.03, 0.002, 0.01, // pause ratio, voiced fraction, jitter, shimmer
}

// voiceMaxZ bounds standardised features, so one out-of-range measurement (a pitch
// tracker's octave error, a clipped level) cannot dominate a reading.
const voiceMaxZ = 5

// VoiceFeatureNames lists the voice feature vector's entries in order, for reports.
func VoiceFeatureNames() []string { return append([]string(nil), voiceFeatureNames[:]...) }

// voiceVector writes the baseline-relative description of f into dst.
func voiceVector(dst *[nVoiceFeatures]float64, f dsp.Features, b *VoiceBaseline) {
	own := baseValues(f)
	ref := func(i int) float64 { return b.value(i, own[i]) }
	p0 := ref(bPitchST)
	dst[vPitchST] = own[bPitchST] - p0
	dst[vPitchMaxST] = voiceHzToST(math.Max(f.PitchMaxHz, f.PitchMedianHz)) - p0
	dst[vPitchMinST] = voiceHzToST(math.Min(voiceNonZero(f.PitchMinHz, f.PitchMedianHz), f.PitchMedianHz)) - p0
	dst[vRangeST] = own[bRangeST]
	dst[vRangeRel] = own[bRangeST] - ref(bRangeST)
	dst[vSDST] = own[bSDST]
	dst[vSDRel] = own[bSDST] - ref(bSDST)
	dst[vSlope] = voiceClamp(voiceFinite(f.PitchSlopeSTPerS), -60, 60)
	dst[vLoudDB] = own[bLoudDB] - ref(bLoudDB)
	dst[vLoudCrest] = voiceClamp(voiceFinite(f.LoudMaxDB)-own[bLoudDB], 0, 60)
	dst[vLoudSD] = own[bLoudSD]
	dst[vLoudSDRel] = own[bLoudSD] - ref(bLoudSD)
	dst[vPeakRateRel] = own[bPeakRate] - ref(bPeakRate)
	dst[vRateRel] = own[bRate] - ref(bRate)
	dst[vArticRel] = own[bArtic] - ref(bArtic)
	dst[vArtic] = own[bArtic]
	dst[vPause] = own[bPause]
	dst[vPauseRel] = own[bPause] - ref(bPause)
	dst[vVoicedFrac] = own[bVoicedFrac]
	dst[vVoicedFracRel] = own[bVoicedFrac] - ref(bVoicedFrac)
	dst[vJitterRel] = own[bJitter] - ref(bJitter)
	dst[vShimmerRel] = own[bShimmer] - ref(bShimmer)
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
