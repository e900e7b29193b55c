package dialog

import (
	"fmt"
	"time"

	"github.com/calmline/calmline/emotion"
)

// ActionType is what calmline does after a turn; call.Session switches on it.
type ActionType int

// Action types. Say is the zero value: keep the caller talking to the bot.
const (
	Say ActionType = iota
	Handoff
	Escalate
	Hangup
	numActionTypes
)

var actionNames = [...]string{"say", "handoff", "escalate", "hangup"}

func (t ActionType) String() string {
	if t < 0 || t >= numActionTypes {
		return fmt.Sprintf("ActionType(%d)", int(t))
	}
	return actionNames[t]
}

// ParseActionType is the inverse of String, for stored actions and flow files.
func ParseActionType(s string) (ActionType, error) {
	for i, n := range actionNames {
		if n == s {
			return ActionType(i), nil
		}
	}
	return Say, fmt.Errorf("dialog: unknown action type %q (want one of %v)", s, actionNames)
}

// MarshalText makes an ActionType appear by name in JSON.
func (t ActionType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses an action type name.
func (t *ActionType) UnmarshalText(b []byte) error {
	v, err := ParseActionType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Action is the engine's decision for one turn: what to say, in which style, and
// whether the bot keeps the call or hands it to a human.
type Action struct {
	Type      ActionType `json:"type"`
	Reply     string     `json:"reply,omitempty"`
	Lang      string     `json:"lang,omitempty"`
	Style     string     `json:"style,omitempty"` // "neutral", "soothing", "urgent", "explaining"
	Queue     string     `json:"queue,omitempty"`
	Priority  int        `json:"priority,omitempty"`
	Endpoints []string   `json:"endpoints,omitempty"` // from the flow's queues, e.g. PJSIP/expert1

	Compensation *Compensation `json:"compensation,omitempty"`
	Report       *Report       `json:"report,omitempty"`

	Strategy string `json:"strategy,omitempty"` // "normal", "soothing", "explaining", "handoff", "emergency"
	Variant  string `json:"variant,omitempty"`  // A/B variant of this call
	// Line names the first line of this reply that has A/B variant text (e.g.
	// "soothe"); empty when the reply had none, so an A/B report counts only replies
	// where the variants differ.
	Line    string            `json:"line,omitempty"`
	Node    string            `json:"node,omitempty"`    // the node the conversation is at after this turn
	Tier    string            `json:"tier,omitempty"`    // which policy tier fired: mild, moderate, severe, rising, forced:<topic>
	Issue   string            `json:"issue,omitempty"`   // issue type of the current node, for routing and reports
	Webhook *WebhookCall      `json:"webhook,omitempty"` // a webhook node the call layer should fire
	Vars    map[string]string `json:"vars,omitempty"`    // values collected so far
}

// Compensation is an automatic goodwill offer, chosen by the flow's rules and capped
// by the operator's limits, so the bot never gives away more than it is allowed to.
type Compensation struct {
	Kind   string  `json:"kind"` // coupon, points, refund_fee, callback, ...
	Amount float64 `json:"amount,omitempty"`
	Unit   string  `json:"unit,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// Report is what the human agent sees when the call arrives, so the caller never has
// to repeat themselves.
type Report struct {
	Reason       string             `json:"reason"` // why the bot handed over
	Tier         string             `json:"tier"`
	Issue        string             `json:"issue,omitempty"`
	Trajectory   emotion.Trajectory `json:"trajectory"`
	Cues         []emotion.Cue      `json:"cues,omitempty"`
	Transcript   []Utterance        `json:"transcript"`
	Profile      *Profile           `json:"profile,omitempty"`
	Compensation *Compensation      `json:"compensation,omitempty"`
	Vars         map[string]string  `json:"vars,omitempty"`
	Summary      string             `json:"summary"`
	At           time.Time          `json:"at"`
}

// Utterance is one line of the transcript in a report.
type Utterance struct {
	Turn    int              `json:"turn"`
	Who     string           `json:"who"` // "caller" or "bot"
	Text    string           `json:"text"`
	Reading *emotion.Reading `json:"reading,omitempty"`
}

// WebhookCall asks the call layer to call an operator's HTTP endpoint; the engine does
// no I/O itself.
type WebhookCall struct {
	Name   string            `json:"name"`
	URL    string            `json:"url"`
	Method string            `json:"method"`
	Vars   map[string]string `json:"vars,omitempty"`
}
