package rtp

import "github.com/calmline/calmline/audio"

// G.711 tables per ITU-T G.711 (the classic Sun reference algorithm).

var ulawDecode, alawDecode [256]int16

func init() {
	for i := 0; i < 256; i++ {
		ulawDecode[i] = audio.MuLawToLinear(byte(i))
		alawDecode[i] = audio.ALawToLinear(byte(i))
	}
}

var segEnd = [8]int32{0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF}

func segment(v int32) int {
	for i, e := range segEnd {
		if v <= e {
			return i
		}
	}
	return 8
}

func ulawEncode(s int16) byte {
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
	seg := segment(v)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return (byte(seg<<4) | byte((v>>(seg+3))&0x0F)) ^ mask
}

var segAEnd = [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

func alawEncode(s int16) byte {
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
