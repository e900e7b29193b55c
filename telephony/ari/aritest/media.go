package aritest

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/calmline/calmline/audio"
)

// lastStaticPT is the highest static RTP payload type (RFC 3551). A
// UnicastRTP channel — what ExternalMedia creates — has no SDP, so Asterisk
// (checked against 22.9: rtp_engine.c ast_rtp_codecs_get_payload) decodes
// only payload types up to this on receive and silently drops the rest,
// e.g. slin16's dynamic type 118, although it sends slin16 as 118 itself.
const lastStaticPT = 34

// PayloadType is the RTP payload type Asterisk sends for the channel's
// ExternalMedia format.
func (c *Channel) PayloadType() uint8 {
	switch c.Format {
	case "alaw":
		return 8
	case "slin16":
		return 118
	}
	return 0
}

// SendAudio plays 16 kHz pcm to calmline in the channel's format, paced at
// 20 ms, as Asterisk's bridge writes to the ExternalMedia channel; it
// returns the next sequence number.
func (c *Channel) SendAudio(pcm []int16, seq uint16) (uint16, error) {
	const frame = 320
	start := time.Now()
	for i := 0; i+frame <= len(pcm); i += frame {
		payload := encode(c.Format, pcm[i:i+frame])
		samples := uint32(len(payload))
		if c.Format == "slin16" {
			samples /= 2
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.PayloadType(), SequenceNumber: seq, Timestamp: uint32(seq) * samples, SSRC: 0xA5A5}, Payload: payload}
		b, err := p.Marshal()
		if err != nil {
			return seq, err
		}
		if _, err := c.UDP.WriteToUDPAddrPort(b, c.Peer); err != nil {
			return seq, fmt.Errorf("aritest: send RTP: %w", err)
		}
		seq++
		time.Sleep(time.Until(start.Add(time.Duration(i/frame+1) * 20 * time.Millisecond)))
	}
	return seq, nil
}

// ErrUndecodable is returned by ReadRTP for a packet Asterisk would drop.
var ErrUndecodable = errors.New("aritest: Asterisk drops this RTP packet: dynamic payload type on a channel without SDP")

// ReadRTP reads the next RTP packet calmline sent to this ExternalMedia
// channel, as Asterisk would take it: a packet with a dynamic payload type
// is read but reported as ErrUndecodable (Asterisk drops it silently).
func (c *Channel) ReadRTP(deadline time.Time) (rtp.Packet, error) {
	buf := make([]byte, 1500)
	for {
		if err := c.UDP.SetReadDeadline(deadline); err != nil {
			return rtp.Packet{}, err
		}
		n, err := c.UDP.Read(buf)
		if err != nil {
			return rtp.Packet{}, err
		}
		var p rtp.Packet
		if p.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
			continue // Asterisk ignores garbage too
		}
		if p.PayloadType > lastStaticPT {
			return p, fmt.Errorf("%w (%d)", ErrUndecodable, p.PayloadType)
		}
		return p, nil
	}
}

// Decode turns a G.711 payload into 16 kHz samples (each 8 kHz sample
// twice), for checking what reached Asterisk.
func Decode(p rtp.Packet) []int16 {
	out := make([]int16, 0, 2*len(p.Payload))
	for _, b := range p.Payload {
		s := audio.MuLawToLinear(b)
		if p.PayloadType == 8 {
			s = audio.ALawToLinear(b)
		}
		out = append(out, s, s)
	}
	return out
}

func encode(format string, pcm []int16) []byte {
	if format == "slin16" {
		out := make([]byte, 2*len(pcm))
		for i, s := range pcm {
			out[2*i], out[2*i+1] = byte(uint16(s)>>8), byte(s)
		}
		return out
	}
	out := make([]byte, len(pcm)/2)
	for i := range out {
		s := int16((int32(pcm[2*i]) + int32(pcm[2*i+1])) / 2)
		if format == "alaw" {
			out[i] = alaw(s)
		} else {
			out[i] = ulaw(s)
		}
	}
	return out
}

// ulaw and alaw encode by searching the decoder's table for the nearest
// code: slow, but exact and independent of calmline's own encoder.
func ulaw(s int16) byte { return nearest(s, audio.MuLawToLinear) }
func alaw(s int16) byte { return nearest(s, audio.ALawToLinear) }

func nearest(s int16, dec func(byte) int16) byte {
	best, bestD := byte(0), int32(1<<30)
	for i := 0; i < 256; i++ {
		d := int32(dec(byte(i))) - int32(s)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = byte(i), d
		}
	}
	return best
}
