package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synth builds test signals at 16 kHz.
type synth struct {
	pcm   []float64
	rng   *rand.Rand
	phase float64
}

func newSynth() *synth { return &synth{rng: rand.New(rand.NewPCG(1, 2))} }

// voice appends a glottal-like harmonic tone whose F0 glides from f0a to f0b, at the
// given RMS level in dBFS.
func (s *synth) voice(dur time.Duration, f0a, f0b, db float64) {
	n := int(dur.Seconds() * SampleRate)
	amp := math.Pow(10, db/20) * 32768 / 0.9 // the harmonic sum below has RMS ≈ 0.9
	for i := 0; i < n; i++ {
		f0 := f0a + (f0b-f0a)*float64(i)/float64(n)
		s.phase += 2 * math.Pi * f0 / SampleRate
		var v float64
		for k := 1.0; k <= 12 && k*f0 < 7000; k++ {
			v += math.Sin(k*s.phase) / k
		}
		// 5 ms fades avoid clicks at syllable edges.
		fade := math.Min(1, math.Min(float64(i), float64(n-i))/80)
		s.pcm = append(s.pcm, amp*v*fade)
	}
}

// noise appends white noise at the given RMS level in dBFS.
func (s *synth) noise(dur time.Duration, db float64) {
	n := int(dur.Seconds() * SampleRate)
	amp := math.Pow(10, db/20) * 32768
	for i := 0; i < n; i++ {
		s.pcm = append(s.pcm, amp*s.rng.NormFloat64())
	}
}

// mixNoise adds white noise at db over the whole signal (a line's noise floor).
func (s *synth) mixNoise(db float64) {
	amp := math.Pow(10, db/20) * 32768
	for i := range s.pcm {
		s.pcm[i] += amp * s.rng.NormFloat64()
	}
}

// syllables appends n syllables (150 ms voice, 60 ms gap) then a last one of lastDur,
// the pitch of the last gliding from f0 to f0End.
func (s *synth) syllables(n int, f0, f0End, db float64, lastDur time.Duration) {
	for i := 0; i < n; i++ {
		s.voice(150*time.Millisecond, f0, f0, db)
		s.noise(60*time.Millisecond, -120)
	}
	s.voice(lastDur, f0, f0End, db)
}

func (s *synth) int16s(gainDB float64) []int16 {
	g := math.Pow(10, gainDB/20)
	out := make([]int16, len(s.pcm))
	for i, v := range s.pcm {
		out[i] = int16(math.Max(-32768, math.Min(32767, v*g)))
	}
	return out
}

// run feeds pcm frame by frame and records events with the time they fired.
type firing struct {
	ev  Event
	at  float64
	utt Utterance
}

func run(st *Stream, pcm []int16) []firing {
	var out []firing
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		ev := st.Write(pcm[i : i+FrameSamples])
		if ev == EventNone {
			continue
		}
		f := firing{ev: ev, at: float64(i+FrameSamples) / SampleRate}
		if ev == EventUtteranceEnd {
			f.utt = *st.Utterance()
			f.utt.Audio = append([]int16(nil), f.utt.Audio...)
		}
		out = append(out, f)
	}
	return out
}

func TestStreamPitch(t *testing.T) {
	for _, f0 := range []float64{70, 100, 150, 220, 330, 480, 580} {
		s := newSynth()
		s.noise(200*time.Millisecond, -70)
		s.voice(1500*time.Millisecond, f0, f0, -25)
		s.noise(200*time.Millisecond, -70)
		res := Analyze(s.int16s(0), Config{})
		var voiced, total, bad int
		for _, h := range res.Hops {
			if h.T < 0.4 || h.T > 1.5 {
				continue
			}
			total++
			if h.F0 > 0 {
				voiced++
				if math.Abs(float64(h.F0)/f0-1) > 0.02 {
					bad++
				}
			}
		}
		if voiced < total*95/100 {
			t.Errorf("%g Hz: %d of %d hops voiced", f0, voiced, total)
		}
		if bad > 0 {
			t.Errorf("%g Hz: %d voiced hops more than 2%% off", f0, bad)
		}
		if m := res.Features.PitchMedianHz; math.Abs(m/f0-1) > 0.01 {
			t.Errorf("%g Hz: median %.1f Hz", f0, m)
		}
		if len(res.Utterances) != 1 {
			t.Errorf("%g Hz: %d utterances, want 1", f0, len(res.Utterances))
		}
	}
}

func TestStreamVADAcrossLineLevels(t *testing.T) {
	s := newSynth()
	s.noise(time.Second, -120)
	s.syllables(6, 160, 160, -28, 200*time.Millisecond) // 1.46 s of speech
	s.noise(1500*time.Millisecond, -120)
	s.mixNoise(-62)
	for _, gain := range []float64{-20, -10, 0, 10, 20} {
		st := NewStream(Config{})
		got := run(st, s.int16s(gain))
		if len(got) != 2 || got[0].ev != EventSpeechStart || got[1].ev != EventUtteranceEnd {
			t.Errorf("gain %+g dB: events %v, want speech-start, utterance-end", gain, got)
			continue
		}
		u := got[1].utt
		if math.Abs(u.StartS-1.0) > 0.08 || math.Abs(u.EndS-2.46) > 0.12 {
			t.Errorf("gain %+g dB: utterance %.2f-%.2f s, want 1.00-2.46", gain, u.StartS, u.EndS)
		}
		if u.EndReason != EndSilence {
			t.Errorf("gain %+g dB: end reason %v", gain, u.EndReason)
		}
		// The end fires after EndSilence (+ the analysis delay of ~90 ms).
		if lag := got[1].at - u.EndS; lag < 0.5 || lag > 0.7 {
			t.Errorf("gain %+g dB: end fired %.2f s after speech", gain, lag)
		}
		if want := (u.EndS - u.StartS + prerollS + postrollS) * SampleRate; math.Abs(float64(len(u.Audio))-want) > 400 {
			t.Errorf("gain %+g dB: %d audio samples, want ~%.0f", gain, len(u.Audio), want)
		}
		if u.Features.Syllables < 5 || u.Features.Syllables > 8 {
			t.Errorf("gain %+g dB: %d syllables, want 7", gain, u.Features.Syllables)
		}
	}
}

func TestStreamIgnoresClicksAndSilence(t *testing.T) {
	s := newSynth()
	s.noise(time.Second, -60)
	for i := 0; i < 5; i++ {
		s.voice(60*time.Millisecond, 200, 200, -20) // shorter than MinSpeech
		s.noise(500*time.Millisecond, -60)
	}
	st := NewStream(Config{})
	if got := run(st, s.int16s(0)); len(got) != 0 {
		t.Errorf("clicks gave events %v", got)
	}
	if got := run(NewStream(Config{}), make([]int16, 3*SampleRate)); len(got) != 0 {
		t.Errorf("digital silence gave events %v", got)
	}
}

// A level pitch before a 650 ms pause means the caller is not done; a falling pitch
// on a lengthened syllable means they are.
func TestProsodicEndpoint(t *testing.T) {
	level := newSynth()
	level.noise(500*time.Millisecond, -120)
	level.syllables(5, 180, 180, -25, 150*time.Millisecond)
	level.noise(650*time.Millisecond, -120)
	level.syllables(4, 170, 110, -25, 350*time.Millisecond)
	level.noise(1500*time.Millisecond, -120)
	level.mixNoise(-65)
	pcm := level.int16s(0)

	plain := run(NewStream(Config{}), pcm)
	pros := run(NewStream(Config{ProsodicEndpoint: true}), pcm)
	count := func(fs []firing) (n int, last firing) {
		for _, f := range fs {
			if f.ev == EventUtteranceEnd {
				n++
				last = f
			}
		}
		return
	}
	if n, _ := count(plain); n != 2 {
		t.Errorf("plain endpoint: %d utterances, want 2 (cut at the 650 ms pause)", n)
	}
	n, last := count(pros)
	if n != 1 {
		t.Fatalf("prosodic endpoint: %d utterances, want 1", n)
	}
	if last.utt.EndReason != EndEarly {
		t.Errorf("falling, lengthened end: reason %v, want early", last.utt.EndReason)
	}
	_, plainLast := count(plain)
	if d := plainLast.at - last.at; d < 0.15 {
		t.Errorf("prosodic end fired only %.2f s before the plain one", d)
	}
	if last.utt.Features.Pauses != 1 || math.Abs(last.utt.Features.PauseMaxS-0.65) > 0.12 {
		t.Errorf("pauses %d, longest %.2f s; want 1 of ~0.65 s", last.utt.Features.Pauses, last.utt.Features.PauseMaxS)
	}
	if last.utt.Features.PitchSlopeSTPerS >= 0 {
		t.Errorf("pitch slope %.2f st/s, want negative", last.utt.Features.PitchSlopeSTPerS)
	}
}

func TestStreamMaxUtteranceAndReset(t *testing.T) {
	s := newSynth()
	s.syllables(12, 150, 150, -25, 150*time.Millisecond) // 2.7 s without a pause
	st := NewStream(Config{MaxUtterance: time.Second})
	got := run(st, s.int16s(0))
	var ends int
	for _, f := range got {
		if f.ev == EventUtteranceEnd {
			ends++
			if f.utt.EndReason != EndMaxLength || f.utt.EndS-f.utt.StartS > 1.01 {
				t.Errorf("utterance %.2f-%.2f %v", f.utt.StartS, f.utt.EndS, f.utt.EndReason)
			}
		}
	}
	if ends < 2 {
		t.Errorf("%d max-length ends in 3 s with a 1 s limit", ends)
	}
	if !st.Speaking() {
		t.Error("Speaking() false in the middle of a tone")
	}
	if st.Flush() != EventUtteranceEnd || st.Utterance().EndReason != EndFlush {
		t.Error("Flush did not close the open turn")
	}
	st.Reset()
	if st.Speaking() || st.Flush() != EventNone {
		t.Error("Reset left a turn open")
	}
}

func TestStreamHopsPerWrite(t *testing.T) {
	st := NewStream(Config{})
	frame := make([]int16, FrameSamples)
	var total int
	for i := 0; i < 50; i++ {
		st.Write(frame)
		total += len(st.Hops())
		if i > 10 && len(st.Hops()) != 2 {
			t.Fatalf("write %d gave %d hops", i, len(st.Hops()))
		}
	}
	if total != 100-pitchDelay {
		t.Errorf("%d hops from 1 s, want %d (the pitch search holds back %d)", total, 100-pitchDelay, pitchDelay)
	}
	h := st.Hops()[1]
	if math.Abs(h.T-(1.0-float64(hopDelay)/SampleRate-float64(pitchDelay)*0.01)) > 1e-9 {
		t.Errorf("last hop at %.4f s", h.T)
	}
}

func TestStreamWriteAllocatesNothing(t *testing.T) {
	s := newSynth()
	for i := 0; i < 3; i++ {
		s.syllables(4, 150, 110, -25, 300*time.Millisecond)
		s.noise(900*time.Millisecond, -120)
	}
	s.mixNoise(-60)
	pcm := s.int16s(0)
	st := NewStream(Config{ProsodicEndpoint: true})
	i, ends := 0, 0
	allocs := testing.AllocsPerRun(len(pcm)/FrameSamples-1, func() {
		if st.Write(pcm[i:i+FrameSamples]) == EventUtteranceEnd {
			ends++
		}
		i += FrameSamples
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per Write", allocs)
	}
	if ends != 3 {
		t.Errorf("%d utterances, want 3 (the run must cover utterance ends)", ends)
	}
}

func TestEnumsRoundTrip(t *testing.T) {
	for e := EventNone; e <= EventUtteranceEnd; e++ {
		got, err := ParseEvent(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEvent(%q) = %v, %v", e.String(), got, err)
		}
	}
	for r := EndUnknown; r <= EndFlush; r++ {
		got, err := ParseEndReason(r.String())
		if err != nil || got != r {
			t.Errorf("ParseEndReason(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseEvent("shouting"); err == nil {
		t.Error("ParseEvent accepted a bad name")
	}
	if _, err := ParseEndReason("bored"); err == nil {
		t.Error("ParseEndReason accepted a bad name")
	}
	if Event(9).String() != "Event(9)" || EndReason(-1).String() != "EndReason(-1)" {
		t.Error("out-of-range String")
	}
}

// BenchmarkStream measures one 20 ms Write of speech-like audio with pauses and
// utterance ends, the per-call cost on the live path.
func BenchmarkStream(b *testing.B) {
	s := newSynth()
	for i := 0; i < 4; i++ {
		s.syllables(8, 140, 100, -25, 300*time.Millisecond)
		s.noise(800*time.Millisecond, -120)
	}
	s.mixNoise(-55)
	pcm := s.int16s(0)
	frames := len(pcm) / FrameSamples
	st := NewStream(Config{ProsodicEndpoint: true})
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		f := i % frames
		st.Write(pcm[f*FrameSamples : (f+1)*FrameSamples])
		i++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(i)/1e3, "cpu-µs/frame")
}

// BenchmarkNewStream shows the memory one call's analyser holds (B/op), almost all of
// it the 30 s utterance audio buffer.
func BenchmarkNewStream(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewStream(Config{})
	}
}
