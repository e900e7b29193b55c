package dsp

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzStream feeds arbitrary audio in arbitrary frame sizes: the Stream must not panic,
// must keep hop times increasing, and must report sane values.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 0, 255, 127, 0, 128}, uint16(320))
	f.Add(make([]byte, 4000), uint16(7))
	f.Fuzz(func(t *testing.T, b []byte, frameLen uint16) {
		pcm := make([]int16, len(b)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		// Repeat to cover several seconds, so utterances can open and close.
		for len(pcm) > 0 && len(pcm) < 3*SampleRate {
			pcm = append(pcm, pcm...)
		}
		n := int(frameLen%FrameSamples) + 1
		st := NewStream(Config{ProsodicEndpoint: true, MaxUtterance: time.Second})
		last := math.Inf(-1)
		for i := 0; i < len(pcm); i += n {
			ev := st.Write(pcm[i:min(i+n, len(pcm))])
			for _, h := range st.Hops() {
				if h.T <= last || h.F0 < 0 || h.F0 > 700 || math.IsNaN(float64(h.DB)) || h.Voicing < 0 {
					t.Fatalf("bad hop %+v after t=%v", h, last)
				}
				last = h.T
			}
			if ev == EventUtteranceEnd {
				u := st.Utterance()
				if u.EndS < u.StartS || u.Features.DurationS <= 0 || math.IsNaN(u.Features.PitchMeanHz) {
					t.Fatalf("bad utterance %+v", u)
				}
			}
		}
		st.Flush()
	})
}
