package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// Config bounds one call. Zero fields take the defaults in withDefaults.
type Config struct {
	NoInput      time.Duration // silence after a reply before the dialog is told "no input"
	MaxDuration  time.Duration // hard cap on a call
	ASRTimeout   time.Duration
	TTSTimeout   time.Duration
	DigitTimeout time.Duration // gap that ends a run of DTMF digits at a menu
	// NumberDigitTimeout is the gap that ends a run of keys where the dialog wants a
	// number (an order number): people look digits up between presses.
	NumberDigitTimeout time.Duration
	// BargeInFrames is how many consecutive 20 ms speech frames stop a reply; with the
	// ear's own onset delay this keeps the stop well inside 200 ms.
	BargeInFrames int
	// EchoCorrelation is the normalised correlation with the reply being played above
	// which caller "speech" is taken for the reply's own echo.
	EchoCorrelation float64
	Logger          *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.NoInput <= 0 {
		c.NoInput = 8 * time.Second
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = time.Hour
	}
	if c.ASRTimeout <= 0 {
		c.ASRTimeout = 10 * time.Second
	}
	if c.TTSTimeout <= 0 {
		c.TTSTimeout = 10 * time.Second
	}
	if c.DigitTimeout <= 0 {
		c.DigitTimeout = 800 * time.Millisecond
	}
	if c.NumberDigitTimeout <= 0 {
		c.NumberDigitTimeout = 3 * time.Second
	}
	if c.BargeInFrames <= 0 {
		c.BargeInFrames = 3
	}
	if c.EchoCorrelation <= 0 {
		c.EchoCorrelation = 0.5
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// State is where a call is in its life, for live views.
type State string

// Call states shown to supervisors.
const (
	StateGreeting    State = "greeting"
	StateListening   State = "listening"
	StateThinking    State = "thinking"
	StateSpeaking    State = "speaking"
	StateTransferred State = "transferred"
	StateEnded       State = "ended"
)

// Status is a snapshot of a live call for supervisors and the REST API.
type Status struct {
	Info       telephony.CallInfo `json:"info"`
	State      State              `json:"state"`
	Turns      int                `json:"turns"`
	Reading    *emotion.Reading   `json:"reading,omitempty"`
	Trajectory emotion.Trajectory `json:"trajectory"`
	Queue      string             `json:"queue,omitempty"`
}

// Line is one line of the call's transcript, as the human expert reads it.
type Line struct {
	At      time.Time `json:"at"`
	Speaker string    `json:"speaker"` // "caller" or "bot"
	Text    string    `json:"text"`
	// Turn is the caller's turn number (from 1), the key a human correction
	// of this line's reading is filed under (POST /v1/feedback turn_seq).
	Turn    int              `json:"turn,omitempty"`
	Reading *emotion.Reading `json:"reading,omitempty"`
}

// Report is what a human expert sees when a call is handed over: who is calling, how
// their emotion moved, every word so far, and the dialog's own report (cues, the
// suggested compensation, the tier that fired).
type Report struct {
	Info       telephony.CallInfo `json:"info"`
	Trajectory emotion.Trajectory `json:"trajectory"`
	Transcript []Line             `json:"transcript"`
	Dialog     any                `json:"dialog,omitempty"`
}

// Report returns the call's handoff report; safe from any goroutine.
func (s *Session) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Report{
		Info:       s.info,
		Trajectory: s.status.Trajectory,
		Transcript: append([]Line(nil), s.transcript...),
		Dialog:     s.report,
	}
}

func (s *Session) addLine(speaker, text string, turn int, r *emotion.Reading) {
	if text == "" {
		return
	}
	s.mu.Lock()
	s.transcript = append(s.transcript, Line{At: time.Now().UTC(), Speaker: speaker, Text: text, Turn: turn, Reading: r})
	s.mu.Unlock()
}

// Session is one call. Create it with New and drive it with Run.
type Session struct {
	leg  telephony.Leg
	deps Deps
	cfg  Config
	log  *slog.Logger

	ear      Ear
	listener Listener
	dialog   Dialog

	info telephony.CallInfo

	mu         sync.Mutex
	status     Status
	play       *playback // the reply being played, nil when silent
	transcript []Line
	report     any // the dialog's latest handoff report
	actions    int // actions emitted so far (only the conversation goroutine writes it)

	utterances chan utterance
	keys       chan rune
}

type utterance struct {
	audio []int16
	f     dsp.Features
}

// playback is the reply on the wire, kept so barge-in can stop it and echo can be
// told from the caller.
type playback struct {
	pcm    []int16
	start  time.Time
	cancel context.CancelFunc
	barged bool
	// echoDelay is the line's echo delay in samples once found, -1 before: a line's
	// echo path is fixed, so later frames are checked only around it.
	echoDelay int
}

// New prepares a session; nothing runs until Run.
func New(leg telephony.Leg, deps Deps, cfg Config) *Session {
	cfg = cfg.withDefaults()
	info := leg.Info()
	return &Session{
		leg:        leg,
		deps:       deps,
		cfg:        cfg,
		log:        cfg.Logger.With("call", info.ID, "channel", info.Channel.String()),
		info:       info,
		status:     Status{Info: info, State: StateGreeting},
		utterances: make(chan utterance, 4),
		keys:       make(chan rune, 32),
	}
}

// Status returns a snapshot of the call; safe from any goroutine.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Trajectory.History = nil
	return st
}

// Info describes the call.
func (s *Session) Info() telephony.CallInfo { return s.info }

// Run drives the call until it ends and returns how it ended. It always hangs up the
// leg (unless the caller already has), records the end, and waits for its goroutines.
func (s *Session) Run(ctx context.Context) Outcome {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.MaxDuration)
	defer cancel()

	s.emit(ctx, "call.started", s.info)
	s.ear = s.deps.NewEar()
	s.listener = s.deps.NewListener()

	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.listen(ctx, cancel) }()
	go func() { defer wg.Done(); s.pumpKeys(ctx) }()
	go func() { // the caller hanging up ends everything
		defer wg.Done()
		select {
		case <-s.leg.Done():
			cancel()
		case <-ctx.Done():
		}
	}()

	out := s.runInner(ctx)

	traj := s.listener.Trajectory()
	out.FinalLevel, out.PeakLevel = traj.Smoothed, traj.Peak
	out.EmotionFell = traj.Turns > 1 && traj.Trend == emotion.Falling
	if s.dialog != nil {
		s.dialog.End(out)
	}
	cancel()
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := s.leg.Hangup(hctx, out.Reason); err != nil {
		s.log.Warn("hang up", "err", err)
	}
	wg.Wait()
	s.setState(StateEnded)
	s.emit(hctx, "call.ended", out)
	hcancel()
	s.log.Info("call ended", "reason", out.Reason, "handed_off", out.HandedOff, "peak", out.PeakLevel.String())
	return out
}

// runInner is the conversation; it returns the reason the call ended.
func (s *Session) runInner(ctx context.Context) Outcome {
	d, err := s.deps.NewDialog(ctx, s.info)
	if err != nil {
		s.log.Error("start dialog", "err", err)
		return Outcome{Reason: "error"}
	}
	s.dialog = d
	reply := d.Start(ctx)
	for {
		s.speak(ctx, reply)
		if ctx.Err() != nil {
			return s.endReason(ctx)
		}
		switch reply.Next {
		case HangupCall:
			return Outcome{Reason: "bot_hangup"}
		case TransferCall:
			if s.transfer(ctx, reply) {
				s.listenAfterHandoff(ctx)
				return Outcome{Reason: "transferred", HandedOff: true, Queue: reply.Transfer.Queue}
			}
			if ctx.Err() != nil {
				return s.endReason(ctx)
			}
			// Nobody answered: the bot keeps the caller, says so and goes back to
			// where the caller was.
			reply = d.TransferFailed(ctx)
			continue
		}
		in, ok := s.waitInput(ctx)
		if !ok {
			return s.endReason(ctx)
		}
		s.setState(StateThinking)
		reply = d.Turn(ctx, in)
	}
}

func (s *Session) endReason(ctx context.Context) Outcome {
	select {
	case <-s.leg.Done():
		return Outcome{Reason: "caller_hangup"}
	default:
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Outcome{Reason: "timeout"}
	}
	return Outcome{Reason: "shutdown"}
}

// listen reads caller audio frame by frame: it feeds the ear, stops replies when the
// caller barges in, and hands finished utterances to the conversation. The frame
// buffer is reused, so the loop allocates only when an utterance ends.
func (s *Session) listen(ctx context.Context, endCall context.CancelFunc) {
	frame := make([]int16, telephony.FrameSamples)
	speechRun, echoFrames, speechFrames := 0, 0, 0
	for {
		if err := s.leg.ReadFrame(ctx, frame); err != nil {
			if ctx.Err() == nil {
				s.log.Info("caller audio ended", "err", err)
				endCall()
			}
			return
		}
		ended := s.ear.Write(frame)
		if s.ear.Speaking() {
			speechFrames++
			if p := s.currentPlayback(); p != nil {
				if s.isEcho(p, frame, int(time.Since(p.start).Seconds()*telephony.SampleRate)) {
					echoFrames++
					speechRun = 0
				} else if speechRun++; speechRun >= s.cfg.BargeInFrames {
					s.bargeIn(ctx)
					speechRun = 0
				}
			}
		} else {
			speechRun = 0
		}
		if !ended {
			continue
		}
		audio, f := s.ear.Utterance()
		echo := speechFrames > 0 && echoFrames*2 > speechFrames
		speechFrames, echoFrames = 0, 0
		if echo {
			s.log.Debug("dropped an utterance that was the reply's own echo")
			continue
		}
		u := utterance{audio: append([]int16(nil), audio...), f: f}
		select {
		case s.utterances <- u:
		default:
			s.log.Warn("conversation too slow, dropping an utterance")
		}
	}
}

// pumpKeys moves DTMF from the leg into the session; a key stops the reply too.
func (s *Session) pumpKeys(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case k, ok := <-s.leg.DTMF():
			if !ok {
				return
			}
			s.bargeIn(ctx)
			select {
			case s.keys <- k:
			default:
			}
		}
	}
}

func (s *Session) currentPlayback() *playback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.play
}

func (s *Session) bargeIn(ctx context.Context) {
	s.mu.Lock()
	p := s.play
	if p != nil && !p.barged {
		p.barged = true
		p.cancel()
	}
	s.mu.Unlock()
	if p != nil && p.barged {
		s.emit(ctx, "bargein", map[string]any{"after_ms": time.Since(p.start).Milliseconds()})
	}
}

// isEcho reports whether frame looks like the reply coming back when the reply is
// at sample pos on the wire: its best normalised
// correlation with what was sent in the last 300 ms is high. A caller talking over
// the bot correlates poorly with the bot's own words. The first check searches the
// whole window for the line's echo delay; later ones look only around it, so a line
// that echoes every reply costs little per frame.
func (s *Session) isEcho(p *playback, frame []int16, pos int) bool {
	if p.echoDelay >= 0 {
		if c, _ := correlate(p.pcm, frame, pos-p.echoDelay-16, pos-p.echoDelay+16, 1); c >= s.cfg.EchoCorrelation {
			return true
		}
	}
	c, lag := correlate(p.pcm, frame, pos-300*telephony.SampleRate/1000, pos, 2)
	if c < s.cfg.EchoCorrelation {
		return false
	}
	p.echoDelay = pos - lag
	return true
}

// correlate finds the best normalised correlation of frame with ref at offsets
// lo..hi (clipped to ref), stepping by step; it returns the correlation and offset.
func correlate(ref, frame []int16, lo, hi, step int) (float64, int) {
	lo = max(lo, 0)
	hi = min(hi, len(ref)-len(frame))
	var fe float64
	for _, v := range frame {
		fe += float64(v) * float64(v)
	}
	best, at := 0.0, -1
	if fe == 0 {
		return 0, at
	}
	for lag := lo; lag <= hi; lag += step {
		var dot, pe float64
		r := ref[lag : lag+len(frame)]
		for i, v := range frame {
			x := float64(r[i])
			dot += float64(v) * x
			pe += x * x
		}
		if pe == 0 {
			continue
		}
		if c := math.Abs(dot) / math.Sqrt(fe*pe); c > best {
			best, at = c, lag
		}
	}
	return best, at
}

// speak synthesises and plays a reply; barge-in or a key press stops it early.
func (s *Session) speak(ctx context.Context, r Reply) {
	if r.Say == "" && r.Action == nil {
		return
	}
	seq := s.turns()
	if r.Say != "" {
		s.emit(ctx, "reply", ReplyEvent{Seq: seq, Text: r.Say, Lang: r.Lang, Style: r.Style})
		s.addLine("bot", r.Say, 0, nil)
	}
	act := Action{Type: "say"}
	if r.Action != nil {
		act = *r.Action
		if act.Report != nil {
			s.mu.Lock()
			s.report = act.Report
			s.mu.Unlock()
		}
	}
	s.actions++
	s.emit(ctx, "action", ActionEvent{Seq: seq, N: s.actions, Reply: r.Say, Action: act})
	if r.Say == "" {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, s.cfg.TTSTimeout)
	pcm, err := s.deps.Synth.Synthesize(tctx, r.Say, r.Lang, r.Style)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return // the call ended while the reply was being made: nothing failed
		}
		s.log.Error("synthesise reply", "err", err)
		s.emit(ctx, "error", map[string]any{"stage": "tts", "error": err.Error()})
		return
	}
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	s.mu.Lock()
	s.play = &playback{pcm: pcm, start: time.Now(), cancel: pcancel, echoDelay: -1}
	s.status.State = StateSpeaking
	s.mu.Unlock()
	err = s.leg.Play(pctx, pcm)
	s.mu.Lock()
	s.play = nil
	s.status.State = StateListening
	s.mu.Unlock()
	if err != nil && pctx.Err() == nil {
		s.log.Warn("play reply", "err", err)
	}
}

// waitInput waits for the caller's next turn: an utterance, digits, or silence.
func (s *Session) waitInput(ctx context.Context) (Input, bool) {
	s.setState(StateListening)
	timer := time.NewTimer(s.cfg.NoInput)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return Input{}, false
		case k := <-s.keys:
			digits := s.collectDigits(ctx, k)
			seq := s.nextTurn()
			s.emit(ctx, "dtmf", TurnEvent{Seq: seq, DTMF: digits})
			return s.withoutEmotion(Input{DTMF: digits}), true
		case u := <-s.utterances:
			if len(u.audio) == 0 {
				continue
			}
			return s.hear(ctx, u), true
		case <-timer.C:
			seq := s.nextTurn()
			s.emit(ctx, "noinput", TurnEvent{Seq: seq, NoInput: true})
			return s.withoutEmotion(Input{NoInput: true}), true
		}
	}
}

// collectDigits gathers a run of keys until '#' or a pause. Where the dialog wants a
// number the pause may be longer; once the number is long enough the run ends after a
// menu's short pause, still taking a closing '#' (so it is not a stray turn) or more
// digits (so an over-long number is refused by the flow, not cut short).
func (s *Session) collectDigits(ctx context.Context, first rune) string {
	digits := []rune{first}
	most := s.dialog.NumberKeys()
	for first != '#' {
		gap := s.cfg.DigitTimeout
		if most > 0 && len(digits) < most {
			gap = s.cfg.NumberDigitTimeout
		}
		t := time.NewTimer(gap)
		select {
		case k := <-s.keys:
			t.Stop()
			if k == '#' {
				return string(digits)
			}
			digits = append(digits, k)
			continue
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		break
	}
	return string(digits)
}

// hear recognises an utterance and reads its emotion. A failed recogniser still gives
// the dialog an emotion reading from the voice, and tells it to fall back to keys.
func (s *Session) hear(ctx context.Context, u utterance) Input {
	s.setState(StateThinking)
	actx, cancel := context.WithTimeout(ctx, s.cfg.ASRTimeout)
	heard, err := s.deps.Recognizer.Recognize(actx, u.audio, s.info.Lang, s.dialog.Expect())
	cancel()
	in := Input{Text: heard.Text, Lang: heard.Lang, NoMatch: heard.NoMatch}
	if err != nil {
		s.log.Warn("recognise utterance", "err", err)
		in = Input{ASRFailed: true}
	}
	return s.recordTurn(ctx, TurnEvent{
		Seq: s.nextTurn(), Text: in.Text, Lang: in.Lang, Confidence: heard.Confidence, NoMatch: in.NoMatch,
		ASRFailed: in.ASRFailed, DurationS: u.f.DurationS,
	}, in, u.f)
}

// recordTurn records a heard caller turn (ev), reads its emotion from in's words and
// the voice f, and adds it to the call's transcript.
func (s *Session) recordTurn(ctx context.Context, ev TurnEvent, in Input, f dsp.Features) Input {
	s.emit(ctx, "transcript", ev)
	in = s.withEmotion(ctx, ev.Seq, in, &f)
	s.addLine("caller", in.Text, ev.Seq, &in.Reading)
	return in
}

// nextTurn numbers a new caller turn.
func (s *Session) nextTurn() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Turns++
	return s.status.Turns
}

func (s *Session) turns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.Turns
}

// withEmotion reads the emotion of an utterance (its words and its voice).
func (s *Session) withEmotion(ctx context.Context, seq int, in Input, f *dsp.Features) Input {
	in.Reading = s.listener.Turn(in.Text, f)
	in.Trajectory = s.listener.Trajectory()
	s.mu.Lock()
	r := in.Reading
	s.status.Reading = &r
	s.status.Trajectory = in.Trajectory
	s.mu.Unlock()
	t := in.Trajectory
	t.History = nil
	ev := EmotionEvent{Seq: seq, Reading: in.Reading, Trajectory: t}
	if v := s.listener.Voice(); v.Voiced {
		ev.Voice = &v
	}
	s.emit(ctx, "emotion", ev)
	return in
}

// withoutEmotion fills a turn that had no speech (keys, silence) with where the call
// stands, without inventing a reading from nothing.
func (s *Session) withoutEmotion(in Input) Input {
	s.mu.Lock()
	if s.status.Reading != nil {
		in.Reading = *s.status.Reading
	}
	s.mu.Unlock()
	in.Trajectory = s.listener.Trajectory()
	return in
}

// transfer hands the caller to a human when the leg can. It returns false when the
// leg cannot transfer or nobody answered.
func (s *Session) transfer(ctx context.Context, r Reply) bool {
	sw, ok := s.leg.(telephony.Switch)
	if !ok || r.Transfer == nil {
		s.log.Warn("handoff requested but this call cannot be transferred")
		s.emit(ctx, "handoff", HandoffEvent{Error: "this call cannot be transferred"})
		return false
	}
	t := *r.Transfer
	if err := sw.Transfer(ctx, t); err != nil {
		s.log.Warn("hand off to a human", "queue", t.Queue, "err", err)
		s.emit(ctx, "handoff", HandoffEvent{Queue: t.Queue, Priority: t.Priority, Error: err.Error()})
		return false
	}
	s.mu.Lock()
	s.status.State = StateTransferred
	s.status.Queue = t.Queue
	s.mu.Unlock()
	s.emit(ctx, "handoff", HandoffEvent{OK: true, Queue: t.Queue, Priority: t.Priority})
	return true
}

// listenAfterHandoff keeps reading the caller's emotion while a human talks, so the
// agent's console and the supervisors' views stay live.
func (s *Session) listenAfterHandoff(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-s.utterances:
			s.hearAfterHandoff(ctx, u)
		case <-s.keys:
		}
	}
}

// hearAfterHandoff records one thing the caller said to the human. The bot's grammar
// means nothing now (matched against it, every such turn was a blank no-match), and
// the call stays "transferred": its words are written down only by Deps.Transcriber,
// its voice is always read.
func (s *Session) hearAfterHandoff(ctx context.Context, u utterance) {
	ev := TurnEvent{Seq: s.nextTurn(), DurationS: u.f.DurationS, AfterHandoff: true}
	if s.deps.Transcriber != nil {
		actx, cancel := context.WithTimeout(ctx, s.cfg.ASRTimeout)
		heard, err := s.deps.Transcriber.Recognize(actx, u.audio, s.info.Lang, nil)
		cancel()
		switch {
		case err != nil:
			s.log.Warn("transcribe after handoff", "err", err)
		case !heard.NoMatch:
			ev.Text, ev.Lang, ev.Confidence = heard.Text, heard.Lang, heard.Confidence
		}
	}
	ev.VoiceOnly = ev.Text == ""
	s.recordTurn(ctx, ev, Input{Text: ev.Text, Lang: ev.Lang}, u.f)
}

func (s *Session) setState(st State) {
	s.mu.Lock()
	changed := s.status.State != st
	s.status.State = st
	s.mu.Unlock()
	if changed && s.deps.Publisher != nil {
		s.deps.Publisher.Publish(s.event("state", map[string]any{"state": st}))
	}
}

func (s *Session) event(typ string, data any) telephony.Event {
	return telephony.Event{Type: typ, CallID: s.info.ID, Time: time.Now().UTC(), Data: data}
}

// emit records an event (synchronously: nothing is lost) and publishes it to live views
// and, when the leg can show them, to the caller's page.
func (s *Session) emit(ctx context.Context, typ string, data any) {
	ev := s.event(typ, data)
	if s.deps.Recorder != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := s.deps.Recorder.Record(rctx, ev); err != nil {
			s.log.Error("record event", "type", typ, "err", err)
		}
		cancel()
	}
	if s.deps.Publisher != nil {
		s.deps.Publisher.Publish(ev)
	}
	if n, ok := s.leg.(telephony.Notifier); ok {
		n.Notify(ev)
	}
}

// String names the session in logs.
func (s *Session) String() string { return fmt.Sprintf("call %s", s.info.ID) }
