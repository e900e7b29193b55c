package dsp

import (
	"math"
	"time"
)

// Audio geometry of the stream: calmline's canonical 16 kHz mono, analysed every 10 ms.
const (
	SampleRate   = 16000                 // input rate (telephony.SampleRate)
	FrameSamples = SampleRate / 50       // one 20 ms Write (telephony.FrameSamples)
	HopSamples   = SampleRate / 100      // one 10 ms analysis hop
	HopDuration  = 10 * time.Millisecond // the hop as a duration
)

const (
	buf16        = pitchDecim * pitchWin // 720 samples (45 ms) of 16 kHz history
	firDelay     = len(decimTaps) / 2
	hopDelay     = firDelay + buf16/2 // samples between the newest input and a hop's centre
	absMinDB     = -60                // below this nothing is speech, whatever the floor
	prerollS     = 0.2                // audio kept before the first speech hop
	postrollS    = 0.2                // audio kept after the last speech hop
	floorInit    = math.MaxFloat64
	floorDown    = 0.3  // weight of a quieter hop pulling the floor down
	floorRise    = 0.15 // dB per hop the floor may rise towards a non-speech hop (15 dB/s)
	floorCreep   = 0.01 // dB per hop it creeps up under continuous speech (1 dB/s)
	minWindow    = 300  // hops (3 s) of minimum statistics
	minWarmup    = 50   // hops before minimum statistics are trusted
	floorStartDB = -50
)

// Hop is the analysis of one 10 ms step. T is the centre of the analysed audio in
// seconds from the start of the stream; the first two hops of a stream have T < 0.
type Hop struct {
	T       float64 `json:"t"`
	F0      float32 `json:"f0"`      // Hz, 0 when unvoiced
	Voicing float32 `json:"voicing"` // periodicity of the best pitch candidate, 0..1
	DB      float32 `json:"db"`      // level of the 10 ms, dBFS
	Speech  bool    `json:"speech"`  // the VAD's decision, with hangover

	spec hopSpec // spectral and voice-quality measures of a speech hop
}

// Utterance is one caller turn found by the endpointer.
type Utterance struct {
	StartS    float64   `json:"start_s"`
	EndS      float64   `json:"end_s"`
	EndReason EndReason `json:"end_reason"`
	Features  Features  `json:"features"`
	// Audio is the turn's 16 kHz audio with 200 ms around it. From Stream.Utterance
	// it is borrowed: valid until the next Write, Flush or Reset.
	Audio []int16 `json:"-"`
}

type turnState int

const (
	stateIdle turnState = iota
	stateSpeaking
)

// Stream is the per-call analyser: feed it the caller's frames and it reports speech
// start and utterance end, per-hop pitch and level, and per-utterance features.
// All buffers are allocated by NewStream; Write allocates nothing. A Stream is not
// safe for concurrent use: one call, one goroutine.
type Stream struct {
	cfg                                                   Config
	minSpeechHops, hangHops, endHops, earlyHops, lateHops int
	maxHops, pauseHops                                    int

	pt      *pitchTracker
	sp      *spectral
	in16    [buf16]float32
	dec8    [pitchWin]float32
	pend    [HopSamples]int16
	npend   int
	delayT  [latticeLen]float64
	delayDB [latticeLen]float64
	nhops   int // hops produced since the start (or Reset)
	consum  int64

	floor    float64
	minRing  [minWindow]float32 // recent hop levels for minimum statistics
	minPos   int
	minFill  int
	hang     int
	lastHop  Hop
	out      []Hop // hops of the last Write
	state    turnState
	speechRn int  // consecutive speech hops while idle
	rawRn    int  // of those, hops that were speech without the hangover
	raw      bool // the last hop was speech on its own level (not hangover)

	hist      []Hop // hops of the current turn (plus lead-in while idle)
	startIdx  int   // index in hist of the turn's first speech hop
	lastSpIdx int   // index in hist of the latest speech hop
	sil       int   // consecutive non-speech hops while speaking
	trimTo    int   // hops to drop from hist at the next Write (after a turn ended)
	prosody   finality

	audio      []int16 // raw input of the turn (plus lead-in while idle)
	audioStart int64   // absolute sample index of audio[0]

	utt     Utterance
	scratch summaryScratch
}

// NewStream builds a Stream with every buffer it will need.
func NewStream(cfg Config) *Stream {
	cfg = cfg.withDefaults()
	s := &Stream{cfg: cfg, pt: newPitchTracker(), sp: newSpectral()}
	s.minSpeechHops = hops(cfg.MinSpeech)
	s.hangHops = hops(cfg.Hangover)
	s.endHops = hops(cfg.EndSilence)
	s.earlyHops = hops(cfg.EarlyEndSilence)
	s.lateHops = hops(cfg.LateEndSilence)
	s.pauseHops = hops(cfg.MinPause)
	s.maxHops = hops(cfg.MaxUtterance)
	longest := s.endHops
	if s.lateHops > longest {
		longest = s.lateHops
	}
	lead := s.leadHops()
	histCap := s.maxHops + longest + 2*lead + 8
	s.hist = make([]Hop, 0, histCap)
	s.audio = make([]int16, 0, (histCap+8)*HopSamples+hopDelay+FrameSamples)
	s.out = make([]Hop, 0, 8)
	s.scratch = newSummaryScratch(histCap)
	s.Reset()
	return s
}

// Reset forgets the call so the Stream can serve another; buffers are kept.
func (s *Stream) Reset() {
	s.pt.reset()
	s.sp.reset()
	s.in16 = [buf16]float32{}
	s.dec8 = [pitchWin]float32{}
	s.npend, s.nhops, s.consum = 0, 0, 0
	s.floor = floorInit
	s.minPos, s.minFill = 0, 0
	s.hang = 0
	s.lastHop = Hop{}
	s.out = s.out[:0]
	s.state = stateIdle
	s.speechRn, s.rawRn, s.raw = 0, 0, false
	s.hist = s.hist[:0]
	s.startIdx, s.lastSpIdx, s.sil, s.trimTo = 0, 0, 0, 0
	s.audio = s.audio[:0]
	s.audioStart = 0
	s.utt = Utterance{}
}

// Write analyses one frame of 16 kHz mono audio (FrameSamples long; other lengths work,
// but a frame longer than 20 ms may merge two events into the later one). It returns
// what happened to the caller's turn. Hops() then holds this frame's hops.
func (s *Stream) Write(frame []int16) Event {
	s.out = s.out[:0]
	s.applyTrim()
	ev := EventNone
	for len(frame) > 0 {
		n := copy(s.pend[s.npend:], frame)
		s.npend += n
		frame = frame[n:]
		if s.npend == HopSamples {
			s.npend = 0
			if e := s.hop(s.pend[:]); e != EventNone {
				ev = e
			}
		}
	}
	return ev
}

// Flush ends the turn in progress, if any, as if the input had stopped; Analyze uses
// it at the end of a file. It returns EventUtteranceEnd when a turn was open.
func (s *Stream) Flush() Event {
	s.out = s.out[:0]
	s.applyTrim()
	if s.state != stateSpeaking {
		return EventNone
	}
	s.endTurn(EndFlush)
	return EventUtteranceEnd
}

// Speaking reports whether the caller is speaking now (inside a turn, latest hop is
// speech); call.Session uses it to stop a prompt when the caller barges in.
func (s *Stream) Speaking() bool {
	return s.state == stateSpeaking && s.lastHop.Speech
}

// Utterance returns the turn that ended with the last EventUtteranceEnd. Its Audio is
// borrowed until the next Write, Flush or Reset.
func (s *Stream) Utterance() *Utterance { return &s.utt }

// Hops returns the hops computed by the last Write, borrowed until the next Write.
func (s *Stream) Hops() []Hop { return s.out }

// leadHops is the history kept while idle: enough for MinSpeech, the pitch window's
// delay and the audio pre-roll.
func (s *Stream) leadHops() int {
	return s.minSpeechHops + int(prerollS*100) + hopDelay/HopSamples + 2
}

func (s *Stream) applyTrim() {
	if s.trimTo > 0 {
		s.trim(s.trimTo)
		s.trimTo = 0
	}
}

// hop analyses the next 10 ms.
func (s *Stream) hop(x []int16) Event {
	copy(s.in16[:], s.in16[HopSamples:])
	tail := s.in16[buf16-HopSamples:]
	for i, v := range x {
		tail[i] = float32(v)
	}
	// Decimate to pitchRate: the filter is centred firDelay samples before the newest input.
	copy(s.dec8[:], s.dec8[HopSamples/pitchDecim:])
	d := s.dec8[pitchWin-HopSamples/pitchDecim:]
	for k := range d {
		c := buf16 - HopSamples - firDelay + pitchDecim*k // centre of output k, in in16
		var acc float32
		for j, h := range decimTaps {
			acc += h * s.in16[c-firDelay+j]
		}
		d[k] = acc
	}
	s.consum += HopSamples
	s.nhops++

	// Level of the 10 ms centred where the pitch window is centred.
	mid := buf16 - hopDelay
	var e float64
	for _, v := range s.in16[mid-HopSamples/2 : mid+HopSamples/2] {
		e += float64(v) * float64(v)
	}
	db := 10 * math.Log10(e/HopSamples/(32768*32768)+1e-10)
	s.audio = append(s.audio, x...)

	// The pitch search commits each frame pitchDelay hops late; the hop's time and
	// level wait for it in a small ring.
	slot := (s.nhops - 1) % latticeLen
	s.delayT[slot] = float64(s.consum-int64(hopDelay)) / SampleRate
	s.delayDB[slot] = db
	f0, voicing, ok := s.pt.analyse(s.dec8[:], db)
	if !ok {
		return EventNone
	}
	old := (s.nhops - 1 - pitchDelay) % latticeLen
	db = s.delayDB[old]
	h := Hop{
		T:       s.delayT[old],
		F0:      float32(f0),
		Voicing: float32(voicing),
		DB:      float32(db),
		Speech:  s.vad(s.delayT[old], db, f0, voicing),
	}
	if h.Speech {
		// The committed hop's centre in the turn's raw audio (pitchDelay hops back).
		c := s.consum - int64(pitchDelay*HopSamples+hopDelay) - s.audioStart
		s.sp.analyse(&h.spec, s.audio, int(c), f0)
	} else {
		s.sp.skip()
	}
	s.lastHop = h
	s.out = append(s.out, h)
	return s.turn(h)
}

// vad decides speech for one hop against an adaptive noise floor: the floor follows
// quieter hops quickly and rises slowly, so it settles on the line's noise whether the
// line is quiet or loud, and speech is judged relative to it.
func (s *Stream) vad(t, db, f0, voicing float64) bool {
	s.raw = false
	if t < float64(HopSamples/2)/SampleRate {
		return false // the analysis window still reaches back before the stream began
	}
	// Minimum statistics: the quietest hop of the last few seconds bounds the floor
	// from below, so a line that gets noisier (or starts after digital silence) is
	// re-learnt within minWindow hops.
	s.minRing[s.minPos] = float32(db)
	s.minPos = (s.minPos + 1) % len(s.minRing)
	if s.minFill < len(s.minRing) {
		s.minFill++
	}
	lo := float32(math.MaxFloat32)
	for _, v := range s.minRing[:s.minFill] {
		lo = min(lo, v)
	}
	if s.floor == floorInit {
		// Start no higher than a quiet line's noise, so a caller who is already
		// talking when the stream starts is still heard.
		s.floor = math.Min(db, floorStartDB)
	}
	if s.minFill >= minWarmup && float64(lo) > s.floor {
		s.floor = float64(lo)
	}
	thr := s.cfg.ThresholdDB
	raw := db > absMinDB && (db > s.floor+thr || (f0 > 0 && voicing > 0.6 && db > s.floor+thr/2))
	switch {
	case db < s.floor:
		s.floor += floorDown * (db - s.floor)
	case !raw:
		s.floor += math.Min(db-s.floor, floorRise)
	default:
		s.floor += floorCreep
	}
	s.raw = raw
	if raw {
		s.hang = s.hangHops
		return true
	}
	if s.hang > 0 {
		s.hang--
		return true
	}
	return false
}

// turn runs the endpointer on one hop.
func (s *Stream) turn(h Hop) Event {
	s.hist = append(s.hist, h)
	if s.state == stateIdle {
		if h.Speech {
			s.speechRn++
			if s.raw {
				s.rawRn++
			}
		} else {
			s.speechRn, s.rawRn = 0, 0
		}
		if s.rawRn >= s.minSpeechHops {
			s.state = stateSpeaking
			s.startIdx = len(s.hist) - s.speechRn
			s.lastSpIdx = len(s.hist) - 1
			s.sil = 0
			s.prosody = finalUnknown
			return EventSpeechStart
		}
		// Keep a short lead-in only; trim in bulk so the copy is amortised.
		lead := s.leadHops()
		if len(s.hist) > 2*lead && s.trimTo == 0 { // never under a borrowed Utterance.Audio
			s.trim(len(s.hist) - lead)
		}
		return EventNone
	}
	if h.Speech {
		s.sil = 0
		s.lastSpIdx = len(s.hist) - 1
	} else {
		s.sil++
	}
	if len(s.hist)-s.startIdx >= s.maxHops {
		s.endTurn(EndMaxLength)
		return EventUtteranceEnd
	}
	if s.sil == 0 {
		return EventNone
	}
	if s.cfg.ProsodicEndpoint {
		if s.sil == 1 {
			s.prosody = judgeFinality(s.hist[s.startIdx : s.lastSpIdx+1])
		}
		switch {
		case s.prosody == finalFalling && s.sil >= s.earlyHops:
			s.endTurn(EndEarly)
			return EventUtteranceEnd
		case s.prosody == finalContinuing:
			if s.sil >= s.lateHops {
				s.endTurn(EndLate)
				return EventUtteranceEnd
			}
			return EventNone
		}
	}
	if s.sil >= s.endHops {
		s.endTurn(EndSilence)
		return EventUtteranceEnd
	}
	return EventNone
}

// endTurn fills s.utt from the history and returns to idle.
func (s *Stream) endTurn(why EndReason) {
	span := s.hist[s.startIdx : s.lastSpIdx+1]
	s.utt.StartS = span[0].T - 0.005
	s.utt.EndS = span[len(span)-1].T + 0.005
	s.utt.EndReason = why
	summarize(&s.utt.Features, span, s.pauseHops, &s.scratch)
	from := int64((s.utt.StartS-prerollS)*SampleRate) - s.audioStart
	to := int64((s.utt.EndS+postrollS)*SampleRate) - s.audioStart
	from = max(0, min(from, int64(len(s.audio))))
	to = max(from, min(to, int64(len(s.audio))))
	s.utt.Audio = s.audio[from:to]
	// Audio must stay valid until the next Write, so the buffers are trimmed then.
	s.state = stateIdle
	s.speechRn, s.rawRn = 0, 0
	s.sil = 0
	s.trimTo = s.lastSpIdx + 1
}

// trim drops the first n hops of history and their audio; hist and audio grow in
// lock-step, one hop and HopSamples samples at a time.
func (s *Stream) trim(n int) {
	n = min(n, len(s.hist))
	s.hist = s.hist[:copy(s.hist, s.hist[n:])]
	s.startIdx = max(0, s.startIdx-n)
	s.lastSpIdx = max(0, s.lastSpIdx-n)
	drop := min(n*HopSamples, len(s.audio))
	s.audio = s.audio[:copy(s.audio, s.audio[drop:])]
	s.audioStart += int64(drop)
}
