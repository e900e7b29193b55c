package rtp

import (
	"encoding/binary"
	"fmt"
)

// Codec is the payload format on the wire. calmline's ARI app asks
// Asterisk for μ-law ExternalMedia: Asterisk sends slin16 with the dynamic
// payload type 118 but drops 118 coming back on a channel without SDP
// (found on Asterisk 22.9), so the G.711 codecs (8 kHz, resampled at the
// edge) are the ones that work both ways; slin16 stays for peers that
// negotiate it.
type Codec int

// Codecs. The zero value is CodecUnknown so a forgotten setting is visible.
const (
	CodecUnknown Codec = iota
	CodecSlin16        // 16-bit signed linear, 16 kHz, big-endian (network order)
	CodecPCMU          // G.711 μ-law, 8 kHz
	CodecPCMA          // G.711 A-law, 8 kHz
)

var codecNames = [...]string{"unknown", "slin16", "ulaw", "alaw"}

func (c Codec) String() string {
	if c < 0 || int(c) >= len(codecNames) {
		return fmt.Sprintf("Codec(%d)", int(c))
	}
	return codecNames[c]
}

// ParseCodec is the inverse of String; it reads the codec name used in
// Asterisk's externalMedia "format" parameter.
func ParseCodec(s string) (Codec, error) {
	for i, n := range codecNames {
		if i > 0 && n == s {
			return Codec(i), nil
		}
	}
	return CodecUnknown, fmt.Errorf("%w %q", ErrUnknownCodec, s)
}

// PayloadType is the RTP payload type Asterisk uses for the codec (static
// for G.711, Asterisk's fixed dynamic number 118 for slin16).
func (c Codec) PayloadType() uint8 {
	switch c {
	case CodecPCMU:
		return 0
	case CodecPCMA:
		return 8
	default:
		return 118
	}
}

// ClockRate is the RTP timestamp rate of the codec.
func (c Codec) ClockRate() int {
	if c == CodecSlin16 {
		return 16000
	}
	return 8000
}

// PayloadBytes is the size of a 20 ms payload.
func (c Codec) PayloadBytes() int {
	if c == CodecSlin16 {
		return 640
	}
	return 160
}

// transcoder converts one direction of one call; it keeps the resampler
// state so 8 kHz audio is continuous across frames. Not safe for
// concurrent use: each direction owns one.
type transcoder struct {
	codec Codec
	up    upsampler // 8 → 16 kHz (decode), state carried across frames
	down  decimator // 16 → 8 kHz (encode)
	g711  [maxFrame / 2]int16
}

// filters builds the resampling filter on a direction's first G.711 frame, so a
// zero transcoder works and slin16 calls never pay for it.
func (t *transcoder) filters() {
	if t.up.h == nil {
		h := newHalfband()
		t.up.h, t.down.h = h, h
	}
}

// decode converts a payload into 16 kHz samples in dst and returns how many
// samples it wrote (at most len(dst)). It never allocates.
func (t *transcoder) decode(payload []byte, dst []int16) int {
	switch t.codec {
	case CodecSlin16:
		n := len(payload) / 2
		if n > len(dst) {
			n = len(dst)
		}
		for i := 0; i < n; i++ {
			dst[i] = int16(binary.BigEndian.Uint16(payload[2*i:]))
		}
		return n
	case CodecPCMU, CodecPCMA:
		n := min(len(payload), len(dst)/2, len(t.g711))
		t.filters()
		for i := 0; i < n; i++ {
			t.g711[i] = t.sample(payload[i])
		}
		t.up.process(t.g711[:n], dst)
		return 2 * n
	}
	return 0
}

func (t *transcoder) sample(b byte) int16 {
	if t.codec == CodecPCMU {
		return ulawDecode[b]
	}
	return alawDecode[b]
}

// encode converts 16 kHz samples into a payload in dst and returns its
// length. It never allocates; dst must hold PayloadBytes for a 20 ms frame.
func (t *transcoder) encode(src []int16, dst []byte) int {
	switch t.codec {
	case CodecSlin16:
		n := len(src)
		if 2*n > len(dst) {
			n = len(dst) / 2
		}
		for i := 0; i < n; i++ {
			binary.BigEndian.PutUint16(dst[2*i:], uint16(src[i]))
		}
		return 2 * n
	case CodecPCMU, CodecPCMA:
		n := min(len(src)/2, len(dst), len(t.g711))
		t.filters()
		t.down.process(src[:2*n], t.g711[:n])
		for i, v := range t.g711[:n] {
			if t.codec == CodecPCMU {
				dst[i] = ulawEncode(v)
			} else {
				dst[i] = alawEncode(v)
			}
		}
		return n
	}
	return 0
}
