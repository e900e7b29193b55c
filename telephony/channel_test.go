package telephony

import "testing"

func TestChannelRoundTrip(t *testing.T) {
	for _, c := range []Channel{ChannelUnknown, ChannelSIP, ChannelWebRTC, ChannelSimulated} {
		got, err := ParseChannel(c.String())
		if err != nil || got != c {
			t.Errorf("ParseChannel(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	if _, err := ParseChannel("pstn"); err == nil {
		t.Error("ParseChannel(pstn): want error")
	}
	if s := Channel(42).String(); s != "Channel(42)" {
		t.Errorf("String of out-of-range channel = %q", s)
	}
}
