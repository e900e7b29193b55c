// Package webrtctest holds what tests of browser calls share: speech made with
// espeak-ng, a small test bot Handler, a pion client that calls like a browser,
// and a headless-Chromium driver for the softphone page. Other packages (the full
// call pipeline) rerun the same tests with their own Handler.
package webrtctest

import (
	"context"
	"math"
	"time"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc"
)

// BotOptions shape the test bot.
type BotOptions struct {
	// Threshold is the frame RMS above which a frame counts as speech (default 300).
	Threshold float64
	// Hangover is how many silent frames end an utterance (default 10 = 200 ms).
	Hangover int
	// MinSpeech is how many speech frames make an utterance (default 5).
	MinSpeech int
	// Reply is what the bot plays after each utterance (default: 400 ms of 440 Hz).
	Reply []int16
	// OnUtterance, if set, sees when each utterance ended (after the hangover) for latency measurements.
	OnUtterance func(end time.Time)
}

// Tone returns d of a sine at hz, 16 kHz, amplitude 8000.
func Tone(hz float64, d time.Duration) []int16 { return ToneAt(telephony.SampleRate, hz, d) }

// ToneAt returns d of a sine at hz sampled at rate, amplitude 8000.
func ToneAt(rate int, hz float64, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

// RMS is the root mean square of s.
func RMS(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// Bot is a Handler that stands in for call.Session: an energy endpointer, then for
// every utterance a "transcript" event (its length), an "emotion" event whose
// arousal and level come from the utterance's loudness, a "reply" event, and the
// reply audio. It exercises the whole leg without the real pipeline.
func Bot(o BotOptions) webrtc.Handler {
	if o.Threshold == 0 {
		o.Threshold = 300
	}
	if o.Hangover == 0 {
		o.Hangover = 10
	}
	if o.MinSpeech == 0 {
		o.MinSpeech = 5
	}
	if o.Reply == nil {
		o.Reply = Tone(440, 400*time.Millisecond)
	}
	return func(ctx context.Context, leg telephony.Leg) {
		n, ok := leg.(telephony.Notifier)
		if !ok {
			return
		}
		n.Notify(telephony.Event{Type: "state", Data: map[string]string{"state": "answered", "lang": leg.Info().Lang}})
		frame := make([]int16, telephony.FrameSamples)
		speech, silence := 0, 0
		var energy float64
		for {
			if err := leg.ReadFrame(ctx, frame); err != nil {
				return
			}
			r := RMS(frame)
			if r >= o.Threshold {
				speech++
				silence = 0
				energy += r * r
				continue
			}
			if speech == 0 {
				continue
			}
			silence++
			if silence < o.Hangover {
				continue
			}
			if speech >= o.MinSpeech {
				if o.OnUtterance != nil {
					o.OnUtterance(time.Now())
				}
				loud := math.Sqrt(energy / float64(speech))
				arousal := math.Min(1, math.Max(0, (20*math.Log10(loud/32768)+40)/30)) // -40 dBFS → 0, -10 dBFS → 1
				level := []string{"calm", "mild", "moderate", "severe"}[min(3, int(arousal*4))]
				n.Notify(telephony.Event{Type: "transcript", Data: map[string]any{
					"role": "caller", "text": "(" + time.Duration(speech*20*int(time.Millisecond)).String() + " of speech)"}})
				n.Notify(telephony.Event{Type: "emotion", Data: map[string]any{
					"category": "neutral", "level": level, "arousal": arousal, "confidence": 0.5,
					"cues": []map[string]any{{"kind": "acoustic", "text": "loudness", "weight": arousal}}}})
				n.Notify(telephony.Event{Type: "reply", Data: map[string]any{"role": "bot", "text": "Thank you, I heard you."}})
				if err := leg.Play(ctx, o.Reply); err != nil {
					return
				}
			}
			speech, silence, energy = 0, 0, 0
		}
	}
}
