// Package call runs one phone call: it wires a telephony.Leg through the ear (dsp),
// the recogniser, the emotion listener and the dialog, speaks replies, hands callers
// to humans, and records everything. It owns the call's context, timeouts,
// barge-in and fallbacks; the packages it drives stay free of call plumbing.
package call

import (
	"context"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// Ear finds utterances in the caller's audio and measures how they were spoken
// (dsp.Stream, adapted). Write is called once per 20 ms frame from one goroutine.
type Ear interface {
	// Write consumes one frame and reports whether an utterance just ended.
	Write(frame []int16) (ended bool)
	// Speaking reports whether the caller is speaking now.
	Speaking() bool
	// Utterance returns the utterance that just ended; audio is borrowed until the next Write.
	Utterance() (audio []int16, f dsp.Features)
}

// Heard is what the recogniser understood.
type Heard struct {
	Text       string
	Lang       string
	Confidence float64
	NoMatch    bool // speech was heard but matched nothing the node expects
}

// Recognizer turns one utterance (16 kHz mono) into words. expect lists the phrases
// the dialog's current node expects (grammar mode for the offline recogniser).
type Recognizer interface {
	Recognize(ctx context.Context, pcm []int16, lang string, expect []string) (Heard, error)
}

// Synth turns a reply into 16 kHz mono speech in a style ("neutral", "soothing",
// "urgent", "explaining").
type Synth interface {
	Synthesize(ctx context.Context, text, lang, style string) ([]int16, error)
}

// Listener is the emotion side of one call (emotion.Call satisfies it).
type Listener interface {
	Turn(text string, f *dsp.Features) emotion.Reading
	Trajectory() emotion.Trajectory
	// Voice is the voice model's own judgement of the last turn, recorded beside
	// the reading so human corrections can re-fit how far fusion trusts it.
	Voice() emotion.Acoustic
}

// Input is one caller turn as the dialog sees it.
type Input struct {
	Text       string
	Lang       string
	DTMF       string
	NoInput    bool
	NoMatch    bool
	ASRFailed  bool
	Reading    emotion.Reading
	Trajectory emotion.Trajectory
}

// Dialog decides what calmline does next (dialog.Conversation, adapted).
type Dialog interface {
	Start(ctx context.Context) Reply
	Turn(ctx context.Context, in Input) Reply
	// Expect is what the current node listens for, for grammar-mode recognition.
	Expect() []string
	// NumberKeys is the most keys the current node takes as one number (an order
	// number), or 0 at a menu. With a number wanted the session waits longer
	// between keys and ends the run at that many, as an IVR collecting digits does.
	NumberKeys() int
	// TransferFailed takes the call back after the transfer a reply asked for
	// found no one, so the dialog keeps its place in the flow, says so, and does
	// not ask for the same transfer on the next turn.
	TransferFailed(ctx context.Context) Reply
	// End tells the dialog how the call ended (A/B outcomes).
	End(o Outcome)
}

// Next says what happens after a reply is spoken.
type Next int

// What follows a reply. Continue is the zero value: keep talking.
const (
	Continue Next = iota
	TransferCall
	HangupCall
)

// Reply is one dialog decision.
type Reply struct {
	Say      string
	Lang     string
	Style    string
	Next     Next
	Transfer *telephony.Transfer // with TransferCall
	// Action describes the decision for the record and live views; nil for plain lines.
	Action *Action
}

// Outcome is how a call ended, for the record and for A/B results.
type Outcome struct {
	Reason      string        `json:"reason"` // "caller_hangup", "bot_hangup", "transferred", "timeout", "error"
	HandedOff   bool          `json:"handed_off"`
	Queue       string        `json:"queue,omitempty"`
	FinalLevel  emotion.Level `json:"final_level"`
	PeakLevel   emotion.Level `json:"peak_level"`
	EmotionFell bool          `json:"emotion_fell"`
}

// Recorder persists what happened. Record is called synchronously from the session so
// that nothing is lost; an error is logged and the call goes on.
type Recorder interface {
	Record(ctx context.Context, ev telephony.Event) error
}

// Publisher fans events out to live views (web, webhooks); it must not block.
type Publisher interface {
	Publish(ev telephony.Event)
}

// Deps builds the per-call parts. Each factory is called once per call.
type Deps struct {
	NewEar      func() Ear
	NewListener func() Listener
	NewDialog   func(ctx context.Context, info telephony.CallInfo) (Dialog, error)
	Recognizer  Recognizer
	// Transcriber writes down, with no grammar, what the caller tells the human the
	// call was handed to; nil records those turns for their voice alone. Give it
	// only a recogniser that does this cheaply and well (a remote, OpenAI-compatible
	// one, without an offline fallback): the offline recogniser's free dictation is
	// slower than the speech on a loaded machine, on decoders the bot's own calls
	// are waiting for, and mostly wrong.
	Transcriber Recognizer
	Synth       Synth
	Recorder    Recorder  // may be nil
	Publisher   Publisher // may be nil
}
