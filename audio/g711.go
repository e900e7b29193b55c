package audio

import "fmt"

// G.711 is the codec of plain phone lines: 8 kHz, 8 bits per sample,
// logarithmic. calmline meets it on SIP calls through Asterisk, and its
// training tools use Telephone to hear recordings the way a phone line would.

// MuLawToLinear expands one G.711 μ-law byte to 16-bit linear PCM (telephony lines and
// many call recordings use it).
func MuLawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// ALawToLinear expands one G.711 A-law byte to 16-bit linear PCM.
func ALawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

var segEnd = [8]int32{0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF}

func muSegment(v int32) int {
	for i, e := range segEnd {
		if v <= e {
			return i
		}
	}
	return 8
}

// LinearToMuLaw compresses a 16-bit sample to one G.711 μ-law byte (ITU-T G.711,
// the classic Sun reference algorithm): what a North American or Japanese phone
// line carries.
func LinearToMuLaw(s int16) byte {
	const bias = 0x84
	v := int32(s)
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v += bias
	if v > 0x7FFF {
		v = 0x7FFF
	}
	seg := muSegment(v)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return (byte(seg<<4) | byte((v>>(seg+3))&0x0F)) ^ mask
}

var segAEnd = [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

// LinearToALaw compresses a 16-bit sample to one G.711 A-law byte: what most
// other phone lines carry.
func LinearToALaw(s int16) byte {
	v := int32(s) >> 3
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := 8
	for i, e := range segAEnd {
		if v <= e {
			seg = i
			break
		}
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte((v >> 1) & 0x0F)
	} else {
		a |= byte((v >> seg) & 0x0F)
	}
	return a ^ mask
}

// Telephone returns 16 kHz audio as it arrives after a G.711 μ-law phone line:
// band-limited to 4 kHz at 8 kHz and quantised, then back at 16 kHz. Models
// trained on studio recordings use it to learn what phone callers sound like.
func Telephone(pcm16k []int16) ([]int16, error) {
	narrow, err := Resample(pcm16k, 16000, 8000)
	if err != nil {
		return nil, fmt.Errorf("telephone: %w", err)
	}
	for i, s := range narrow {
		narrow[i] = MuLawToLinear(LinearToMuLaw(s))
	}
	wide, err := Resample(narrow, 8000, 16000)
	if err != nil {
		return nil, fmt.Errorf("telephone: %w", err)
	}
	return wide, nil
}
