// Package sipptest places and answers real SIP calls through a real Asterisk
// for calmline's integration tests. sipp (Debian sip-tester) does the SIP
// signalling; the test itself owns the caller's media (a Phone: one UDP
// socket that sends μ-law speech and RFC 4733 DTMF and records what Asterisk
// plays back), so a test can measure what really reaches the caller without
// packet capture or root.
package sipptest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/calmline/calmline/audio"
)

// Scenarios, written into each call's working directory.
var (
	//go:embed caller.xml
	callerXML []byte
	//go:embed expert.xml
	expertXML []byte
	//go:embed noanswer.xml
	noAnswerXML []byte
	//go:embed expert_phone.xml
	expertPhoneXML []byte
)

// DTMFPayloadType is the telephone-event payload type the phone offers.
const DTMFPayloadType = 101

// Packet is one RTP packet the phone received.
type Packet struct {
	At          time.Time
	PayloadType uint8
	Loud        bool // μ-law payload above the speech threshold
}

// Phone is the media side of a SIP phone: the test's UDP socket whose port
// the SDP offers.
type Phone struct {
	conn   *net.UDPConn
	remote netip.AddrPort

	mu  sync.Mutex
	got []Packet

	txMu sync.Mutex // one sender at a time: Speak, Silence and DTMF share seq and ts
	seq  uint16
	ts   uint32
	done chan struct{}
}

// NewPhone opens the phone's RTP socket on 127.0.0.1; t.Cleanup closes it.
func NewPhone(t testing.TB) *Phone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("phone RTP socket: %v", err)
	}
	p := &Phone{conn: conn, seq: 1000, ts: 160000, done: make(chan struct{})}
	go p.receive()
	t.Cleanup(func() { conn.Close(); <-p.done })
	return p
}

// Port is the phone's RTP port (what the SDP offers).
func (p *Phone) Port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *Phone) receive() {
	defer close(p.done)
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		p.mu.Lock()
		p.got = append(p.got, Packet{At: time.Now(), PayloadType: pkt.PayloadType, Loud: pkt.PayloadType == 0 && ULawLoud(pkt.Payload)})
		p.mu.Unlock()
	}
}

// Received returns what the phone got so far.
func (p *Phone) Received() []Packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Packet(nil), p.got...)
}

// LoudSince counts voiced μ-law packets received at or after t, and the
// arrival of the first one.
func (p *Phone) LoudSince(t time.Time) (n int, first time.Time) {
	for _, pk := range p.Received() {
		if pk.Loud && !pk.At.Before(t) {
			if n == 0 {
				first = pk.At
			}
			n++
		}
	}
	return n, first
}

// WaitLoud waits until n voiced packets arrived at or after t; it returns
// the first one's arrival time.
func (p *Phone) WaitLoud(ctx context.Context, t time.Time, n int) (time.Time, error) {
	for {
		got, first := p.LoudSince(t)
		if got >= n {
			return first, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("phone heard %d voiced packets, want %d: %w", got, n, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SetRemote sets where the phone sends RTP (Asterisk's media address).
func (p *Phone) SetRemote(ap netip.AddrPort) { p.remote = ap }

// Remote is Asterisk's media address for this phone.
func (p *Phone) Remote() netip.AddrPort { return p.remote }

// Speak sends μ-law audio as 20 ms PCMU packets paced in real time, and
// returns when the last packet left (the caller's end of speech). Calls to
// Speak, Silence and DTMF run one after the other.
func (p *Phone) Speak(ctx context.Context, ulaw []byte) (time.Time, error) {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	return p.speak(ctx, ulaw)
}

func (p *Phone) speak(ctx context.Context, ulaw []byte) (time.Time, error) {
	start := time.Now()
	marker := true
	for i, k := 0, 1; i+160 <= len(ulaw); i, k = i+160, k+1 {
		if err := p.send(0, marker, p.ts, ulaw[i:i+160]); err != nil {
			return time.Time{}, err
		}
		marker = false
		p.ts += 160
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(time.Until(start.Add(time.Duration(k) * 20 * time.Millisecond))):
		}
	}
	return time.Now(), nil
}

// Silence sends d of μ-law silence (keeps the RTP stream going, as a phone does).
func (p *Phone) Silence(ctx context.Context, d time.Duration) error {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	return p.silence(ctx, d)
}

func (p *Phone) silence(ctx context.Context, d time.Duration) error {
	buf := make([]byte, int(d/(20*time.Millisecond))*160)
	for i := range buf {
		buf[i] = 0xff
	}
	_, err := p.speak(ctx, buf)
	return err
}

// StreamSilence keeps the phone's RTP stream going, as a real phone does
// between words: whenever Speak, Silence or DTMF is not sending, a silent
// PCMU packet leaves every 20 ms, until ctx ends. Asterisk needs frames
// flowing on a channel to mix a whisper into them. Call it after the answer.
func (p *Phone) StreamSilence(ctx context.Context) {
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xff
	}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !p.txMu.TryLock() {
				continue
			}
			_ = p.send(0, false, p.ts, silence)
			p.ts += 160
			p.txMu.Unlock()
		}
	}()
}

// DTMF sends each digit as an RFC 4733 event (100 ms, three end packets),
// with 150 ms between digits.
func (p *Phone) DTMF(ctx context.Context, digits string) error {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	for _, d := range digits {
		ev := strings.IndexRune("0123456789*#ABCD", d)
		if ev < 0 {
			return fmt.Errorf("sipptest: %q is not a DTMF digit", d)
		}
		ts := p.ts
		for i := 1; i <= 5; i++ {
			dur := uint16(i * 160)
			if err := p.send(DTMFPayloadType, i == 1, ts, []byte{byte(ev), 10, byte(dur >> 8), byte(dur)}); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
		for i := 0; i < 3; i++ {
			if err := p.send(DTMFPayloadType, false, ts, []byte{byte(ev), 0x80 | 10, 0x03, 0x20}); err != nil {
				return err
			}
		}
		p.ts += 800
		if err := p.silence(ctx, 160*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func (p *Phone) send(pt uint8, marker bool, ts uint32, payload []byte) error {
	if !p.remote.IsValid() {
		return errors.New("sipptest: phone has no remote (call not answered yet)")
	}
	p.seq++
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: p.seq, Timestamp: ts, SSRC: 0x5eed}, Payload: payload}).Marshal()
	if err != nil {
		return err
	}
	_, err = p.conn.WriteToUDPAddrPort(b, p.remote)
	return err
}

// Call is a running sipp phone call.
type Call struct {
	cmd      *exec.Cmd
	out      *strings.Builder
	done     chan error
	addrFile string
	Phone    *Phone
}

// Dial calls exten at target (host:port) as SIP user (password may be
// empty) with a fresh Phone, and hangs up after holdFor. Wait for the
// answer with Answered.
func Dial(t testing.TB, ctx context.Context, target, exten, user, password string, holdFor time.Duration) *Call {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp (Debian sip-tester) not installed")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "caller.xml")
	must(t, os.WriteFile(scen, callerXML, 0o600))
	ph := NewPhone(t)
	addrFile := filepath.Join(dir, "asterisk-media")
	csv := filepath.Join(dir, "fields.csv")
	must(t, os.WriteFile(csv, []byte(fmt.Sprintf("SEQUENTIAL\n%s;%d;%s;\n", user, ph.Port(), addrFile)), 0o600))
	args := []string{target, "-sf", scen, "-inf", csv, "-s", exten, "-m", "1", "-l", "1",
		"-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t)), "-mp", fmt.Sprint(freeUDPPort(t)),
		"-d", fmt.Sprint(holdFor.Milliseconds()), "-timeout", fmt.Sprintf("%ds", int(holdFor.Seconds())+30),
		"-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log")}
	if password != "" {
		args = append(args, "-au", user, "-ap", password)
	}
	c := &Call{cmd: exec.CommandContext(ctx, "sipp", args...), out: &strings.Builder{}, done: make(chan error, 1), addrFile: addrFile, Phone: ph}
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	must(t, c.cmd.Start())
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-c.done:
			c.done <- err
		default:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// Answered waits for the 200 OK and points the phone at Asterisk's media
// address; it returns when the call was answered.
func (c *Call) Answered(ctx context.Context) (time.Time, error) {
	for {
		if b, err := os.ReadFile(c.addrFile); err == nil {
			ap, err := netip.ParseAddrPort(strings.TrimSpace(string(b)))
			if err != nil {
				return time.Time{}, fmt.Errorf("sipptest: Asterisk's media address %q: %w", b, err)
			}
			c.Phone.SetRemote(ap)
			return time.Now(), nil
		}
		select {
		case err := <-c.done:
			c.done <- err
			return time.Time{}, fmt.Errorf("sipp ended before the call was answered: %v\n%s", err, lastLines(c.out.String(), 30))
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("sipptest: no answer: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Wait waits for sipp to finish (after its BYE) and reports its failure
// with its output.
func (c *Call) Wait(ctx context.Context) error {
	select {
	case err := <-c.done:
		c.done <- err
		if err != nil {
			return fmt.Errorf("sipp: %v\n%s", err, lastLines(c.out.String(), 30))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sipp still running: %w", ctx.Err())
	}
}

// UAS is a sipp phone that answers (or only rings) one call on a port.
type UAS struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan error

	addrFile string
	Phone    *Phone // AnswerWithPhone only: the media side the test owns
}

// AnswerWithPhone starts an expert's phone listening on 127.0.0.1:port that
// answers after 500 ms of ringing; its media is a Phone the test owns (see
// Answered), so the test hears what reaches the expert and talks for them.
func AnswerWithPhone(t testing.TB, ctx context.Context, port int) *UAS {
	t.Helper()
	ph := NewPhone(t)
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "asterisk-media")
	csv := filepath.Join(dir, "fields.csv")
	must(t, os.WriteFile(csv, []byte(fmt.Sprintf("SEQUENTIAL\n%d;%s;\n", ph.Port(), addrFile)), 0o600))
	u := startUAS(t, ctx, port, expertPhoneXML, nil, "-inf", csv)
	u.addrFile, u.Phone = addrFile, ph
	return u
}

// Answered waits until the phone answered and points its Phone at
// Asterisk's media address (AnswerWithPhone only).
func (u *UAS) Answered(ctx context.Context) error {
	for {
		if b, err := os.ReadFile(u.addrFile); err == nil {
			ap, err := netip.ParseAddrPort(strings.TrimSpace(string(b)))
			if err != nil {
				return fmt.Errorf("sipptest: Asterisk's media address %q: %w", b, err)
			}
			u.Phone.SetRemote(ap)
			return nil
		}
		select {
		case err := <-u.done:
			u.done <- err
			return fmt.Errorf("sipp UAS ended before answering: %v\n%s", err, lastLines(u.out.String(), 30))
		case <-ctx.Done():
			return fmt.Errorf("sipptest: expert did not answer: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Answer starts an expert's phone listening on 127.0.0.1:port that
// answers after 500 ms of ringing and talks (the μ-law audio speech,
// looped) until hung up. With answer false it rings until cancelled.
func Answer(t testing.TB, ctx context.Context, port int, answer bool, speech []byte) *UAS {
	t.Helper()
	x := noAnswerXML
	if answer {
		x = expertXML
	}
	return startUAS(t, ctx, port, x, speech)
}

func startUAS(t testing.TB, ctx context.Context, port int, scenario, speech []byte, extra ...string) *UAS {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp (Debian sip-tester) not installed")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "uas.xml")
	must(t, os.WriteFile(scen, scenario, 0o600))
	if speech != nil {
		must(t, os.WriteFile(filepath.Join(dir, "expert.ulaw"), speech, 0o600))
	}
	args := []string{"-sf", scen, "-m", "1", "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-mp", fmt.Sprint(freeUDPPort(t)),
		"-timeout", "120s", "-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log")}
	args = append(args, extra...)
	u := &UAS{cmd: exec.CommandContext(ctx, "sipp", args...), out: &strings.Builder{}, done: make(chan error, 1)}
	u.cmd.Dir = dir
	u.cmd.Stdout, u.cmd.Stderr = u.out, u.out
	must(t, u.cmd.Start())
	go func() { u.done <- u.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-u.done:
			u.done <- err
		default:
			_ = u.cmd.Process.Kill()
			<-u.done
		}
	})
	return u
}

// Wait waits for the UAS to finish its one call.
func (u *UAS) Wait(ctx context.Context) error {
	select {
	case err := <-u.done:
		u.done <- err
		if err != nil {
			return fmt.Errorf("sipp UAS: %v\n%s", err, lastLines(u.out.String(), 30))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sipp UAS still running: %w", ctx.Err())
	}
}

// Speech renders text with espeak-ng as 8 kHz μ-law (what a phone sends);
// it skips the test when espeak-ng or sox is missing.
func Speech(t testing.TB, text string) []byte {
	t.Helper()
	dir := t.TempDir()
	wav, ulaw := filepath.Join(dir, "s.wav"), filepath.Join(dir, "s.ulaw")
	if out, err := exec.Command("espeak-ng", "-w", wav, text).CombinedOutput(); err != nil {
		t.Skipf("espeak-ng: %v %s", err, out)
	}
	if out, err := exec.Command("sox", wav, "-r", "8000", "-c", "1", "-t", "ul", ulaw).CombinedOutput(); err != nil {
		t.Skipf("sox: %v %s", err, out)
	}
	b, err := os.ReadFile(ulaw)
	must(t, err)
	return b
}

// ULawLoud reports whether a μ-law payload carries speech-level audio.
func ULawLoud(p []byte) bool {
	var e int64
	for _, b := range p {
		s := int64(audio.MuLawToLinear(b))
		e += s * s
	}
	return len(p) > 0 && e/int64(len(p)) > 300*300
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must(t, err)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
