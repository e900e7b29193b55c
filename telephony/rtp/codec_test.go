package rtp

import (
	"errors"
	"math"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	for _, c := range []Codec{CodecSlin16, CodecPCMU, CodecPCMA} {
		got, err := ParseCodec(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCodec(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	for _, bad := range []string{"", "unknown", "opus"} {
		if _, err := ParseCodec(bad); !errors.Is(err, ErrUnknownCodec) {
			t.Errorf("ParseCodec(%q) err = %v, want ErrUnknownCodec", bad, err)
		}
	}
	if s := Codec(9).String(); s != "Codec(9)" {
		t.Errorf("out of range String = %q", s)
	}
}

func TestG711TablesRoundTrip(t *testing.T) {
	for i := 0; i < 256; i++ {
		b := byte(i)
		if got := ulawEncode(ulawDecode[b]); ulawDecode[got] != ulawDecode[b] {
			t.Errorf("ulaw %#x -> %d -> %#x", b, ulawDecode[b], got)
		}
		if got := alawEncode(alawDecode[b]); got != b {
			t.Errorf("alaw %#x -> %d -> %#x", b, alawDecode[b], got)
		}
	}
	// Known anchor values of G.711.
	if ulawDecode[0xFF] != 0 || ulawDecode[0x00] != -32124 || ulawDecode[0x80] != 32124 {
		t.Errorf("ulaw anchors: %d %d %d", ulawDecode[0xFF], ulawDecode[0x00], ulawDecode[0x80])
	}
	if alawDecode[0xD5] != 8 || alawDecode[0x55] != -8 || alawDecode[0xAA] != 32256 {
		t.Errorf("alaw anchors: %d %d %d", alawDecode[0xD5], alawDecode[0x55], alawDecode[0xAA])
	}
	// Quantisation error stays within G.711's ~1/16 relative step.
	for _, x := range []int16{-30000, -1000, -100, 0, 50, 700, 12345, 32000} {
		for name, f := range map[string]func(int16) int16{
			"ulaw": func(v int16) int16 { return ulawDecode[ulawEncode(v)] },
			"alaw": func(v int16) int16 { return alawDecode[alawEncode(v)] },
		} {
			y := f(x)
			if d := math.Abs(float64(y) - float64(x)); d > 16+math.Abs(float64(x))/16 {
				t.Errorf("%s(%d) = %d, error %v", name, x, y, d)
			}
		}
	}
}

// Tones across the telephone band survive slin16 exactly and G.711 (8 kHz,
// resampled) at G.711's own quantisation limit (~38 dB), and the resampler
// keeps state across frames.
func TestTranscodeTone(t *testing.T) {
	const n = 320
	for _, tc := range []struct {
		codec  Codec
		hz     float64
		minSNR float64 // dB
	}{
		{CodecSlin16, 1000, 75}, {CodecPCMU, 1000, 35}, {CodecPCMA, 1000, 35},
		{CodecPCMU, 300, 35}, {CodecPCMU, 3000, 30},
	} {
		enc := transcoder{codec: tc.codec}
		dec := transcoder{codec: tc.codec}
		src := make([]int16, n)
		out := make([]int16, n)
		payload := make([]byte, tc.codec.PayloadBytes())
		var sig, noise float64
		for f := 0; f < 10; f++ {
			for i := range src {
				k := f*n + i
				src[i] = int16(8000 * math.Sin(2*math.Pi*tc.hz*float64(k)/16000))
			}
			m := enc.encode(src, payload)
			if m != tc.codec.PayloadBytes() {
				t.Fatalf("%v: encode wrote %d bytes", tc.codec, m)
			}
			if got := dec.decode(payload[:m], out); got != n {
				t.Fatalf("%v: decode wrote %d samples", tc.codec, got)
			}
			if f == 0 {
				continue // resampler warm-up
			}
			// The 2x resampling chain delays the signal by its filters' group delay.
			delay := 0
			if tc.codec != CodecSlin16 {
				delay = halfDelay
			}
			for i := range n {
				want := 8000 * math.Sin(2*math.Pi*tc.hz*float64(f*n+i-delay)/16000)
				sig += want * want
				d := float64(out[i]) - want
				noise += d * d
			}
		}
		snr := 10 * math.Log10(sig/noise)
		if noise == 0 {
			snr = math.Inf(1)
		}
		if snr < tc.minSNR {
			t.Errorf("%v %v Hz: SNR %.1f dB < %.1f", tc.codec, tc.hz, snr, tc.minSNR)
		}
		t.Logf("%v %v Hz: SNR %.1f dB", tc.codec, tc.hz, snr)
	}
}

func TestSlin16IsBigEndian(t *testing.T) {
	tr := transcoder{codec: CodecSlin16}
	buf := make([]byte, 4)
	tr.encode([]int16{0x0102, -2}, buf)
	if buf[0] != 0x01 || buf[1] != 0x02 || buf[2] != 0xFF || buf[3] != 0xFE {
		t.Fatalf("slin16 bytes = % x, want 01 02 ff fe", buf)
	}
	out := make([]int16, 2)
	// An odd trailing byte is ignored, never read past the payload.
	if n := tr.decode([]byte{0x01, 0x02, 0xFF, 0xFE, 0x7F}, out); n != 2 || out[0] != 0x0102 || out[1] != -2 {
		t.Fatalf("decode = %d %v", n, out)
	}
}

func BenchmarkTranscode(b *testing.B) {
	src := make([]int16, 320)
	for i := range src {
		src[i] = int16(i * 37)
	}
	dst := make([]int16, 320)
	for _, c := range []Codec{CodecSlin16, CodecPCMU} {
		b.Run(c.String(), func(b *testing.B) {
			enc, dec := transcoder{codec: c}, transcoder{codec: c}
			payload := make([]byte, c.PayloadBytes())
			b.ReportAllocs()
			for b.Loop() {
				n := enc.encode(src, payload)
				dec.decode(payload[:n], dst)
			}
		})
	}
}
