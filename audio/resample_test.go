package audio

import (
	"math"
	"testing"
)

func sine(rate int, hz, amp float64, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

// goertzelPower is the power of x at frequency hz (normalised by length).
func goertzelPower(x []int16, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return p / float64(len(x)*len(x))
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestResampleSine(t *testing.T) {
	for _, from := range []int{8000, 16000, 22050, 44100, 48000, 11025, 32000} {
		in := sine(from, 1000, 10000, from) // 1 s
		out, err := Resample(in, from, 16000)
		if err != nil {
			t.Fatal(err)
		}
		if d := len(out) - 16000; d < -1 || d > 1 {
			t.Fatalf("%d Hz: %d output samples, want 16000", from, len(out))
		}
		mid := out[1000 : len(out)-1000] // away from the edges
		// Level kept within 0.2 dB.
		if db := 20 * math.Log10(rms(mid)/(10000/math.Sqrt2)); math.Abs(db) > 0.2 {
			t.Errorf("%d Hz: level changed by %.2f dB", from, db)
		}
		// Frequency kept: the 1 kHz bin holds nearly all the power, and 1 kHz beats
		// its neighbours at ±20 Hz by a wide margin.
		p := goertzelPower(mid, 16000, 1000)
		for _, off := range []float64{-20, 20} {
			if q := goertzelPower(mid, 16000, 1000+off); q*100 > p {
				t.Errorf("%d Hz: power at %g Hz is %.3g of 1 kHz", from, 1000+off, q/p)
			}
		}
	}
}

func TestResampleRejectsAliases(t *testing.T) {
	// Going 48k->16k, a 12 kHz tone is above the new Nyquist frequency and must be
	// removed, not folded down to 4 kHz.
	in := sine(48000, 12000, 10000, 48000)
	out, err := Resample(in, 48000, 16000)
	if err != nil {
		t.Fatal(err)
	}
	if r := rms(out[1000 : len(out)-1000]); r > 10000/math.Sqrt2*0.01 {
		t.Errorf("12 kHz tone leaked at %.1f RMS (>-40 dB)", r)
	}
}

func TestResampleBadRate(t *testing.T) {
	for _, r := range [][2]int{{0, 16000}, {16000, 0}, {-1, 8000}} {
		if _, err := Resample([]int16{1, 2}, r[0], r[1]); err == nil {
			t.Errorf("Resample(%d -> %d) gave no error", r[0], r[1])
		}
	}
}

func BenchmarkResample44k(b *testing.B) {
	in := sine(44100, 440, 8000, 44100)
	b.SetBytes(int64(len(in) * 2))
	for b.Loop() {
		if _, err := Resample(in, 44100, 16000); err != nil {
			b.Fatal(err)
		}
	}
}
