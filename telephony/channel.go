package telephony

import "fmt"

// Channel is how a call reached calmline; supervisors slice heatmaps by it.
type Channel int

// Channels. The zero value is ChannelUnknown so a forgotten field is visible.
const (
	ChannelUnknown Channel = iota
	ChannelSIP
	ChannelWebRTC
	ChannelSimulated
)

var channelNames = [...]string{"unknown", "sip", "webrtc", "simulated"}

func (c Channel) String() string {
	if c < 0 || int(c) >= len(channelNames) {
		return fmt.Sprintf("Channel(%d)", int(c))
	}
	return channelNames[c]
}

// ParseChannel is the inverse of String; it lets stored calls and API filters round-trip.
func ParseChannel(s string) (Channel, error) {
	for i, n := range channelNames {
		if n == s {
			return Channel(i), nil
		}
	}
	return ChannelUnknown, fmt.Errorf("telephony: unknown channel %q", s)
}

// MarshalText lets a Channel appear as its name in JSON and YAML.
func (c Channel) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a channel name.
func (c *Channel) UnmarshalText(b []byte) error {
	v, err := ParseChannel(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
