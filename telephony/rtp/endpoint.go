// Package rtp is calmline's RTP endpoint for Asterisk ExternalMedia: one UDP
// socket per call, a small jitter buffer that turns the caller's packets into
// steady 20 ms frames of 16 kHz PCM, and a paced sender for replies.
//
// The packet path allocates nothing in steady state: one receive buffer, one
// reused rtp.Packet, and frame slots owned by the jitter buffer.
package rtp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/calmline/calmline/telephony"
)

// Config shapes one endpoint. The zero value of each field has a default.
type Config struct {
	// Codec of both directions; default slin16 (what calmline asks Asterisk for).
	Codec Codec
	// JitterFrames is how many 20 ms frames the jitter buffer holds (reorder
	// window and burst capacity); default 16 (320 ms). It adds no latency
	// while packets arrive in order: a frame is delivered as soon as it is
	// next. Delay, not this, bounds how long a missing packet is waited for.
	JitterFrames int
	// Delay is how long ReadFrame waits for a missing packet before it plays
	// silence in its place; default 60 ms.
	Delay time.Duration
	// Logger receives rate-limited warnings; default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Codec == CodecUnknown {
		c.Codec = CodecSlin16
	}
	if c.JitterFrames <= 0 {
		c.JitterFrames = 16
	}
	if c.JitterFrames > 64 {
		c.JitterFrames = 64
	}
	if c.Delay <= 0 {
		c.Delay = 60 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Stats counts what happened to packets, for logs, metrics and tests.
type Stats struct {
	Received   uint64 // packets accepted into the jitter buffer
	Played     uint64 // frames delivered from packets
	Concealed  uint64 // frames delivered as silence (loss or late)
	Late       uint64 // packets dropped because their frame was already played
	Duplicate  uint64 // packets for a slot already filled
	Overflow   uint64 // buffered packets dropped because a burst overran the buffer
	Resyncs    uint64 // times the stream restarted (new SSRC, sequence jump back)
	WrongPeer  uint64 // packets from an address other than the remote
	Malformed  uint64 // truncated or unparsable packets, wrong payload type
	Sent       uint64 // packets sent
	SendErrors uint64 // failed UDP writes
}

// resyncBack is how far back (in packets) a sequence number may jump before
// it is taken as a restarted stream rather than a late packet: 2 s.
const resyncBack = 100

type slot struct {
	seq  uint16
	full bool
	pcm  [telephony.FrameSamples]int16
}

// Endpoint is one call's RTP socket. ReadFrame must be called from one
// goroutine and Play from one goroutine (they may differ).
type Endpoint struct {
	cfg  Config
	conn *net.UDPConn
	log  *slog.Logger

	remote atomic.Pointer[netip.AddrPort]

	mu      sync.Mutex
	slots   []slot
	next    uint16 // sequence number ReadFrame delivers next
	synced  bool   // next is valid (first packet seen)
	maxSeen uint16 // highest sequence number buffered
	ssrc    uint32 // the stream being played
	dueAt   time.Time
	closed  bool
	arrived chan struct{} // capacity 1: a packet was buffered
	done    chan struct{}
	rx      transcoder
	st      Stats

	readTimer *time.Timer

	// sender state, owned by the Play goroutine
	tx        transcoder
	txPkt     rtp.Packet
	txBuf     []byte
	txPayload []byte
	txTimer   *time.Timer
	lastSent  time.Time

	wg sync.WaitGroup
}

// Listen opens an endpoint on addr ("127.0.0.1:0" picks a free port) and
// starts receiving. Close releases the port and the receive goroutine.
func Listen(addr netip.AddrPort, cfg Config) (*Endpoint, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, fmt.Errorf("rtp: listen on %v: %w", addr, err)
	}
	return newEndpoint(conn, cfg), nil
}

// ListenRange opens an endpoint on host at the first free port of
// [from, to], starting the search at start (so successive calls spread over
// the range). It returns ErrNoPort when every port is busy.
func ListenRange(host netip.Addr, from, to, start int, cfg Config) (*Endpoint, error) {
	if from <= 0 || to < from {
		return Listen(netip.AddrPortFrom(host, 0), cfg)
	}
	n := to - from + 1
	for i := 0; i < n; i++ {
		p := from + (start+i)%n
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(host, uint16(p))))
		if err == nil {
			return newEndpoint(conn, cfg), nil
		}
	}
	return nil, fmt.Errorf("%w %d-%d on %v", ErrNoPort, from, to, host)
}

func newEndpoint(conn *net.UDPConn, cfg Config) *Endpoint {
	cfg = cfg.withDefaults()
	e := &Endpoint{
		cfg:       cfg,
		conn:      conn,
		log:       cfg.Logger,
		slots:     make([]slot, cfg.JitterFrames),
		arrived:   make(chan struct{}, 1),
		done:      make(chan struct{}),
		rx:        transcoder{codec: cfg.Codec},
		tx:        transcoder{codec: cfg.Codec},
		txBuf:     make([]byte, 12+cfg.Codec.PayloadBytes()),
		txPayload: make([]byte, cfg.Codec.PayloadBytes()),
		dueAt:     time.Now().Add(cfg.Delay),
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	e.txPkt.Header = rtp.Header{
		Version:        2,
		PayloadType:    cfg.Codec.PayloadType(),
		SSRC:           binary.BigEndian.Uint32(b[0:]),
		SequenceNumber: binary.BigEndian.Uint16(b[4:]),
		Timestamp:      binary.BigEndian.Uint32(b[4:]) ^ 0x5a5a5a5a,
		Marker:         true,
	}
	if conn != nil { // nil only in the fuzz test, which calls handle directly
		e.wg.Add(1)
		go e.receive()
	}
	return e
}

// LocalAddr is the address to give Asterisk as external_host.
func (e *Endpoint) LocalAddr() netip.AddrPort {
	return e.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SetRemote sets where replies go and the only source accepted for caller
// audio (Asterisk's UNICASTRTP_LOCAL_ADDRESS/PORT). Packets that arrive
// before it is set are counted as WrongPeer and dropped.
func (e *Endpoint) SetRemote(ap netip.AddrPort) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	e.remote.Store(&ap)
}

// Remote returns the remote address, if set.
func (e *Endpoint) Remote() (netip.AddrPort, bool) {
	p := e.remote.Load()
	if p == nil {
		return netip.AddrPort{}, false
	}
	return *p, true
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// Done is closed when the endpoint is closed.
func (e *Endpoint) Done() <-chan struct{} { return e.done }

// Close releases the socket and waits for the receive goroutine. It is
// idempotent.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.done)
	e.mu.Unlock()
	err := e.conn.Close()
	e.wg.Wait()
	if err != nil {
		return fmt.Errorf("rtp: close: %w", err)
	}
	return nil
}

func (e *Endpoint) receive() {
	defer e.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, from, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-e.done:
				return
			default:
			}
			continue // ICMP errors and the like: keep listening
		}
		e.handle(buf[:n], from, &pkt)
	}
}

// handle is the per-packet path; it is split out so the fuzz test drives
// exactly what the socket does.
func (e *Endpoint) handle(b []byte, from netip.AddrPort, pkt *rtp.Packet) {
	rp := e.remote.Load()
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if rp == nil || !peerMatches(*rp, from) {
		e.mu.Lock()
		e.st.WrongPeer++
		e.mu.Unlock()
		return
	}
	if err := pkt.Unmarshal(b); err != nil || pkt.Version != 2 || pkt.PayloadType != e.cfg.Codec.PayloadType() ||
		len(pkt.Payload) == 0 || len(pkt.Payload) > e.cfg.Codec.PayloadBytes() {
		e.mu.Lock()
		e.st.Malformed++
		e.mu.Unlock()
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	seq := pkt.SequenceNumber
	if e.synced && (pkt.SSRC != e.ssrc || int16(seq-e.next) < -resyncBack) {
		// A new stream (Asterisk re-created its RTP instance) or a jump far
		// back: its sequence numbers say nothing about the old ones, so
		// start over instead of dropping everything as late.
		for i := range e.slots {
			if e.slots[i].full {
				e.slots[i].full = false
				e.st.Overflow++
			}
		}
		e.st.Resyncs++
		e.synced = false
	}
	if !e.synced {
		e.ssrc = pkt.SSRC
		e.synced = true
		e.next = seq
		e.maxSeen = seq
		if at := time.Now().Add(e.cfg.Delay); at.After(e.dueAt) {
			e.dueAt = at
		}
	}
	d := int16(seq - e.next)
	switch {
	case d < 0:
		e.st.Late++
		return
	case int(d) >= 2*len(e.slots):
		// Far ahead: a jump in the stream (new SSRC, long gap). Drop what is
		// buffered and restart from this packet rather than conceal forever.
		for i := range e.slots {
			if e.slots[i].full {
				e.slots[i].full = false
				e.st.Overflow++
			}
		}
		e.next = seq
		e.maxSeen = seq
	case int(d) >= len(e.slots):
		// A burst bigger than the buffer (the reader stalled): slide the
		// window, dropping only the oldest frames that no longer fit.
		e.next = seq - uint16(len(e.slots)) + 1
		for i := range e.slots {
			if s := &e.slots[i]; s.full && int16(s.seq-e.next) < 0 {
				s.full = false
				e.st.Overflow++
			}
		}
	}
	s := &e.slots[int(seq)%len(e.slots)]
	if s.full && s.seq == seq {
		e.st.Duplicate++
		return
	}
	s.seq, s.full = seq, true
	n := e.rx.decode(pkt.Payload, s.pcm[:])
	clear(s.pcm[n:])
	if int16(seq-e.maxSeen) > 0 {
		e.maxSeen = seq
	}
	e.st.Received++
	select {
	case e.arrived <- struct{}{}:
	default:
	}
}

// peerMatches accepts packets from the remote; an unspecified remote IP
// (Asterisk bound to 0.0.0.0) matches on the port alone.
func peerMatches(remote, from netip.AddrPort) bool {
	if remote.Addr().IsUnspecified() {
		return remote.Port() == from.Port()
	}
	return remote == from
}

// ReadFrame implements telephony.Leg.ReadFrame for the caller's audio: the
// next 20 ms in sequence order, or silence when its packet is lost or too
// late. It returns ErrClosed after Close.
func (e *Endpoint) ReadFrame(ctx context.Context, frame []int16) error {
	if len(frame) != telephony.FrameSamples {
		return ErrFrameSize
	}
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return ErrClosed
		}
		now := time.Now()
		var wait time.Duration
		if e.synced {
			s := &e.slots[int(e.next)%len(e.slots)]
			if s.full && s.seq == e.next {
				copy(frame, s.pcm[:])
				s.full = false
				e.advance(now)
				e.st.Played++
				e.mu.Unlock()
				return nil
			}
			if !now.Before(e.dueAt) {
				// The frame is overdue: conceal it so time keeps moving. Skip
				// its sequence number only when a later packet is already
				// here (it was lost); otherwise the sender is just late (its
				// clock runs slower than ours) and the packet still counts.
				clear(frame)
				if int16(e.maxSeen-e.next) > 0 {
					e.advance(now)
				} else {
					e.dueAt = now.Add(telephony.FrameDuration)
				}
				e.st.Concealed++
				e.mu.Unlock()
				return nil
			}
			wait = e.dueAt.Sub(now)
		} else {
			// Nothing received yet: silence in real time until audio starts.
			if !now.Before(e.dueAt) {
				clear(frame)
				e.dueAt = e.dueAt.Add(telephony.FrameDuration)
				if e.dueAt.Before(now) {
					e.dueAt = now.Add(telephony.FrameDuration)
				}
				e.st.Concealed++
				e.mu.Unlock()
				return nil
			}
			wait = e.dueAt.Sub(now)
		}
		e.mu.Unlock()
		if err := e.wait(ctx, wait); err != nil {
			return err
		}
	}
}

// advance moves to the next frame; caller holds mu.
func (e *Endpoint) advance(now time.Time) {
	e.next++
	e.dueAt = e.dueAt.Add(telephony.FrameDuration)
	if e.dueAt.Before(now) {
		// The reader fell behind real time (or the caller sent nothing for a
		// while): restart the clock instead of emitting a burst of silence.
		e.dueAt = now.Add(telephony.FrameDuration)
	}
}

func (e *Endpoint) wait(ctx context.Context, d time.Duration) error {
	var tc <-chan time.Time
	if d >= 0 {
		if e.readTimer == nil {
			e.readTimer = time.NewTimer(d)
		} else {
			e.readTimer.Reset(d)
		}
		tc = e.readTimer.C
		defer e.readTimer.Stop()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return ErrClosed
	case <-e.arrived:
		return nil
	case <-tc:
		return nil
	}
}

// Play sends pcm (16 kHz) as 20 ms packets paced at real time. A last partial
// frame is padded with silence. It returns when everything was sent, or
// early with ctx's error (barge-in).
func (e *Endpoint) Play(ctx context.Context, pcm []int16) error {
	start := time.Now()
	if gap := start.Sub(e.lastSent); !e.lastSent.IsZero() && gap > 2*telephony.FrameDuration {
		// Keep the timestamp moving across silence between replies so the
		// far end's jitter buffer sees a talk spurt, not a clock jump.
		frames := uint32(gap / telephony.FrameDuration)
		e.txPkt.Timestamp += frames * uint32(e.cfg.Codec.ClockRate()/50)
		e.txPkt.Marker = true
	}
	var frame [telephony.FrameSamples]int16
	for i := 0; i < len(pcm); i += telephony.FrameSamples {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := pcm[i:min(i+telephony.FrameSamples, len(pcm))]
		if len(chunk) < telephony.FrameSamples {
			copy(frame[:], chunk)
			clear(frame[len(chunk):])
			chunk = frame[:]
		}
		if err := e.WriteFrame(chunk); err != nil {
			return err
		}
		due := start.Add(time.Duration(i/telephony.FrameSamples+1) * telephony.FrameDuration)
		if d := time.Until(due); d > 0 {
			if e.txTimer == nil {
				e.txTimer = time.NewTimer(d)
			} else {
				e.txTimer.Reset(d)
			}
			select {
			case <-ctx.Done():
				e.txTimer.Stop()
				return ctx.Err()
			case <-e.done:
				e.txTimer.Stop()
				return ErrClosed
			case <-e.txTimer.C:
			}
		}
	}
	return nil
}

// WriteFrame sends one 20 ms frame now, without pacing (Play paces).
func (e *Endpoint) WriteFrame(frame []int16) error {
	if len(frame) != telephony.FrameSamples {
		return ErrFrameSize
	}
	rp := e.remote.Load()
	if rp == nil {
		return ErrNoRemote
	}
	select {
	case <-e.done:
		return ErrClosed
	default:
	}
	n := e.tx.encode(frame, e.txPayload)
	e.txPkt.Payload = e.txPayload[:n]
	m, err := e.txPkt.MarshalTo(e.txBuf)
	e.txPkt.SequenceNumber++
	e.txPkt.Timestamp += uint32(e.cfg.Codec.ClockRate() / 50)
	e.txPkt.Marker = false
	if err != nil {
		return fmt.Errorf("rtp: marshal: %w", err)
	}
	_, err = e.conn.WriteToUDPAddrPort(e.txBuf[:m], *rp)
	e.lastSent = time.Now()
	e.mu.Lock()
	if err != nil {
		e.st.SendErrors++
	} else {
		e.st.Sent++
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("rtp: send to %v: %w", *rp, err)
	}
	return nil
}
