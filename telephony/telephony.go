// Package telephony defines what calmline needs from a phone call, whichever way it arrived.
//
// Every ingress (Asterisk ARI + ExternalMedia in telephony/ari, browsers in telephony/webrtc)
// converts audio at its edge to the canonical format below, so nothing past this package
// knows where a call came from.
package telephony

import (
	"context"
	"time"
)

// Canonical audio inside calmline: 16 kHz mono signed 16-bit PCM in 20 ms frames.
// Fixing one format at the edge keeps the analysis, recognition and synthesis code
// free of conversions and lets the hot path reuse one frame buffer.
const (
	SampleRate    = 16000
	FrameDuration = 20 * time.Millisecond
	FrameSamples  = SampleRate / 50
)

// CallInfo is what calmline knows about a call when it starts; it keys the customer
// profile (CallerID) and the heatmaps (Channel).
type CallInfo struct {
	ID       string    `json:"id"`                  // calmline's own call id, unique per process run
	Channel  Channel   `json:"channel"`             // how the call arrived
	CallerID string    `json:"caller_id,omitempty"` // SIP user / E.164 number / id given by the web page; may be empty
	Called   string    `json:"called,omitempty"`    // the dialled number or line, when known
	Lang     string    `json:"lang,omitempty"`      // language hint ("zh", "en") or empty for the flow default
	Started  time.Time `json:"started"`             // when the call was answered
}

// Leg is one caller's audio connection. call.Session drives one Leg per call.
//
// ReadFrame and Play may be called from different goroutines at the same time.
// Hangup must be idempotent and safe to call after the caller has gone.
type Leg interface {
	// Info describes the call.
	Info() CallInfo
	// ReadFrame fills frame (FrameSamples long) with the next 20 ms of caller audio.
	// It blocks until a frame is ready and returns io.EOF once the caller has hung up.
	// Missing audio (packet loss) is delivered as silence so time keeps moving.
	ReadFrame(ctx context.Context, frame []int16) error
	// Play sends 16 kHz PCM to the caller paced at real time and returns when it has
	// been sent or ctx is cancelled (barge-in cancels ctx to stop the reply).
	Play(ctx context.Context, pcm []int16) error
	// DTMF delivers the caller's key presses ('0'-'9', '*', '#', 'A'-'D').
	DTMF() <-chan rune
	// Done is closed when the leg has ended, by either side.
	Done() <-chan struct{}
	// Hangup ends the call with a reason for the logs.
	Hangup(ctx context.Context, reason string) error
}

// Transfer asks a Switch to hand the caller to a human.
type Transfer struct {
	Queue     string            // queue name from the flow / config
	Endpoints []string          // who to ring, in order (e.g. "PJSIP/expert1"), from config
	Priority  int               // higher is more urgent; emergency escalation uses the top
	RingFor   time.Duration     // per endpoint before trying the next
	ReportURL string            // where the agent can read the emotion report
	Vars      map[string]string // passed to the agent side (channel variables, console fields)
}

// Switch is implemented by legs that can bridge the caller to a human agent.
// Transfer returns once the caller is connected to an agent (the bot has left the
// call) or with an error when nobody answered, in which case the bot keeps the call.
type Switch interface {
	Transfer(ctx context.Context, t Transfer) error
}

// Event is something that happened in a call, for live views (web page data channel,
// supervisor console, webhooks).
type Event struct {
	Type   string    `json:"type"` // "transcript", "emotion", "reply", "action", "state", ...
	CallID string    `json:"call_id"`
	Time   time.Time `json:"time"`
	Data   any       `json:"data,omitempty"`
}

// Notifier is implemented by legs that can show call events to the caller's side
// (the browser softphone's data channel). call.Session checks for it.
type Notifier interface {
	Notify(ev Event)
}
