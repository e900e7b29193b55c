package aritest

import (
	"errors"
	"net"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestExternalMediaReceivesOnlyStaticPayloadTypes pins the fake to what a
// real Asterisk 22.9 does with RTP sent to an ExternalMedia channel: μ-law
// (0) and A-law (8) are decoded, slin16's dynamic type 118 is dropped.
func TestExternalMediaReceivesOnlyStaticPayloadTypes(t *testing.T) {
	tests := []struct {
		format string
		pt     uint8
		want   error
	}{
		{"ulaw", 0, nil},
		{"alaw", 8, nil},
		{"slin16", 118, ErrUndecodable},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			f := New(t)
			calmline, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer calmline.Close()
			q := url.Values{"channelId": {"em1"}, "app": {"calmline"}, "external_host": {calmline.LocalAddr().String()}, "format": {tt.format}}
			w := httptest.NewRecorder()
			f.externalMedia(w, q)
			if w.Code != 200 {
				t.Fatalf("externalMedia: %d %s", w.Code, w.Body)
			}
			c := f.Channel("em1")
			if c.PayloadType() != tt.pt {
				t.Errorf("PayloadType = %d, want %d", c.PayloadType(), tt.pt)
			}
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: tt.pt, SequenceNumber: 1}, Payload: make([]byte, 160)}).Marshal()
			if _, err := calmline.WriteToUDPAddrPort(b, c.UDP.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
				t.Fatal(err)
			}
			p, err := c.ReadRTP(time.Now().Add(2 * time.Second))
			if !errors.Is(err, tt.want) || p.PayloadType != tt.pt {
				t.Errorf("ReadRTP = pt %d, %v; want pt %d, %v", p.PayloadType, err, tt.pt, tt.want)
			}
		})
	}
}

func TestEncodeDecodeG711RoundTrip(t *testing.T) {
	for _, format := range []string{"ulaw", "alaw"} {
		pcm := make([]int16, 320)
		for i := range pcm {
			pcm[i] = int16(i*37 - 6000)
		}
		pt := uint8(0)
		if format == "alaw" {
			pt = 8
		}
		got := Decode(rtp.Packet{Header: rtp.Header{PayloadType: pt}, Payload: encode(format, pcm)})
		if len(got) != len(pcm) {
			t.Fatalf("%s: %d samples, want %d", format, len(got), len(pcm))
		}
		for i := 0; i < len(pcm); i += 2 {
			mean := (int32(pcm[i]) + int32(pcm[i+1])) / 2
			if d := int32(got[i]) - mean; d > 300 || d < -300 {
				t.Fatalf("%s sample %d: %d, want about %d", format, i, got[i], mean)
			}
		}
	}
}
