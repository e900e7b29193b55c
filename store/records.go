package store

import (
	"encoding/json"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// Call is one phone or WebRTC call. StartCall writes the identity fields, EndCall
// the end; the query methods fill the rest. JSON is what the web API serves.
type Call struct {
	ID       string            `json:"id"`
	Channel  telephony.Channel `json:"channel"`
	CallerID string            `json:"caller_id"` // encrypted at rest when a key is set, not redacted
	Called   string            `json:"called"`
	Lang     string            `json:"lang"`
	Variant  string            `json:"variant"` // A/B arm the call was assigned to
	Started  time.Time         `json:"started"`
	Ended    time.Time         `json:"ended,omitzero"` // zero while the call is live
	Outcome  string            `json:"outcome,omitempty"`
	// HandoffQueue is the human queue the call went to, "" if none.
	HandoffQueue string `json:"handoff_queue,omitempty"`

	// Filled by queries.
	PeakLevel emotion.Level `json:"peak_level"` // highest level of any reading
	Turns     []Turn        `json:"turns,omitempty"`
	Readings  []Reading     `json:"readings,omitempty"`
	Actions   []Action      `json:"actions,omitempty"`
	Result    *Outcome      `json:"result,omitempty"`
}

// Turn is one utterance. Seq is the caller's ordinal within the call (readings
// and actions refer to it); Text is redacted before it is stored.
type Turn struct {
	CallID        string    `json:"call_id"`
	Seq           int       `json:"seq"`
	At            time.Time `json:"at"`
	Speaker       string    `json:"speaker"` // "caller", "bot", "agent"
	Text          string    `json:"text"`
	ASRConfidence float64   `json:"asr_confidence"`
}

// Reading is an emotion reading tied to the turn it judged. The embedded
// emotion.Reading flattens into the JSON object.
type Reading struct {
	ID      int64     `json:"id"` // assigned by AddReading; feedback labels refer to it
	CallID  string    `json:"call_id"`
	TurnSeq int       `json:"turn_seq"`
	At      time.Time `json:"at"`
	emotion.Reading
	// Voice is what the voice model alone judged (nil when the turn had no usable
	// speech). With the reading's Evidence it is what fusion weighed, which a refit
	// on human corrections needs in order to learn how far to trust each side.
	Voice *emotion.Acoustic `json:"voice,omitempty"`
}

// Action is what the dialog did after a turn. Line and Variant identify the
// script line and its A/B variant, which ABResults scores.
type Action struct {
	CallID       string          `json:"call_id"`
	Seq          int             `json:"seq"`      // ordinal among the call's actions
	TurnSeq      int             `json:"turn_seq"` // the turn it answered
	At           time.Time       `json:"at"`
	Type         string          `json:"type"`            // "say", "handoff", "escalate", "compensate", "hangup"
	Node         string          `json:"node,omitempty"`  // the flow node the call was at after it
	Line         string          `json:"line,omitempty"`  // the line with A/B variant text it said, if any
	Reply        string          `json:"reply,omitempty"` // redacted before it is stored
	Queue        string          `json:"queue,omitempty"`
	Priority     int             `json:"priority,omitempty"`
	Compensation json.RawMessage `json:"compensation,omitempty"`
	Tier         string          `json:"tier,omitempty"`
	Strategy     string          `json:"strategy,omitempty"`
	Variant      string          `json:"variant,omitempty"`
}

// Outcome is how a call ended. EndCall fills the level fields from the call's
// readings, so reports need not re-scan them.
type Outcome struct {
	CallID    string    `json:"call_id"`
	Ended     time.Time `json:"ended"`
	Result    string    `json:"result"` // "resolved", "handoff", "abandoned", "error", ...
	Resolved  bool      `json:"resolved"`
	HandedOff bool      `json:"handed_off"`
	Queue     string    `json:"queue,omitempty"`
	Note      string    `json:"note,omitempty"`

	Readings   int           `json:"readings"`
	FirstLevel emotion.Level `json:"first_level"`
	PeakLevel  emotion.Level `json:"peak_level"`
	LastLevel  emotion.Level `json:"last_level"`
}

// Feedback is a human correction of a reading: the label a supervisor says was
// right. `calmline emotion refit` learns fusion weights from these.
type Feedback struct {
	ID        int64            `json:"id"`
	CallID    string           `json:"call_id"`
	TurnSeq   int              `json:"turn_seq"`
	ReadingID int64            `json:"reading_id,omitempty"` // 0 when the label is for the turn only
	Category  emotion.Category `json:"category"`
	Level     emotion.Level    `json:"level"`
	Who       string           `json:"who"`
	Note      string           `json:"note,omitempty"`
	At        time.Time        `json:"at"`

	// Filled by the Feedback query: the turn's (redacted) text and the reading
	// that was corrected, which is what a refit needs.
	Text    string   `json:"text,omitempty"`
	Reading *Reading `json:"reading,omitempty"`
}

// AuditEntry is one line of the audit log: who did what to which call
// (a supervisor listening in, whispering, barging, exporting a transcript).
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Who    string    `json:"who"`
	Action string    `json:"action"`
	CallID string    `json:"call_id,omitempty"`
	Mode   string    `json:"mode,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// CallFilter selects calls for Calls. Zero fields do not filter.
type CallFilter struct {
	From, To time.Time         // started in [From, To)
	Channel  telephony.Channel // ChannelUnknown = any
	Level    emotion.Level     // minimum peak level; Calm = any
	Limit    int               // default 100, at most 1000
	Offset   int
}

// AuditFilter selects audit entries for AuditLog. Zero fields do not filter.
type AuditFilter struct {
	From, To time.Time
	Who      string
	Action   string
	CallID   string
	Limit    int // default 100, at most 1000
	Offset   int
}

// HeatCell is one cell of the supervisor heatmap: calls started in one hour of
// the day on one channel.
type HeatCell struct {
	Hour          int               `json:"hour"` // 0..23 in the location of the range's From
	Channel       telephony.Channel `json:"channel"`
	Calls         int               `json:"calls"`
	MeanArousal   float64           `json:"mean_arousal"`   // mean over calls of each call's mean reading arousal (calls with readings)
	ModerateShare float64           `json:"moderate_share"` // share of calls whose peak level reached moderate or severe
}

// ABResult scores one variant of one script line.
type ABResult struct {
	Line    string `json:"line"`
	Variant string `json:"variant"`
	Calls   int    `json:"calls"` // distinct calls that heard it
	Uses    int    `json:"uses"`  // times it was said
	// Measured is how many uses had a reading before and after them.
	Measured int `json:"measured"`
	// EmotionFell is the share of measured uses after which the caller's next
	// reading was lower: a lower level, or the same level with arousal down by
	// more than 0.05.
	EmotionFell float64 `json:"emotion_fell"`
	// Ended counts the calls that heard it and have ended; ResolvedNoHandoff
	// is the share of those resolved without going to a human.
	Ended             int     `json:"ended"`
	ResolvedNoHandoff float64 `json:"resolved_no_handoff"`
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func clampLimit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return min(n, maxLimit)
}
