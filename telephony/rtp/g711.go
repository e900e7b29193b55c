package rtp

import "github.com/calmline/calmline/audio"

// G.711 decode tables, built once per process from audio's reference
// functions so the per-packet path is a table lookup.

var ulawDecode, alawDecode [256]int16

func init() {
	for i := 0; i < 256; i++ {
		ulawDecode[i] = audio.MuLawToLinear(byte(i))
		alawDecode[i] = audio.ALawToLinear(byte(i))
	}
}

func ulawEncode(s int16) byte { return audio.LinearToMuLaw(s) }
func alawEncode(s int16) byte { return audio.LinearToALaw(s) }
