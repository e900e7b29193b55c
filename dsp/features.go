// Package dsp is calmline's ear: streaming prosody analysis of 16 kHz mono PCM.
//
// It finds where the caller speaks (VAD and endpointing) and measures how they speak
// (pitch, loudness, speech rate, pauses), so the emotion model can judge arousal even
// when no word was recognised. It is pure Go and allocates nothing per frame.
package dsp

// Features summarises how one utterance was spoken. The emotion package reads these
// fields; units are in the names so nobody has to guess.
type Features struct {
	DurationS float64 `json:"duration_s"` // utterance length, first to last speech frame
	VoicedS   float64 `json:"voiced_s"`   // time with a pitch (phonation time)

	PitchMeanHz      float64 `json:"pitch_mean_hz"`        // mean F0 over voiced frames
	PitchMedianHz    float64 `json:"pitch_median_hz"`      // median F0 over voiced frames
	PitchMinHz       float64 `json:"pitch_min_hz"`         // 5th percentile of F0
	PitchMaxHz       float64 `json:"pitch_max_hz"`         // 95th percentile of F0
	PitchRangeST     float64 `json:"pitch_range_st"`       // 5th to 95th percentile, semitones
	PitchSDST        float64 `json:"pitch_sd_st"`          // standard deviation of F0, semitones
	PitchSlopeSTPerS float64 `json:"pitch_slope_st_per_s"` // least-squares slope of F0 in semitones per second
	PitchRiseSTPerS  float64 `json:"pitch_rise_st_per_s"`  // mean rising F0 slope between voiced hops, semitones per second
	PitchFallSTPerS  float64 `json:"pitch_fall_st_per_s"`  // mean falling F0 slope (a positive number)

	LoudMeanDB   float64 `json:"loud_mean_db"`   // mean frame level over speech frames, dBFS
	LoudSDDB     float64 `json:"loud_sd_db"`     // its standard deviation
	LoudMaxDB    float64 `json:"loud_max_db"`    // loudest frame, dBFS
	LoudPeakRate float64 `json:"loud_peak_rate"` // loudness peaks per second

	Syllables        int     `json:"syllables"`         // syllable nuclei found
	SpeechRate       float64 `json:"speech_rate"`       // syllable nuclei per second of the whole utterance
	ArticulationRate float64 `json:"articulation_rate"` // syllable nuclei per second of phonation

	Pauses     int     `json:"pauses"`       // silent gaps inside the utterance
	PauseMeanS float64 `json:"pause_mean_s"` // their mean length
	PauseMaxS  float64 `json:"pause_max_s"`  // the longest
	PauseRatio float64 `json:"pause_ratio"`  // pause time / utterance time

	Jitter  float64 `json:"jitter,omitempty"`  // local period jitter (mean |ΔT| / mean T) over voiced hops, ratio
	Shimmer float64 `json:"shimmer,omitempty"` // local amplitude shimmer (mean |ΔA| / mean A) over voiced hops, ratio

	// Spectral shape and voice quality (eGeMAPS-like; every band stops at 4 kHz so a
	// phone line and a wide-band call compare). They carry what prosody cannot: how
	// pressed, bright or breathy the voice is, which separates anger from joy.
	MFCCMean          [NumMFCC]float64  `json:"mfcc_mean"`                 // MFCC 1..12 (mel 80–4000 Hz), mean over speech hops
	MFCCSD            [NumMFCC]float64  `json:"mfcc_sd"`                   // their standard deviations
	MFCCDeltaSD       [NumMFCC]float64  `json:"mfcc_delta_sd"`             // RMS of their ±2-hop regression deltas: how fast the timbre moves
	MFCCVoicedMean    [NumMFCC]float64  `json:"mfcc_voiced_mean"`          // MFCC means over voiced hops only (vowels, not consonants)
	BandSDDB          [NumBands]float64 `json:"band_sd_db"`                // SD over speech hops of each coarse band's share of the hop's energy, dB
	SpectralFlux      float64           `json:"spectral_flux"`             // mean change of the normalised mel spectrum hop to hop
	SpectralFluxSD    float64           `json:"spectral_flux_sd"`          // its standard deviation
	AlphaRatioDB      float64           `json:"alpha_ratio_db"`            // energy 50–1000 Hz over 1–4 kHz, dB, voiced hops
	HammarbergDB      float64           `json:"hammarberg_db"`             // strongest bin 0–2 kHz over 2–4 kHz, dB, voiced hops
	SlopeLowDBPerKHz  float64           `json:"slope_0_500_db_per_khz"`    // spectral slope 0–500 Hz, voiced hops
	SlopeHighDBPerKHz float64           `json:"slope_500_1500_db_per_khz"` // spectral slope 500–1500 Hz, voiced hops
	H1H2DB            float64           `json:"h1_h2_db"`                  // first minus second harmonic, dB, voiced hops
	HNRDB             float64           `json:"hnr_db"`                    // harmonics-to-noise ratio from the pitch periodicity, dB, voiced hops
	HNRSDDB           float64           `json:"hnr_sd_db"`                 // its standard deviation
	Formant1Hz        float64           `json:"formant1_hz"`               // F1 from the LPC envelope, mean over voiced hops
	Formant2Hz        float64           `json:"formant2_hz"`               // F2
	Formant3Hz        float64           `json:"formant3_hz"`               // F3
	H1A3DB            float64           `json:"h1_a3_db"`                  // first harmonic minus the harmonic nearest F3, dB
	AlphaRatioUVDB    float64           `json:"alpha_ratio_uv_db"`         // alpha ratio over unvoiced speech hops (consonants)
	HammarbergUVDB    float64           `json:"hammarberg_uv_db"`          // Hammarberg index over unvoiced speech hops

	// Temporal shape (eGeMAPS-like functionals of the loudness contour and voicing).
	LoudRangeDB     float64 `json:"loud_range_db"`       // 20th to 80th percentile of the smoothed loudness of speech hops
	LoudRiseDBPerS  float64 `json:"loud_rise_db_per_s"`  // mean rising slope of the smoothed loudness
	LoudFallDBPerS  float64 `json:"loud_fall_db_per_s"`  // mean falling slope (positive number)
	VoicedSegPerS   float64 `json:"voiced_seg_per_s"`    // voiced stretches per second
	VoicedSegMeanS  float64 `json:"voiced_seg_mean_s"`   // their mean length
	UnvoicedSegMean float64 `json:"unvoiced_seg_mean_s"` // mean length of unvoiced stretches between voiced ones, inside speech
}
