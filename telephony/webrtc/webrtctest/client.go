package webrtctest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hraban/opus"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/calmline/calmline/telephony"
)

// clientRate is the rate the client captures and encodes at, like a browser.
const clientRate = 48000

// Client calls calmline like a browser: pion on loopback, Opus at 48 kHz from a
// paced sender that sends silence between utterances, a data channel for events.
type Client struct {
	PC       *webrtc.PeerConnection
	Location string // session URL from the answer

	speak  chan []int16
	events chan telephony.Event
	raw    chan []byte
	opened chan struct{}
	dc     *webrtc.DataChannel

	mu         sync.Mutex
	lastSpeech time.Time // when the last non-silent frame of the last utterance was sent
	replies    []time.Time
	received   []int16 // decoded audio from calmline, 16 kHz
	packets    int

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// DialOptions shape a test call.
type DialOptions struct {
	Path  string // default "/v1/webrtc/offer"
	Query string // e.g. "lang=en&caller_id=42"
	Token string // bearer token (agent consoles)
	// Recv only: supervisors send no audio.
	RecvOnly bool
}

// Dial offers a call to base (http://127.0.0.1:port) and waits until connected.
func Dial(ctx context.Context, base string, o DialOptions) (*Client, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{PC: pc, speak: make(chan []int16, 4), events: make(chan telephony.Event, 256), raw: make(chan []byte, 256),
		opened: make(chan struct{}), cancel: cancel}
	fail := func(err error) (*Client, error) {
		c.Close()
		return nil, err
	}
	var track *webrtc.TrackLocalStaticSample
	if o.RecvOnly {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fail(err)
		}
	} else {
		track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "client")
		if err != nil {
			return fail(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			return fail(err)
		}
	}
	dc, err := pc.CreateDataChannel("events", nil)
	if err != nil {
		return fail(err)
	}
	c.dc = dc
	dc.OnOpen(func() { close(c.opened) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case c.raw <- append([]byte(nil), m.Data...):
		default:
		}
		var ev telephony.Event
		if json.Unmarshal(m.Data, &ev) == nil {
			select {
			case c.events <- ev:
			default:
			}
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.receive(tr) })
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	<-gathered
	path := o.Path
	if path == "" {
		path = "/v1/webrtc/offer"
	}
	url := base + path
	if o.Query != "" {
		url += "?" + o.Query
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fail(fmt.Errorf("offer: %s: %s", resp.Status, body))
	}
	c.Location = resp.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return fail(err)
	}
	select {
	case <-connected:
	case <-ctx.Done():
		return fail(fmt.Errorf("connect: %w", ctx.Err()))
	}
	if track != nil {
		c.wg.Add(1)
		go c.send(cctx, track)
	}
	return c, nil
}

// Speak queues 48 kHz PCM to be sent after what is already queued.
func (c *Client) Speak(pcm []int16) { c.speak <- pcm }

// SendJSON sends a message on the data channel once it is open.
func (c *Client) SendJSON(ctx context.Context, v any) error {
	select {
	case <-c.opened:
	case <-ctx.Done():
		return ctx.Err()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.dc.SendText(string(b))
}

// send paces 20 ms Opus frames: queued speech, else silence (a browser never stops sending).
func (c *Client) send(ctx context.Context, track *webrtc.TrackLocalStaticSample) {
	defer c.wg.Done()
	enc, err := opus.NewEncoder(clientRate, 1, opus.AppVoIP)
	if err != nil {
		return
	}
	const n = clientRate / 50
	frame := make([]int16, n)
	buf := make([]byte, 1500)
	var cur []int16
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if len(cur) == 0 {
			select {
			case cur = <-c.speak:
			default:
			}
		}
		k := copy(frame, cur)
		clear(frame[k:])
		cur = cur[k:]
		m, err := enc.Encode(frame, buf)
		if err != nil {
			return
		}
		if err := track.WriteSample(media.Sample{Data: buf[:m], Duration: 20 * time.Millisecond}); err != nil {
			return
		}
		if RMS(frame) >= 300 {
			c.mu.Lock()
			c.lastSpeech = time.Now()
			c.mu.Unlock()
		}
	}
}

// receive decodes calmline's audio to 16 kHz and notes when each reply began
// (the first packet after 200 ms without packets).
func (c *Client) receive(tr *webrtc.TrackRemote) {
	dec, err := opus.NewDecoder(telephony.SampleRate, 1)
	if err != nil {
		return
	}
	pcm := make([]int16, 1920)
	var last time.Time
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		n, err := dec.Decode(p.Payload, pcm)
		c.mu.Lock()
		if now.Sub(last) > 200*time.Millisecond {
			c.replies = append(c.replies, now)
		}
		last = now
		c.packets++
		if err == nil {
			c.received = append(c.received, pcm[:n]...)
		}
		c.mu.Unlock()
	}
}

// Events delivers the call events that arrived on the data channel.
func (c *Client) Events() <-chan telephony.Event { return c.events }

// Messages delivers every data channel message as sent (agent console protocol).
func (c *Client) Messages() <-chan []byte { return c.raw }

// Received returns the decoded audio so far and the packet count.
func (c *Client) Received() ([]int16, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.received...), c.packets
}

// LastSpeech is when the last speech frame was sent.
func (c *Client) LastSpeech() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSpeech
}

// ReplyStarts are the arrival times of the first packet of each reply.
func (c *Client) ReplyStarts() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.replies...)
}

// Hangup sends DELETE to the session URL.
func (c *Client) Hangup(ctx context.Context, base string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, base+c.Location, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("hangup: %s", resp.Status)
	}
	return nil
}

// Close stops sending and closes the peer connection.
func (c *Client) Close() {
	c.cancel()
	c.wg.Wait()
	_ = c.PC.Close()
}

// Frequency estimates the dominant frequency of s (16 kHz) by zero crossings.
func Frequency(s []int16) float64 {
	if len(s) < 2 {
		return 0
	}
	z := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			z++
		}
	}
	return float64(z) / 2 / (float64(len(s)) / telephony.SampleRate)
}
