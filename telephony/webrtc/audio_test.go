package webrtc

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hraban/opus"
	"github.com/pion/rtp"

	"github.com/calmline/calmline/telephony"
)

func TestFrameQueue(t *testing.T) {
	q := newFrameQueue(3)
	f := make([]int16, telephony.FrameSamples)
	for i := 1; i <= 5; i++ { // 5 into 3 slots: the two oldest are dropped
		f[0] = int16(i)
		q.push(f)
	}
	if d := q.droppedFrames(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}
	done := make(chan struct{})
	got := make([]int16, telephony.FrameSamples)
	for _, want := range []int16{3, 4, 5} {
		if err := q.pop(context.Background(), got, done); err != nil || got[0] != want {
			t.Fatalf("pop = %d, %v; want %d", got[0], err, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.pop(ctx, got, done); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pop on empty queue: %v, want deadline", err)
	}
	f[0] = 9
	q.push(f)
	close(done)
	if err := q.pop(context.Background(), got, done); err != nil || got[0] != 9 {
		t.Fatalf("pop after done with a frame left: %d, %v; want 9", got[0], err)
	}
	if err := q.pop(context.Background(), got, done); !errors.Is(err, io.EOF) {
		t.Fatalf("pop after done: %v, want io.EOF", err)
	}
}

// opusPackets encodes n 20 ms frames of a 300 Hz tone at 48 kHz, like a browser.
func opusPackets(t testing.TB, n int) [][]byte {
	t.Helper()
	enc, err := opus.NewEncoder(48000, 1, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	pcm := make([]int16, 960)
	for i := 0; i < n; i++ {
		for j := range pcm {
			pcm[j] = int16(6000 * math.Sin(2*math.Pi*300*float64(i*960+j)/48000))
		}
		b := make([]byte, 1500)
		m, err := enc.Encode(pcm, b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b[:m])
	}
	return out
}

// The receiver turns 48 kHz Opus into 16 kHz frames and fills lost packets with
// concealment so time keeps moving; late and empty packets are ignored.
func TestReceiverLossAndOrder(t *testing.T) {
	pk := opusPackets(t, 10)
	tests := []struct {
		name   string
		seq    []int // which packets arrive, in order (index = RTP sequence)
		frames int
	}{
		{"in order", []int{0, 1, 2, 3, 4}, 5},
		{"two lost", []int{0, 1, 4, 5}, 6},
		{"late packet dropped", []int{0, 1, 2, 1, 3}, 4},
		{"duplicate dropped", []int{0, 0, 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := 0
			r, err := newReceiver(func(f []int16) {
				if len(f) != telephony.FrameSamples {
					t.Fatalf("frame of %d samples", len(f))
				}
				frames++
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range tt.seq {
				r.handle(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: uint32(1000 + 960*i)}, Payload: pk[i]})
			}
			r.handle(&rtp.Packet{Header: rtp.Header{Timestamp: 99}, Payload: nil})
			if frames != tt.frames {
				t.Fatalf("%d frames, want %d", frames, tt.frames)
			}
		})
	}
}

// A long gap (silence suppression, a restarted stream) is not "concealed" for seconds.
func TestReceiverLongGap(t *testing.T) {
	pk := opusPackets(t, 2)
	frames := 0
	r, _ := newReceiver(func([]int16) { frames++ })
	r.handle(&rtp.Packet{Header: rtp.Header{Timestamp: 0}, Payload: pk[0]})
	r.handle(&rtp.Packet{Header: rtp.Header{Timestamp: 48000 * 10}, Payload: pk[1]})
	if frames != 2 {
		t.Fatalf("%d frames, want 2", frames)
	}
}

func TestPaceAndMix(t *testing.T) {
	pcm := make([]int16, telephony.FrameSamples*5+10) // 6 frames, the last padded
	for i := range pcm {
		pcm[i] = 1
	}
	var frames int
	var last []int16
	start := time.Now()
	err := pace(context.Background(), pcm, make([]int16, telephony.FrameSamples), func(f []int16) error {
		frames++
		last = append(last[:0], f...)
		return nil
	})
	if err != nil || frames != 6 {
		t.Fatalf("pace: %d frames, %v; want 6", frames, err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("6 frames sent in %v, want paced at 20 ms (>= 100 ms)", el)
	}
	if last[9] != 1 || last[10] != 0 {
		t.Fatalf("last frame not padded with silence: %v", last[:12])
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = pace(ctx, make([]int16, 16000), make([]int16, telephony.FrameSamples), func([]int16) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Fatalf("cancelled pace: %d frames, %v", n, err)
	}
	a := []int16{30000, -30000, 5}
	mixInto(a, []int16{10000, -10000, -6})
	if a[0] != 32767 || a[1] != -32768 || a[2] != -1 {
		t.Fatalf("mixInto = %v", a)
	}
}

func TestLangHintAndClean(t *testing.T) {
	tests := []struct{ url, header, accept, want string }{
		{"/?lang=zh", "", "", "zh"},
		{"/?lang=en-GB", "", "", "en"},
		{"/", "zh-CN", "", "zh"},
		{"/", "", "zh-TW,zh;q=0.9,en;q=0.8", "zh"},
		{"/", "", "en-US;q=0.9", "en"},
		{"/?lang=<script>", "", "", ""},
		{"/?lang=english", "", "", ""},
		{"/", "", "", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, tt.url, nil)
		if tt.header != "" {
			r.Header.Set("X-Calmline-Lang", tt.header)
		}
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if got := langHint(r); got != tt.want {
			t.Errorf("langHint(%s, %q, %q) = %q, want %q", tt.url, tt.header, tt.accept, got, tt.want)
		}
	}
	if got := clean("  bob\x00\x07 smith  ", 64); got != "bob smith" {
		t.Errorf("clean = %q", got)
	}
	if got := clean("张三李四", 2); got != "张三" {
		t.Errorf("clean(2) = %q", got)
	}
}

// FuzzCheckOffer: any body is either accepted as an Opus offer or refused with one
// of the two sentinels, never a panic.
func FuzzCheckOffer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n")
	f.Add("v=0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		err := checkOffer(s)
		if err != nil && !errors.Is(err, ErrBadOffer) && !errors.Is(err, ErrNoOpus) {
			t.Fatalf("checkOffer: %v", err)
		}
	})
}

// FuzzReceiver feeds hostile RTP payloads to the decoder path.
func FuzzReceiver(f *testing.F) {
	for _, p := range opusPackets(f, 3) {
		f.Add(p, uint32(960))
	}
	f.Add([]byte{0xff, 0xff, 0xff}, uint32(1))
	f.Fuzz(func(t *testing.T, payload []byte, ts uint32) {
		r, err := newReceiver(func(f []int16) {
			if len(f) != telephony.FrameSamples {
				t.Fatalf("frame of %d", len(f))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		r.handle(&rtp.Packet{Header: rtp.Header{Timestamp: ts}, Payload: payload})
		r.handle(&rtp.Packet{Header: rtp.Header{Timestamp: ts + 960*3}, Payload: payload})
	})
}

// BenchmarkReceiveFrame is the caller → pipeline hot path: one 20 ms Opus packet
// decoded to a 16 kHz frame, queued, and read back by ReadFrame.
func BenchmarkReceiveFrame(b *testing.B) {
	pk := opusPackets(b, 50)
	q := newFrameQueue(queueFrames)
	r, err := newReceiver(func(f []int16) { q.push(f) })
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int16, telephony.FrameSamples)
	done := make(chan struct{})
	p := &rtp.Packet{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Timestamp = uint32(960 * i)
		p.Payload = pk[i%len(pk)]
		r.handle(p)
		if err := q.pop(context.Background(), out, done); err != nil {
			b.Fatal(err)
		}
	}
}
