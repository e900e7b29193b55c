package audio

import (
	"fmt"
	"math"
)

// Resampling is a Kaiser-windowed sinc filter evaluated in polyphase form.
//
// Why hand-written: the pure-Go resamplers we evaluated (tphakala/go-audio-resampler,
// oov/audio/resampler, gunter-q12/resample) cannot be fetched through this project's
// module proxy, and calmline only needs a few fixed ratios off-line (8, 22.05, 44.1,
// 48 kHz to 16 kHz), so a textbook windowed-sinc filter (Smith, "Digital Audio
// Resampling") is small and easy to verify: 16 zero crossings per side, Kaiser β = 8.6
// (about 80 dB stopband), cutoff at 0.91 of the lower Nyquist frequency.
const (
	zeroCrossings = 16
	kaiserBeta    = 8.6
	rolloff       = 0.91
	maxPhases     = 4096 // a rational ratio with more phases is rounded to this grid
)

// Resample converts mono samples from fromRate to toRate. It is meant for whole files
// (the live path receives 16 kHz already); the result is a new slice.
func Resample(src []int16, fromRate, toRate int) ([]int16, error) {
	if fromRate <= 0 || toRate <= 0 || fromRate > maxRate || toRate > maxRate {
		return nil, fmt.Errorf("resample %d Hz to %d Hz: %w", fromRate, toRate, ErrBadRate)
	}
	if fromRate == toRate {
		return append([]int16(nil), src...), nil
	}
	g := gcd(fromRate, toRate)
	up, down := toRate/g, fromRate/g // output n sits at input time n*down/up
	phases := up
	if phases > maxPhases {
		phases = maxPhases
	}
	cut := rolloff * math.Min(1, float64(toRate)/float64(fromRate)) // of the input Nyquist
	half := int(math.Ceil(zeroCrossings / cut))                     // taps each side, input samples
	taps := 2 * half
	// table[p*taps+j] is the weight of input sample k0-half+1+j for phase p (fraction p/phases).
	table := make([]float32, phases*taps)
	i0 := bessI0(kaiserBeta)
	for p := 0; p < phases; p++ {
		frac := float64(p) / float64(phases)
		for j := 0; j < taps; j++ {
			t := float64(j-half+1) - frac // input sample offset from output time
			x := t / float64(half)
			if x <= -1 || x >= 1 {
				continue
			}
			w := bessI0(kaiserBeta*math.Sqrt(1-x*x)) / i0
			table[p*taps+j] = float32(cut * sinc(cut*t) * w)
		}
	}
	n := int(int64(len(src)) * int64(up) / int64(down))
	out := make([]int16, n)
	for i := range out {
		num := int64(i) * int64(down)
		k0 := int(num / int64(up))
		p := int(num % int64(up))
		if up != phases {
			p = int(int64(p) * int64(phases) / int64(up))
		}
		w := table[p*taps : (p+1)*taps]
		var acc float32
		start := k0 - half + 1
		if start >= 0 && start+taps <= len(src) {
			s := src[start : start+taps]
			for j, c := range w {
				acc += c * float32(s[j])
			}
		} else {
			for j, c := range w {
				k := start + j
				if k >= 0 && k < len(src) {
					acc += c * float32(src[k])
				}
			}
		}
		out[i] = clamp16(acc)
	}
	return out, nil
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	return int16(math.Round(float64(v)))
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// bessI0 is the zeroth-order modified Bessel function of the first kind (series form).
func bessI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Mono mixes a clip down to one channel by averaging, so stereo call recordings (caller
// on one side, agent on the other) still give one analysable signal.
func Mono(c *Clip) []int16 {
	if c == nil || c.Channels <= 0 {
		return nil
	}
	if c.Channels == 1 {
		return append([]int16(nil), c.Samples...)
	}
	n := len(c.Samples) / c.Channels
	out := make([]int16, n)
	for i := range out {
		var sum int32
		for _, s := range c.Samples[i*c.Channels : (i+1)*c.Channels] {
			sum += int32(s)
		}
		out[i] = int16(sum / int32(c.Channels))
	}
	return out
}
