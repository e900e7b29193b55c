// Package audio reads and writes WAV files and converts sample rates, so every other
// calmline package can assume the canonical 16 kHz mono int16 format.
package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Clip is decoded PCM audio as it was in the file: any rate, any channel count,
// converted to signed 16-bit samples.
type Clip struct {
	Rate     int     // samples per second per channel
	Channels int     // interleaved channel count
	Samples  []int16 // interleaved: frame i channel c is Samples[i*Channels+c]
}

// Duration is the clip's length in time.
func (c *Clip) Duration() time.Duration {
	if c == nil || c.Rate <= 0 || c.Channels <= 0 {
		return 0
	}
	frames := len(c.Samples) / c.Channels
	return time.Duration(frames) * time.Second / time.Duration(c.Rate)
}

// DefaultMaxDuration bounds a decoded file when WAVReader.MaxDuration is zero. One hour
// is far beyond any support call yet keeps memory under ~350 MB at 48 kHz stereo.
const DefaultMaxDuration = time.Hour

// Limits on header fields; beyond them a file is treated as unsupported rather than
// trusted, because they drive allocation sizes.
const (
	maxRate     = 768000
	maxChannels = 64
	maxFmtSize  = 4096
)

// WAV format tags (wFormatTag) calmline decodes.
const (
	fmtPCM        = 1
	fmtFloat      = 3
	fmtALaw       = 6
	fmtMuLaw      = 7
	fmtExtensible = 0xFFFE
)

// WAVReader decodes WAV files with a configurable length limit. The zero value is ready
// to use with DefaultMaxDuration.
type WAVReader struct {
	// MaxDuration caps the decoded audio; longer files fail with ErrTooLong.
	// Zero means DefaultMaxDuration.
	MaxDuration time.Duration
}

// ReadWAV decodes a WAV file with the default limits. See WAVReader.Read.
func ReadWAV(r io.Reader) (*Clip, error) {
	return WAVReader{}.Read(r)
}

type wavFormat struct {
	tag      uint16
	channels int
	rate     int
	bits     int // container bits per sample
}

// Read decodes a RIFF/WAVE stream: PCM 8/16/24/32-bit integer, 32/64-bit float, A-law
// and μ-law, plain or WAVE_FORMAT_EXTENSIBLE, any channel count and rate. Unknown
// chunks (LIST, fact, cue...) are skipped. The data chunk is read incrementally, so a
// lying size field costs no memory; a data size of 0xFFFFFFFF, or one of 2 GiB
// or more (the placeholder streaming writers such as `espeak-ng --stdout` put
// there, 0x7FFFF000), means "until the end of the input". When the input ends early the samples read so
// far are returned with an error wrapping ErrTruncated.
func (wr WAVReader) Read(r io.Reader) (*Clip, error) {
	maxDur := wr.MaxDuration
	if maxDur <= 0 {
		maxDur = DefaultMaxDuration
	}
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read RIFF header: empty input: %w", ErrNotWAV)
		}
		return nil, fmt.Errorf("read RIFF header: %w", ErrTruncated)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("read RIFF header: %w", ErrNotWAV)
	}
	var f *wavFormat
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if f == nil {
				return nil, fmt.Errorf("find fmt chunk: %w", ErrTruncated)
			}
			return nil, fmt.Errorf("find data chunk: %w", ErrTruncated)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 || size > maxFmtSize {
				return nil, fmt.Errorf("read fmt chunk of %d bytes: %w", size, ErrNotWAV)
			}
			buf := make([]byte, size+size&1)
			n, err := io.ReadFull(r, buf)
			if err != nil && int64(n) < size {
				return nil, fmt.Errorf("read fmt chunk: %w", ErrTruncated)
			}
			if f, err = parseFmt(buf[:size]); err != nil {
				return nil, err
			}
		case "data":
			if f == nil {
				return nil, fmt.Errorf("data chunk before fmt chunk: %w", ErrNotWAV)
			}
			return readData(r, f, size, maxDur)
		default:
			if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
				return nil, fmt.Errorf("skip %q chunk: %w", id, ErrTruncated)
			}
		}
	}
}

func parseFmt(b []byte) (*wavFormat, error) {
	f := &wavFormat{
		tag:      binary.LittleEndian.Uint16(b[0:2]),
		channels: int(binary.LittleEndian.Uint16(b[2:4])),
		rate:     int(binary.LittleEndian.Uint32(b[4:8])),
		bits:     int(binary.LittleEndian.Uint16(b[14:16])),
	}
	if f.tag == fmtExtensible {
		if len(b) < 40 {
			return nil, fmt.Errorf("read WAVE_FORMAT_EXTENSIBLE fmt chunk: %w", ErrNotWAV)
		}
		// The sub-format GUID starts with the plain format tag.
		f.tag = binary.LittleEndian.Uint16(b[24:26])
	}
	if f.channels < 1 || f.channels > maxChannels {
		return nil, fmt.Errorf("%d channels: %w", f.channels, ErrUnsupported)
	}
	if f.rate < 1 || f.rate > maxRate {
		return nil, fmt.Errorf("sample rate %d Hz: %w", f.rate, ErrUnsupported)
	}
	ok := false
	switch f.tag {
	case fmtPCM:
		ok = f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32
	case fmtFloat:
		ok = f.bits == 32 || f.bits == 64
	case fmtALaw, fmtMuLaw:
		ok = f.bits == 8
	}
	if !ok {
		return nil, fmt.Errorf("format tag %#x with %d bits per sample: %w", f.tag, f.bits, ErrUnsupported)
	}
	return f, nil
}

// streamingDataSize and above are placeholders, not sizes: no real clip calmline
// accepts is 2 GiB long.
const streamingDataSize = 0x7FFFF000

func readData(r io.Reader, f *wavFormat, size int64, maxDur time.Duration) (*Clip, error) {
	bps := f.bits / 8
	block := int64(bps * f.channels)
	maxSamples := int64(maxDur/time.Millisecond) * int64(f.rate) / 1000 * int64(f.channels)
	untilEOF := size >= streamingDataSize
	if !untilEOF && size/int64(bps) > maxSamples {
		return nil, fmt.Errorf("data chunk of %d bytes (limit %v): %w", size, maxDur, ErrTooLong)
	}
	// Allocate for what the header claims only up to a modest size; beyond it, grow as
	// bytes actually arrive.
	guess := size / int64(bps)
	if untilEOF || guess > 1<<20 {
		guess = 1 << 20
	}
	clip := &Clip{Rate: f.rate, Channels: f.channels, Samples: make([]int16, 0, guess)}
	buf := make([]byte, 64*1024-(64*1024)%int(block))
	var carry int // bytes of an incomplete sample kept at the start of buf
	remaining := size
	for untilEOF || remaining > 0 {
		want := int64(len(buf) - carry)
		if !untilEOF && want > remaining {
			want = remaining
		}
		n, err := io.ReadAtLeast(r, buf[carry:carry+int(want)], 1)
		remaining -= int64(n)
		n += carry
		whole := n - n%bps
		clip.Samples = decode(clip.Samples, buf[:whole], f)
		carry = copy(buf, buf[whole:n])
		if int64(len(clip.Samples)) > maxSamples {
			return nil, fmt.Errorf("decode data (limit %v): %w", maxDur, ErrTooLong)
		}
		if err != nil {
			if untilEOF && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				break
			}
			clip.Samples = clip.Samples[:len(clip.Samples)-len(clip.Samples)%f.channels]
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return clip, fmt.Errorf("read data chunk: %d of %d bytes missing: %w", remaining, size, ErrTruncated)
			}
			return clip, fmt.Errorf("read data chunk: %w", err)
		}
	}
	clip.Samples = clip.Samples[:len(clip.Samples)-len(clip.Samples)%f.channels]
	return clip, nil
}

// decode appends the samples in b (whole samples only) converted to int16.
func decode(dst []int16, b []byte, f *wavFormat) []int16 {
	switch {
	case f.tag == fmtPCM && f.bits == 8:
		for _, v := range b {
			dst = append(dst, int16(int(v)-128)<<8)
		}
	case f.tag == fmtPCM && f.bits == 16:
		for i := 0; i+1 < len(b); i += 2 {
			dst = append(dst, int16(binary.LittleEndian.Uint16(b[i:])))
		}
	case f.tag == fmtPCM && f.bits == 24:
		for i := 0; i+2 < len(b); i += 3 {
			dst = append(dst, int16(uint16(b[i+1])|uint16(b[i+2])<<8))
		}
	case f.tag == fmtPCM && f.bits == 32:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, int16(binary.LittleEndian.Uint32(b[i:])>>16))
		}
	case f.tag == fmtFloat && f.bits == 32:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, floatTo16(float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))))
		}
	case f.tag == fmtFloat && f.bits == 64:
		for i := 0; i+7 < len(b); i += 8 {
			dst = append(dst, floatTo16(math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))))
		}
	case f.tag == fmtALaw:
		for _, v := range b {
			dst = append(dst, ALawToLinear(v))
		}
	case f.tag == fmtMuLaw:
		for _, v := range b {
			dst = append(dst, MuLawToLinear(v))
		}
	}
	return dst
}

func floatTo16(v float64) int16 {
	if v != v { // NaN
		return 0
	}
	v *= 32768
	if v >= 32767 {
		return 32767
	}
	if v <= -32768 {
		return -32768
	}
	return int16(math.Round(v))
}

// WriteWAV writes mono 16-bit PCM as a canonical 44-byte-header WAV file, the format
// every tool (Praat, sox, browsers) reads.
func WriteWAV(w io.Writer, samples []int16, rate int) error {
	if rate <= 0 || rate > maxRate {
		return fmt.Errorf("write WAV at %d Hz: %w", rate, ErrBadRate)
	}
	dataLen := len(samples) * 2
	if int64(dataLen) > math.MaxUint32-36 {
		return fmt.Errorf("write WAV of %d samples: %w", len(samples), ErrTooLong)
	}
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+dataLen))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], fmtPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(dataLen))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("write WAV header: %w", err)
	}
	buf := make([]byte, 0, 32*1024)
	for i, s := range samples {
		buf = binary.LittleEndian.AppendUint16(buf, uint16(s))
		if len(buf) == cap(buf) || i == len(samples)-1 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("write WAV data: %w", err)
			}
			buf = buf[:0]
		}
	}
	return nil
}
