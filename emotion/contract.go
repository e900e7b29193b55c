package emotion

import "github.com/calmline/calmline/dsp"

// Acoustic is what the voice alone says about one utterance, judged against the
// caller's own baseline. The acoustic model produces it and fusion consumes it; it is
// separate from Reading because the voice can say "aroused" but rarely which category.
type Acoustic struct {
	Voiced     bool                 `json:"voiced"`     // false when too little voiced speech to judge; fusion ignores the rest
	Arousal    float64              `json:"arousal"`    // probability of high arousal, 0..1
	Scores     map[Category]float64 `json:"scores"`     // probability per category from the voice alone
	Confidence float64              `json:"confidence"` // how much fusion should trust this, 0..1
	Cues       []Cue                `json:"cues"`       // e.g. "pitch 4 st above your baseline"

	// Class and Classes are the voice model's verdict in its own training labels
	// (EmoDB's seven: anger, boredom, disgust, fear, happiness, neutral, sadness),
	// before they are pooled into calmline's categories: anger and disgust both read
	// angry, boredom and neutral both neutral. They let an operator score the voice
	// model on labelled recordings of their own, and an agent tell weary from calm.
	Class   string             `json:"class,omitempty"`
	Classes map[string]float64 `json:"classes,omitempty"`

	// Unfamiliar says how unlike the speech the model learnt from this voice is, 0
	// (like it) to 1 (nothing like it); espeak-ng speech is about 0.7-0.8 (BENCHMARKS.md).
	// Confidence already carries it; fusion also uses it when the voice is all
	// there is, so an unrecognisable voice cannot raise the alarm on its own. Zero
	// in readings stored before it existed, which is what they meant.
	Unfamiliar float64 `json:"unfamiliar,omitempty"`
}

// VoiceListener judges one caller's utterances against that caller's own baseline
// (their first voiced seconds), so a naturally loud or high voice is not read as
// anger. One per call; not safe for concurrent use.
type VoiceListener interface {
	Listen(f dsp.Features) Acoustic
}

// Trend is the direction of the caller's emotion over recent turns.
type Trend int

// Trends; Steady is the zero value.
const (
	Steady Trend = iota
	Rising
	Falling
)

func (t Trend) String() string {
	switch t {
	case Rising:
		return "rising"
	case Falling:
		return "falling"
	default:
		return "steady"
	}
}

// MarshalText makes a Trend appear by name in JSON.
func (t Trend) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Trajectory is the call's emotional history as the dialog policy needs it: where the
// caller is, where they came from, and whether things are getting worse.
type Trajectory struct {
	Turns          int       `json:"turns"`           // readings so far
	Current        Reading   `json:"current"`         // the latest reading
	Smoothed       Level     `json:"smoothed"`        // level smoothed over recent turns
	Peak           Level     `json:"peak"`            // highest level seen in the call
	Trend          Trend     `json:"trend"`           // direction of negative intensity
	From           Category  `json:"from"`            // category before the latest turn
	To             Category  `json:"to"`              // category now
	Switched       bool      `json:"switched"`        // From != To with enough confidence to change strategy
	RisingTurns    int       `json:"rising_turns"`    // consecutive turns of rising anger
	EscalationRisk float64   `json:"escalation_risk"` // 0..1, chance the call ends in a complaint
	History        []Reading `json:"history,omitempty"`
}
