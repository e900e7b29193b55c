package audio

import (
	"fmt"
	"os"
)

// CanonicalRate is calmline's internal sample rate (telephony.SampleRate); it is
// repeated here so audio stays free of the telephony package.
const CanonicalRate = 16000

// Load16k reads a WAV file and returns it as 16 kHz mono, calmline's canonical format,
// so off-line tools analyse recordings exactly as live calls are analysed.
func Load16k(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load WAV: %w", err)
	}
	defer f.Close()
	clip, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("read WAV: %w", err)
	}
	out, err := Resample(Mono(clip), clip.Rate, CanonicalRate)
	if err != nil {
		return nil, fmt.Errorf("resample to 16 kHz: %w", err)
	}
	return out, nil
}
