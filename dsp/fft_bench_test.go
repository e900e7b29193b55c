package dsp

import (
	"math"
	"testing"

	godspfft "github.com/mjibson/go-dsp/fft"
	"gonum.org/v1/gonum/dsp/fourier"
)

// These benchmarks justify the FFT choice in BENCHMARKS.md: go-dsp's FFT allocates on
// every call, gonum's plan does not.
func BenchmarkFFTGoDSP(b *testing.B) {
	x := make([]float64, pitchFFT)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		godspfft.FFTReal(x)
	}
}

func BenchmarkFFTGonumPlan(b *testing.B) {
	for _, n := range []int{pitchFFT, 540, 1024} {
		b.Run(itoa(n), func(b *testing.B) {
			f := fourier.NewFFT(n)
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			c := make([]complex128, n/2+1)
			y := make([]float64, n)
			b.ReportAllocs()
			for b.Loop() {
				f.Coefficients(c, x)
				f.Sequence(y, c)
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
