package webrtc

import "errors"

// Sentinel errors of the package. HTTP handlers map them to status codes, so
// callers can tell a bad offer from an overloaded server.
var (
	// ErrBadOffer means the SDP offer could not be parsed or applied; the peer sent garbage.
	ErrBadOffer = errors.New("webrtc: malformed SDP offer")
	// ErrNoOpus means the offer has no audio section that offers Opus; calmline speaks only Opus.
	ErrNoOpus = errors.New("webrtc: offer has no Opus audio")
	// ErrTooManyPending means MaxPending offers are still connecting; the caller should retry later.
	ErrTooManyPending = errors.New("webrtc: too many pending offers")
	// ErrBusy means the line takes no more calls now (WithCapacity); the caller should
	// call again later.
	ErrBusy = errors.New("webrtc: all lines are busy, please call again in a few minutes")
	// ErrClosed means the server or leg has been closed.
	ErrClosed = errors.New("webrtc: closed")
	// ErrNoAgent means no logged-in agent accepted a transfer; the bot keeps the call.
	ErrNoAgent = errors.New("webrtc: no agent answered")
	// ErrBridged means the caller talks to a human agent now, so the bot may not play audio.
	ErrBridged = errors.New("webrtc: caller is bridged to an agent")
	// ErrNotFound means the session, call or agent named in a request does not exist.
	ErrNotFound = errors.New("webrtc: not found")
	// ErrNoAuditor means listen-in was requested but no Auditor is configured; every
	// listen-in must leave an audit record, so it is refused.
	ErrNoAuditor = errors.New("webrtc: listen-in needs an auditor")
	// ErrConfig means a Config field is out of range.
	ErrConfig = errors.New("webrtc: bad config")
)
