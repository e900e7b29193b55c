package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hraban/opus"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/calmline/calmline/telephony"
)

// Opus on the wire: RTP clock 48 kHz whatever the sample rate we decode at.
const (
	opusClock        = 48000
	rtpPerSample     = opusClock / telephony.SampleRate  // RTP ticks per 16 kHz sample
	maxOpusSamples   = telephony.SampleRate * 120 / 1000 // longest Opus packet (120 ms) at 16 kHz
	maxConcealFrames = 25                                // conceal at most 0.5 s of loss; longer gaps are skipped
	queueFrames      = 50                                // 1 s of caller audio buffered for ReadFrame
)

// frameQueue is a bounded ring of 20 ms frames with preallocated storage, so the
// audio path allocates nothing per frame. When the consumer lags it drops the
// oldest frame (live audio: late is worse than lost) and counts it.
type frameQueue struct {
	mu      sync.Mutex
	buf     [][]int16
	head, n int
	dropped uint64
	ready   chan struct{}
}

func newFrameQueue(frames int) *frameQueue {
	q := &frameQueue{buf: make([][]int16, frames), ready: make(chan struct{}, 1)}
	store := make([]int16, frames*telephony.FrameSamples)
	for i := range q.buf {
		q.buf[i] = store[i*telephony.FrameSamples : (i+1)*telephony.FrameSamples]
	}
	return q
}

// push copies f into the queue; it reports whether the oldest frame was dropped to make room.
func (q *frameQueue) push(f []int16) (dropped bool) {
	q.mu.Lock()
	if q.n == len(q.buf) {
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.dropped++
		dropped = true
	}
	copy(q.buf[(q.head+q.n)%len(q.buf)], f)
	q.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// tryPop copies the oldest frame into dst and reports whether there was one.
func (q *frameQueue) tryPop(dst []int16) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return false
	}
	copy(dst, q.buf[q.head])
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return true
}

// pop blocks for the next frame; once done is closed and the queue is empty it returns io.EOF.
func (q *frameQueue) pop(ctx context.Context, dst []int16, done <-chan struct{}) error {
	for {
		if q.tryPop(dst) {
			return nil
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			if q.tryPop(dst) {
				return nil
			}
			return io.EOF
		}
	}
}

// Dropped reports frames lost because the reader lagged.
func (q *frameQueue) droppedFrames() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// receiver turns one remote Opus track into canonical 20 ms frames handed to onFrame.
// Lost packets are concealed by the Opus decoder so time keeps moving.
type receiver struct {
	dec     *opus.Decoder
	pcm     []int16 // decode scratch, maxOpusSamples
	acc     []int16 // frame being assembled
	accN    int
	pkt     rtp.Packet
	raw     []byte
	started bool
	nextTS  uint32 // expected RTP timestamp of the next packet
	lastDur int    // samples (16 kHz) of the last decoded packet
	onFrame func(frame []int16)
}

func newReceiver(onFrame func([]int16)) (*receiver, error) {
	dec, err := opus.NewDecoder(telephony.SampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("create opus decoder: %w", err)
	}
	return &receiver{
		dec:     dec,
		pcm:     make([]int16, maxOpusSamples),
		acc:     make([]int16, telephony.FrameSamples),
		raw:     make([]byte, 1500),
		onFrame: onFrame,
	}, nil
}

// run reads the track until it ends (the peer connection closed).
func (r *receiver) run(track *webrtc.TrackRemote) {
	for {
		n, _, err := track.Read(r.raw)
		if err != nil {
			return
		}
		if err := r.pkt.Unmarshal(r.raw[:n]); err != nil {
			continue // hostile or broken packet: skip it
		}
		r.handle(&r.pkt)
	}
}

// handle decodes one RTP packet (with loss concealment for a gap before it).
func (r *receiver) handle(p *rtp.Packet) {
	if len(p.Payload) == 0 {
		return
	}
	if r.started && r.lastDur > 0 {
		gap := int32(p.Timestamp - r.nextTS)
		if gap < 0 {
			return // late or duplicate packet: its time has passed
		}
		missing := int(gap) / rtpPerSample / r.lastDur
		if missing > maxConcealFrames {
			missing = 0 // a long silence or a stream restart, not loss
		}
		for i := 0; i < missing; i++ {
			if err := r.dec.DecodePLC(r.pcm[:r.lastDur]); err != nil {
				break
			}
			r.feed(r.pcm[:r.lastDur])
		}
	}
	n, err := r.dec.Decode(p.Payload, r.pcm)
	if err != nil {
		return
	}
	r.started = true
	r.lastDur = n
	r.nextTS = p.Timestamp + uint32(n*rtpPerSample)
	r.feed(r.pcm[:n])
}

// feed cuts decoded audio into 20 ms frames.
func (r *receiver) feed(s []int16) {
	for len(s) > 0 {
		c := copy(r.acc[r.accN:], s)
		r.accN += c
		s = s[c:]
		if r.accN == len(r.acc) {
			r.onFrame(r.acc)
			r.accN = 0
		}
	}
}

// sender encodes 20 ms frames of 16 kHz PCM to Opus on one local track. It does not
// pace: Play paces the bot's voice, relayed audio arrives paced by the far peer.
type sender struct {
	mu    sync.Mutex
	enc   *opus.Encoder
	track *webrtc.TrackLocalStaticSample
	buf   []byte
	tap   func(frame []int16) // sees every frame sent (supervisor mixers); may be nil
}

func newSender(track *webrtc.TrackLocalStaticSample) (*sender, error) {
	enc, err := opus.NewEncoder(telephony.SampleRate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("create opus encoder: %w", err)
	}
	return &sender{enc: enc, track: track, buf: make([]byte, 1500)}, nil
}

// writeFrame encodes and sends one frame of FrameSamples samples.
func (s *sender) writeFrame(f []int16) error {
	s.mu.Lock()
	n, err := s.enc.Encode(f, s.buf)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("encode opus: %w", err)
	}
	err = s.track.WriteSample(media.Sample{Data: s.buf[:n], Duration: telephony.FrameDuration})
	tap := s.tap
	s.mu.Unlock()
	if tap != nil {
		tap(f)
	}
	if err != nil && !errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("write opus sample: %w", err)
	}
	return nil
}

func (s *sender) setTap(tap func([]int16)) {
	s.mu.Lock()
	s.tap = tap
	s.mu.Unlock()
}

// pace sends pcm frame by frame at real time until done or ctx is cancelled; the last
// partial frame is padded with silence. frame is caller-owned scratch of FrameSamples.
func pace(ctx context.Context, pcm []int16, frame []int16, write func([]int16) error) error {
	start := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for i := 0; len(pcm) > 0; i++ {
		if i > 0 {
			t.Reset(time.Until(start.Add(time.Duration(i) * telephony.FrameDuration)))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		c := copy(frame, pcm)
		clear(frame[c:])
		pcm = pcm[c:]
		if err := write(frame); err != nil {
			return err
		}
	}
	return nil
}

// mixInto adds src to dst with saturation: the supervisor hears both sides at once.
func mixInto(dst, src []int16) {
	for i, v := range src {
		s := int32(dst[i]) + int32(v)
		if s > 32767 {
			s = 32767
		} else if s < -32768 {
			s = -32768
		}
		dst[i] = int16(s)
	}
}
