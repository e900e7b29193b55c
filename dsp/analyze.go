package dsp

// Result is the off-line analysis of one recording.
type Result struct {
	DurationS  float64     `json:"duration_s"`
	Features   Features    `json:"features"`   // summary over all speech in the file
	Utterances []Utterance `json:"utterances"` // Audio is nil here
	Hops       []Hop       `json:"-"`          // every 10 ms hop with T ≥ 0
}

// Analyze runs a Stream over a whole 16 kHz mono recording, so off-line results
// (calmline analyze, model training) are exactly what a live call would have produced.
// The file-level Features cover the first to the last speech hop of the file.
func Analyze(pcm []int16, cfg Config) *Result {
	s := NewStream(cfg)
	res := &Result{
		DurationS: float64(len(pcm)) / SampleRate,
		Hops:      make([]Hop, 0, len(pcm)/HopSamples+1),
	}
	add := func(ev Event) {
		for _, h := range s.Hops() {
			if h.T >= 0 {
				res.Hops = append(res.Hops, h)
			}
		}
		if ev == EventUtteranceEnd {
			u := *s.Utterance()
			u.Audio = nil
			res.Utterances = append(res.Utterances, u)
		}
	}
	for len(pcm) > 0 {
		n := min(len(pcm), FrameSamples)
		add(s.Write(pcm[:n]))
		pcm = pcm[n:]
	}
	// Push the audio still inside the analysis window through with silence, then
	// close any open turn.
	var pad [FrameSamples]int16
	for i := 0; i < (hopDelay+pitchDelay*HopSamples+FrameSamples-1)/FrameSamples; i++ {
		add(s.Write(pad[:]))
	}
	add(s.Flush())
	// Keep only hops inside the recording.
	for len(res.Hops) > 0 && res.Hops[len(res.Hops)-1].T > res.DurationS {
		res.Hops = res.Hops[:len(res.Hops)-1]
	}
	first, last := -1, -1
	for i, h := range res.Hops {
		if h.Speech {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		span := res.Hops[first : last+1]
		sc := newSummaryScratch(len(span))
		summarize(&res.Features, span, hops(s.cfg.MinPause), &sc)
	}
	return res
}
