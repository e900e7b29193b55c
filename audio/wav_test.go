package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"
)

// encodeWAV builds a WAV file by hand so the reader is tested against bytes it did not
// write itself. extra chunks are inserted before "data".
func encodeWAV(tag uint16, extensible bool, channels, rate, bits int, data []byte, extra ...[]byte) []byte {
	var fmtc bytes.Buffer
	w := func(v any) { _ = binary.Write(&fmtc, binary.LittleEndian, v) }
	outerTag := tag
	if extensible {
		outerTag = fmtExtensible
	}
	w(outerTag)
	w(uint16(channels))
	w(uint32(rate))
	w(uint32(rate * channels * bits / 8))
	w(uint16(channels * bits / 8))
	w(uint16(bits))
	if extensible {
		w(uint16(22))
		w(uint16(bits))
		w(uint32(0))
		w(tag)
		fmtc.Write([]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	}
	var body bytes.Buffer
	body.WriteString("WAVE")
	chunk := func(id string, b []byte) {
		body.WriteString(id)
		_ = binary.Write(&body, binary.LittleEndian, uint32(len(b)))
		body.Write(b)
		if len(b)%2 == 1 {
			body.WriteByte(0)
		}
	}
	chunk("fmt ", fmtc.Bytes())
	for _, e := range extra {
		body.Write(e)
	}
	chunk("data", data)
	var out bytes.Buffer
	out.WriteString("RIFF")
	_ = binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func TestReadWAVFormats(t *testing.T) {
	want := []int16{0, 16384, -16384, 32767, -32768}
	le := binary.LittleEndian
	pcm8 := []byte{128, 192, 64, 255, 0}
	want8 := []int16{0, 16384, -16384, 32512, -32768}
	var pcm16, pcm24, pcm32, f32, f64 []byte
	for _, v := range want {
		pcm16 = le.AppendUint16(pcm16, uint16(v))
		pcm24 = append(pcm24, 0x7F, byte(uint16(v)), byte(uint16(v)>>8))
		pcm32 = le.AppendUint32(pcm32, uint32(int32(v)<<16|0x1234))
		f32 = le.AppendUint32(f32, math.Float32bits(float32(v)/32768))
		f64 = le.AppendUint64(f64, math.Float64bits(float64(v)/32768))
	}
	// G.711 reference values: 0xFF is μ-law zero, 0x80 μ-law max positive (32124);
	// 0xD5 is A-law +8, 0xAA A-law +32256.
	mu := []byte{0xFF, 0x80, 0x00}
	wantMu := []int16{0, 32124, -32124}
	al := []byte{0xD5, 0xAA, 0x2A}
	wantAl := []int16{8, 32256, -32256}
	list := append([]byte("LIST\x03\x00\x00\x00abc"), 0) // odd-sized chunk with its pad byte
	fact := []byte("fact\x04\x00\x00\x00\x05\x00\x00\x00")

	tests := []struct {
		name      string
		tag       uint16
		ext       bool
		bits      int
		data      []byte
		want      []int16
		tolerance int
	}{
		{"pcm8", fmtPCM, false, 8, pcm8, want8, 0},
		{"pcm16", fmtPCM, false, 16, pcm16, want, 0},
		{"pcm24", fmtPCM, false, 24, pcm24, want, 0},
		{"pcm32", fmtPCM, false, 32, pcm32, want, 0},
		{"float32", fmtFloat, false, 32, f32, []int16{0, 16384, -16384, 32767, -32768}, 0},
		{"float64", fmtFloat, false, 64, f64, []int16{0, 16384, -16384, 32767, -32768}, 0},
		{"extensible pcm16", fmtPCM, true, 16, pcm16, want, 0},
		{"extensible float", fmtFloat, true, 32, f32, want, 0},
		{"mulaw", fmtMuLaw, false, 8, mu, wantMu, 0},
		{"alaw", fmtALaw, false, 8, al, wantAl, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeWAV(tc.tag, tc.ext, 1, 8000, tc.bits, tc.data, list, fact)
			c, err := ReadWAV(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if c.Rate != 8000 || c.Channels != 1 {
				t.Fatalf("rate %d channels %d", c.Rate, c.Channels)
			}
			if len(c.Samples) != len(tc.want) {
				t.Fatalf("got %d samples %v, want %v", len(c.Samples), c.Samples, tc.want)
			}
			for i := range tc.want {
				if d := int(c.Samples[i]) - int(tc.want[i]); d < -tc.tolerance || d > tc.tolerance {
					t.Errorf("sample %d = %d, want %d", i, c.Samples[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadWAVStereoAndStreamed(t *testing.T) {
	var data []byte
	for i := 0; i < 4; i++ {
		l, r := int16(1000), int16(-3000)
		data = binary.LittleEndian.AppendUint16(data, uint16(l))
		data = binary.LittleEndian.AppendUint16(data, uint16(r))
	}
	b := encodeWAV(fmtPCM, false, 2, 44100, 16, data)
	c, err := ReadWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if c.Channels != 2 || len(c.Samples) != 8 {
		t.Fatalf("channels %d samples %d", c.Channels, len(c.Samples))
	}
	m := Mono(c)
	if len(m) != 4 || m[0] != -1000 {
		t.Fatalf("Mono = %v, want four samples of -1000", m)
	}
	// A streamed file reads to the end of the input: data size 0xFFFFFFFF, or
	// the placeholder espeak-ng --stdout writes.
	for _, size := range []uint32{0xFFFFFFFF, 0x7FFFF000} {
		binary.LittleEndian.PutUint32(b[len(b)-len(data)-4:], size)
		c, err = ReadWAV(bytes.NewReader(b))
		if err != nil || len(c.Samples) != 8 {
			t.Fatalf("streamed (size %#x): %v, %d samples", size, err, len(c.Samples))
		}
	}
}

func TestReadWAVHostile(t *testing.T) {
	good := encodeWAV(fmtPCM, false, 1, 16000, 16, make([]byte, 3200))
	withSize := func(b []byte, off int, v uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	dataSizeOff := len(good) - 3200 - 4
	tests := []struct {
		name    string
		in      []byte
		want    error
		partial bool
	}{
		{"empty", nil, ErrNotWAV, false},
		{"short header", []byte("RIFF\x00\x00"), ErrTruncated, false},
		{"not riff", []byte("OggS\x00\x00\x00\x00WAVEfmt "), ErrNotWAV, false},
		{"header only", good[:12], ErrTruncated, false},
		{"cut in fmt", good[:30], ErrTruncated, false},
		{"no data chunk", good[:36], ErrTruncated, false},
		{"data larger than file", withSize(good, dataSizeOff, 100000), ErrTruncated, true},
		{"absurd data size reads what is there", withSize(good, dataSizeOff, 0xFFFFFFF0), nil, true},
		{"just under the streaming placeholder", withSize(good, dataSizeOff, 0x7FFFEFFF), ErrTooLong, false},
		{"adpcm", encodeWAV(2, false, 1, 8000, 4, make([]byte, 10)), ErrUnsupported, false},
		{"12-bit pcm", encodeWAV(fmtPCM, false, 1, 8000, 12, make([]byte, 10)), ErrUnsupported, false},
		{"zero channels", encodeWAV(fmtPCM, false, 0, 8000, 16, make([]byte, 10)), ErrUnsupported, false},
		{"zero rate", encodeWAV(fmtPCM, false, 1, 0, 16, make([]byte, 10)), ErrUnsupported, false},
		{"huge fmt chunk", withSize(good, 16, 0x7FFFFFFF), ErrNotWAV, false},
		{"huge unknown chunk", append(append([]byte(nil), good[:12]...), []byte("junk\xff\xff\xff\x7f")...), ErrTruncated, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ReadWAV(bytes.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.partial && (c == nil || len(c.Samples) != 1600) {
				t.Fatalf("want the 1600 samples present, got %+v", c)
			}
		})
	}
}

func TestReadWAVMaxDuration(t *testing.T) {
	b := encodeWAV(fmtPCM, false, 1, 16000, 16, make([]byte, 2*16000*3)) // 3 s
	if _, err := (WAVReader{MaxDuration: 2 * time.Second}).Read(bytes.NewReader(b)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("3 s file with 2 s limit: err = %v, want ErrTooLong", err)
	}
	c, err := (WAVReader{MaxDuration: 4 * time.Second}).Read(bytes.NewReader(b))
	if err != nil || c.Duration() != 3*time.Second {
		t.Fatalf("3 s file with 4 s limit: %v, %v", err, c.Duration())
	}
	// Streamed (size unknown) files are cut by the limit too.
	binary.LittleEndian.PutUint32(b[40:], 0xFFFFFFFF)
	if _, err := (WAVReader{MaxDuration: 2 * time.Second}).Read(bytes.NewReader(b)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("streamed 3 s file with 2 s limit: err = %v", err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	in := make([]int16, 70000) // more than one write buffer
	for i := range in {
		in[i] = int16(i*7 - 30000)
	}
	var buf bytes.Buffer
	if err := WriteWAV(&buf, in, 16000); err != nil {
		t.Fatal(err)
	}
	c, err := ReadWAV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.Rate != 16000 || c.Channels != 1 || len(c.Samples) != len(in) {
		t.Fatalf("rate %d ch %d n %d", c.Rate, c.Channels, len(c.Samples))
	}
	for i := range in {
		if in[i] != c.Samples[i] {
			t.Fatalf("sample %d: %d != %d", i, c.Samples[i], in[i])
		}
	}
	if err := WriteWAV(&buf, in, 0); !errors.Is(err, ErrBadRate) {
		t.Fatalf("rate 0: %v", err)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(encodeWAV(fmtPCM, false, 1, 16000, 16, make([]byte, 64)))
	f.Add(encodeWAV(fmtPCM, true, 2, 44100, 24, make([]byte, 66)))
	f.Add(encodeWAV(fmtFloat, false, 1, 8000, 32, make([]byte, 16), []byte("LIST\x01\x00\x00\x00a\x00")))
	f.Add(encodeWAV(fmtMuLaw, false, 1, 8000, 8, make([]byte, 7)))
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := (WAVReader{MaxDuration: 10 * time.Second}).Read(bytes.NewReader(b))
		if c == nil {
			if err == nil {
				t.Fatal("nil clip without error")
			}
			return
		}
		if c.Channels < 1 || c.Rate < 1 || len(c.Samples)%c.Channels != 0 {
			t.Fatalf("bad clip: rate %d channels %d samples %d", c.Rate, c.Channels, len(c.Samples))
		}
		if c.Duration() > 10*time.Second {
			t.Fatalf("limit ignored: %v", c.Duration())
		}
		m := Mono(c)
		if len(m) != len(c.Samples)/c.Channels {
			t.Fatal("Mono length")
		}
	})
}
