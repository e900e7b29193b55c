package dsp_test

import (
	"fmt"

	"github.com/calmline/calmline/dsp"
)

// One call's analyser: feed 20 ms frames, react to the events.
func ExampleStream() {
	s := dsp.NewStream(dsp.Config{ProsodicEndpoint: true})
	frame := make([]int16, dsp.FrameSamples) // filled from telephony.Leg.ReadFrame
	for i := 0; i < 100; i++ {
		switch s.Write(frame) {
		case dsp.EventSpeechStart:
			fmt.Println("caller started: stop the prompt")
		case dsp.EventUtteranceEnd:
			u := s.Utterance() // u.Audio is valid until the next Write
			fmt.Printf("turn %.2f-%.2f s, %.1f syl/s\n", u.StartS, u.EndS, u.Features.SpeechRate)
		}
	}
	fmt.Println("speaking:", s.Speaking())
	// Output: speaking: false
}
