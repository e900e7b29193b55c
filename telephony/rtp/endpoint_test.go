package rtp

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/calmline/calmline/telephony"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var loopback = netip.MustParseAddrPort("127.0.0.1:0")

// peer is a fake Asterisk: a UDP socket that sends slin16 RTP to the endpoint.
type peer struct {
	t    *testing.T
	conn *net.UDPConn
	to   netip.AddrPort
}

func newPeer(t *testing.T, to netip.AddrPort) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(loopback))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c, to: to}
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// packet builds a slin16 packet whose samples all equal seq, so the order
// of frames read back is visible.
func packet(seq uint16, pt uint8) []byte {
	payload := make([]byte, 640)
	for i := 0; i < 320; i++ {
		binary.BigEndian.PutUint16(payload[2*i:], seq)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 320, SSRC: 7}, Payload: payload}
	b, _ := p.Marshal()
	return b
}

func (p *peer) send(b []byte) {
	if _, err := p.conn.WriteToUDPAddrPort(b, p.to); err != nil {
		p.t.Fatal(err)
	}
}

func TestJitterBufferReordersConcealsAndFilters(t *testing.T) {
	e, err := Listen(loopback, Config{Delay: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	asterisk := newPeer(t, e.LocalAddr())
	stranger := newPeer(t, e.LocalAddr())
	e.SetRemote(asterisk.addr())

	// Burst: 100, 102, 101 (reordered), 101 again (duplicate), 104 (103 lost),
	// a stranger's 103, a truncated packet, a wrong payload type.
	asterisk.send(packet(100, 118))
	asterisk.send(packet(102, 118))
	asterisk.send(packet(101, 118))
	asterisk.send(packet(101, 118))
	stranger.send(packet(103, 118))
	asterisk.send(packet(104, 118)[:7])
	asterisk.send(packet(103, 0))
	asterisk.send(packet(104, 118))
	time.Sleep(30 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	frame := make([]int16, telephony.FrameSamples)
	var got []int16
	for len(got) < 5 {
		if err := e.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
		if frame[0] == 0 && len(got) == 0 {
			continue // silence before the first packet was buffered
		}
		got = append(got, frame[0])
		for _, s := range frame {
			if s != frame[0] {
				t.Fatalf("frame mixes samples: %v", frame[:4])
			}
		}
	}
	want := []int16{100, 101, 102, 0, 104}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frames = %v, want %v", got, want)
		}
	}
	// A late packet for a frame already played is dropped.
	asterisk.send(packet(103, 118))
	time.Sleep(20 * time.Millisecond)
	st := e.Stats()
	if st.Received != 4 || st.Duplicate != 1 || st.WrongPeer != 1 || st.Malformed != 2 || st.Late != 1 || st.Concealed < 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestReadFrameKeepsTimeWithoutAudio(t *testing.T) {
	e, err := Listen(loopback, Config{Delay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	frame := make([]int16, telephony.FrameSamples)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	for i := 0; i < 5; i++ {
		if err := e.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Fatalf("5 silent frames came in %v, want paced at ~20 ms", el)
	}
	if st := e.Stats(); st.Concealed != 5 {
		t.Fatalf("concealed = %d", st.Concealed)
	}
	if err := e.ReadFrame(ctx, frame[:10]); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("short frame err = %v", err)
	}
}

func TestPlayPacesAndNumbers(t *testing.T) {
	e, err := Listen(loopback, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	asterisk := newPeer(t, e.LocalAddr())
	if err := e.Play(context.Background(), make([]int16, 320)); !errors.Is(err, ErrNoRemote) {
		t.Fatalf("Play without remote: %v", err)
	}
	e.SetRemote(asterisk.addr())
	pcm := make([]int16, 5*320+100) // 5 frames and a partial one
	for i := range pcm {
		pcm[i] = int16(i)
	}
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- e.Play(context.Background(), pcm) }()
	var pkts []rtp.Packet
	var arrivals []time.Duration
	buf := make([]byte, 1500)
	asterisk.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for len(pkts) < 6 {
		n, err := asterisk.conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
		arrivals = append(arrivals, time.Since(start))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		if p.PayloadType != 118 || len(p.Payload) != 640 || p.SSRC != pkts[0].SSRC {
			t.Fatalf("packet %d: pt %d len %d ssrc %x", i, p.PayloadType, len(p.Payload), p.SSRC)
		}
		if i > 0 && (p.SequenceNumber != pkts[i-1].SequenceNumber+1 || p.Timestamp != pkts[i-1].Timestamp+320) {
			t.Fatalf("packet %d: seq %d ts %d after %d %d", i, p.SequenceNumber, p.Timestamp, pkts[i-1].SequenceNumber, pkts[i-1].Timestamp)
		}
		first := int16(binary.BigEndian.Uint16(p.Payload))
		if first != int16(i*320) {
			t.Fatalf("packet %d first sample %d (big-endian)", i, first)
		}
	}
	if !pkts[0].Marker || pkts[1].Marker {
		t.Fatal("marker bit should start the talk spurt only")
	}
	if arrivals[5] < 90*time.Millisecond {
		t.Fatalf("6 frames arrived within %v: not paced", arrivals[5])
	}
	// Barge-in: a cancelled context stops playback.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Play(ctx, pcm); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Play = %v", err)
	}
}

func TestListenRangeAndClose(t *testing.T) {
	host := netip.MustParseAddr("127.0.0.1")
	a, err := ListenRange(host, 41000, 41001, 0, Config{})
	if err != nil {
		t.Skipf("ports busy on this machine: %v", err)
	}
	b, err := ListenRange(host, 41000, 41001, 0, Config{})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	if a.LocalAddr().Port() == b.LocalAddr().Port() {
		t.Fatal("same port twice")
	}
	if _, err := ListenRange(host, 41000, 41001, 0, Config{}); !errors.Is(err, ErrNoPort) {
		t.Fatalf("third endpoint: %v, want ErrNoPort", err)
	}
	a.Close()
	b.Close()
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.ReadFrame(context.Background(), make([]int16, 320)); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadFrame after Close: %v", err)
	}
	c, err := ListenRange(host, 41000, 41001, 1, Config{})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	c.Close()
}

// The steady-state packet path (parse, reorder, decode, read) allocates nothing.
func TestPacketPathAllocatesNothing(t *testing.T) {
	e, err := Listen(loopback, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	e.SetRemote(from)
	frame := make([]int16, telephony.FrameSamples)
	var pkt rtp.Packet
	bufs := make([][]byte, 64)
	for i := range bufs {
		bufs[i] = packet(uint16(i), 118)
	}
	ctx := context.Background()
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		b := bufs[i%len(bufs)]
		binary.BigEndian.PutUint16(b[2:], uint16(i))
		e.handle(b, from, &pkt)
		if err := e.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet", allocs)
	}
	e.SetRemote(from)
	e.txPkt.Payload = nil
	wallocs := testing.AllocsPerRun(50, func() {
		if err := e.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
	})
	if wallocs != 0 {
		t.Fatalf("%.1f allocations per sent frame", wallocs)
	}
}

func BenchmarkReceivePath(b *testing.B) {
	e, err := Listen(loopback, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	e.SetRemote(from)
	frame := make([]int16, telephony.FrameSamples)
	buf := packet(0, 118)
	var pkt rtp.Packet
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint16(buf[2:], uint16(i))
		e.handle(buf, from, &pkt)
		if err := e.ReadFrame(ctx, frame); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzPacket(f *testing.F) {
	f.Add(packet(1, 118))
	f.Add(packet(2, 118)[:12])
	f.Add([]byte{0x80})
	f.Add([]byte{0xbf, 0x76, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e := newEndpoint(nil, Config{})
		from := netip.MustParseAddrPort("127.0.0.1:4000")
		e.SetRemote(from)
		var pkt rtp.Packet
		e.handle(b, from, &pkt)
		e.handle(b, from, &pkt)
		st := e.Stats()
		if st.Received+st.Malformed+st.Duplicate+st.Late != 2 {
			t.Fatalf("packet unaccounted: %+v", st)
		}
	})
}

// A burst larger than the buffer (reader stalled) drops only the oldest
// frames; a jump far ahead restarts the stream.
func TestJitterBufferOverflow(t *testing.T) {
	e := newEndpoint(nil, Config{JitterFrames: 4, Delay: time.Millisecond})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	e.SetRemote(from)
	var pkt rtp.Packet
	for seq := uint16(10); seq < 16; seq++ { // 6 packets into 4 slots
		e.handle(packet(seq, 118), from, &pkt)
	}
	frame := make([]int16, telephony.FrameSamples)
	ctx := context.Background()
	var got []int16
	for i := 0; i < 4; i++ {
		if err := e.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
		got = append(got, frame[0])
	}
	if got[0] != 12 || got[3] != 15 {
		t.Fatalf("after overflow read %v, want 12..15", got)
	}
	e.handle(packet(1000, 118), from, &pkt)
	if err := e.ReadFrame(ctx, frame); err != nil || frame[0] != 1000 {
		t.Fatalf("after a jump read %d (%v), want 1000", frame[0], err)
	}
	if st := e.Stats(); st.Overflow != 2 || st.Played != 5 {
		t.Fatalf("stats = %+v", st)
	}
}

func BenchmarkSendFrame(b *testing.B) {
	e, err := Listen(loopback, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	sink, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(loopback))
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	e.SetRemote(sink.LocalAddr().(*net.UDPAddr).AddrPort())
	frame := make([]int16, telephony.FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.WriteFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// A new SSRC, or a sequence number far behind, restarts the stream instead
// of being dropped as late forever.
func TestStreamRestart(t *testing.T) {
	e := newEndpoint(nil, Config{Delay: time.Millisecond})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	e.SetRemote(from)
	var pkt rtp.Packet
	frame := make([]int16, telephony.FrameSamples)
	ctx := context.Background()
	read := func() int16 {
		t.Helper()
		if err := e.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
		return frame[0]
	}
	e.handle(packet(5000, 118), from, &pkt)
	if got := read(); got != 5000 {
		t.Fatalf("first frame %d", got)
	}
	// Same SSRC, far back: a restarted sender.
	e.handle(packet(20, 118), from, &pkt)
	if got := read(); got != 20 {
		t.Fatalf("after a jump back read %d, want 20", got)
	}
	// A little back: just late.
	e.handle(packet(15, 118), from, &pkt)
	// New SSRC with a lower sequence number.
	b := packet(3, 118)
	binary.BigEndian.PutUint32(b[8:], 99)
	e.handle(b, from, &pkt)
	if got := read(); got != 3 {
		t.Fatalf("after a new SSRC read %d, want 3", got)
	}
	if st := e.Stats(); st.Resyncs != 2 || st.Late != 1 {
		t.Fatalf("stats = %+v", st)
	}
}
