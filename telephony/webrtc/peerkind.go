package webrtc

import "fmt"

// PeerKind is the role of a browser peer; metrics and logs are sliced by it.
type PeerKind int

// Peer kinds. The zero value is PeerUnknown so a forgotten field is visible.
const (
	PeerUnknown PeerKind = iota
	PeerCaller
	PeerAgent
	PeerSupervisor
)

var peerKindNames = [...]string{"unknown", "caller", "agent", "supervisor"}

func (k PeerKind) String() string {
	if k < 0 || int(k) >= len(peerKindNames) {
		return fmt.Sprintf("PeerKind(%d)", int(k))
	}
	return peerKindNames[k]
}

// ParsePeerKind is the inverse of String.
func ParsePeerKind(s string) (PeerKind, error) {
	for i, n := range peerKindNames {
		if n == s {
			return PeerKind(i), nil
		}
	}
	return PeerUnknown, fmt.Errorf("webrtc: unknown peer kind %q", s)
}
