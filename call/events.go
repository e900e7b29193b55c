package call

import (
	"github.com/calmline/calmline/emotion"
)

// Event payloads. Every event a session emits carries one of these as
// telephony.Event.Data; the store, the event stream, webhooks and the browser page all
// read the same shapes, so they are typed and tagged once here.

// TurnEvent is something the caller said or keyed ("transcript", "dtmf", "noinput").
type TurnEvent struct {
	Seq        int     `json:"seq"` // the caller's turn number, from 1
	Text       string  `json:"text,omitempty"`
	Lang       string  `json:"lang,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	NoMatch    bool    `json:"no_match,omitempty"`
	ASRFailed  bool    `json:"asr_failed,omitempty"`
	DTMF       string  `json:"dtmf,omitempty"`
	NoInput    bool    `json:"no_input,omitempty"`
	DurationS  float64 `json:"duration_s,omitempty"`
	// AfterHandoff marks what the caller said to the human the call was handed to.
	AfterHandoff bool `json:"after_handoff,omitempty"`
	// VoiceOnly marks a turn whose words were not written down (after a handoff
	// with an offline recogniser): its emotion comes from the voice alone.
	VoiceOnly bool `json:"voice_only,omitempty"`
}

// EmotionEvent is the reading of one caller turn and where the call now stands.
type EmotionEvent struct {
	Seq        int                `json:"seq"`
	Reading    emotion.Reading    `json:"reading"`
	Trajectory emotion.Trajectory `json:"trajectory"`
	// Voice is the voice model's judgement alone; nil when the turn had no usable
	// speech. The store keeps it for refits.
	Voice *emotion.Acoustic `json:"voice,omitempty"`
}

// ReplyEvent is a line calmline said.
type ReplyEvent struct {
	Seq   int    `json:"seq"` // the caller turn it answers; 0 for the greeting
	Text  string `json:"text"`
	Lang  string `json:"lang,omitempty"`
	Style string `json:"style,omitempty"`
}

// Action describes a dialog decision for the record, live views and A/B results.
type Action struct {
	Type         string `json:"type"` // say, handoff, escalate, hangup
	Tier         string `json:"tier,omitempty"`
	Node         string `json:"node,omitempty"`
	Line         string `json:"line,omitempty"` // script line id, for A/B results
	Variant      string `json:"variant,omitempty"`
	Strategy     string `json:"strategy,omitempty"`
	Queue        string `json:"queue,omitempty"`
	Priority     int    `json:"priority,omitempty"`
	Compensation any    `json:"compensation,omitempty"`
	Report       any    `json:"report,omitempty"`
}

// ActionEvent is an Action tied to the turn it answered, with the line spoken.
type ActionEvent struct {
	Seq   int    `json:"seq"`
	N     int    `json:"n"` // the action's ordinal in the call, from 1
	Reply string `json:"reply,omitempty"`
	Action
}

// HandoffEvent reports a transfer to a human.
type HandoffEvent struct {
	OK       bool   `json:"ok"`
	Queue    string `json:"queue,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Error    string `json:"error,omitempty"`
}
