package dsp

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/calmline/calmline/audio"
)

// Turns of two phrases; espeak-ng reads a phrase ending in a comma with a level or
// rising (continuation) pitch and one ending in a full stop with a fall.
var endpointTurns = [][2]string{
	{"I called you yesterday,", "and nobody helped me."},
	{"My internet has been down since Monday,", "and I work from home."},
	{"I would like to cancel,", "unless you can fix it today."},
	{"The technician said he would come,", "but he never showed up."},
	{"I have been waiting for an hour,", "this is the third time I call."},
}

// BenchmarkEndpointChoice counts, for the plain silence endpoint and the prosodic one,
// how many 650 ms mid-turn pauses cut a turn in two, and how long after the end of a
// finished turn the utterance end fires. Run with -benchtime 1x; it needs espeak-ng.
func BenchmarkEndpointChoice(b *testing.B) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		b.Skip("espeak-ng not on PATH")
	}
	dir := b.TempDir()
	synth := func(name, text string) []int16 {
		p := filepath.Join(dir, name)
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", p, text).CombinedOutput(); err != nil {
			b.Fatalf("espeak-ng: %v: %s", err, out)
		}
		pcm, err := audio.Load16k(p)
		if err != nil {
			b.Fatal(err)
		}
		return pcm
	}
	const pause = 650 * time.Millisecond
	var call []int16
	var midPauses, turnEnds []float64 // seconds
	gap := func(d time.Duration) { call = append(call, make([]int16, int(d.Seconds()*SampleRate))...) }
	gap(time.Second)
	for i, t := range endpointTurns {
		call = append(call, synth(fmt.Sprintf("a%d.wav", i), t[0])...)
		midPauses = append(midPauses, float64(len(call))/SampleRate)
		gap(pause)
		call = append(call, synth(fmt.Sprintf("b%d.wav", i), t[1])...)
		turnEnds = append(turnEnds, float64(len(call))/SampleRate)
		gap(2 * time.Second)
	}
	for _, mode := range []struct {
		name string
		cfg  Config
	}{{"silence", Config{}}, {"prosodic", Config{ProsodicEndpoint: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			var cut, ended int
			var latency float64
			for b.Loop() {
				cut, ended, latency = 0, 0, 0
				st := NewStream(mode.cfg)
				for i := 0; i+FrameSamples <= len(call); i += FrameSamples {
					if st.Write(call[i:i+FrameSamples]) != EventUtteranceEnd {
						continue
					}
					at := float64(i+FrameSamples) / SampleRate
					u := st.Utterance()
					for _, m := range midPauses {
						if u.EndS > m-0.3 && u.EndS < m+0.3 {
							cut++
						}
					}
					for _, e := range turnEnds {
						if u.EndS > e-0.3 && u.EndS < e+0.3 {
							ended++
							latency += at - e
						}
					}
				}
			}
			b.ReportMetric(float64(cut), "cutoffs")
			b.ReportMetric(float64(len(midPauses)), "mid-pauses")
			b.ReportMetric(float64(ended), "turn-ends")
			if ended > 0 {
				b.ReportMetric(1000*latency/float64(ended), "end-latency-ms")
			}
		})
	}
}
