package ari

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/calmline/calmline/audio"
)

// TestIntegrationRealAsteriskRTPCaller needs no SIP stack: the "caller" is a
// UnicastRTP channel (chan_rtp, the driver behind ExternalMedia) originated
// into the app, fed μ-law RTP by the test. It checks, against a real
// Asterisk, that calmline's ExternalMedia leg hears the caller through the
// mixing bridge (μ-law both ways, as ExternalMedia needs), that the reply
// reaches the caller's side, and that hangup releases the call. Needs
// CALMLINE_ARI_URL, CALMLINE_ARI_USER, CALMLINE_ARI_PASSWORD; Asterisk must
// reach 127.0.0.1 (CALMLINE_RTP_HOST otherwise).
func TestIntegrationRealAsteriskRTPCaller(t *testing.T) {
	ariURL := os.Getenv("CALMLINE_ARI_URL")
	if ariURL == "" {
		t.Skip("CALMLINE_ARI_URL not set: no real Asterisk to test against (see docs/asterisk.md)")
	}
	dir := t.TempDir()
	wav, ulaw := filepath.Join(dir, "c.wav"), filepath.Join(dir, "c.ulaw")
	if out, err := exec.Command("espeak-ng", "-w", wav, "I have called three times and nobody helps me").CombinedOutput(); err != nil {
		t.Skipf("espeak-ng: %v %s", err, out)
	}
	if out, err := exec.Command("sox", wav, "-r", "8000", "-c", "1", "-t", "ul", ulaw).CombinedOutput(); err != nil {
		t.Skipf("sox: %v %s", err, out)
	}
	speech, err := os.ReadFile(ulaw)
	if err != nil {
		t.Fatal(err)
	}
	host := envOr("CALMLINE_RTP_HOST", "127.0.0.1")

	resc := make(chan heard, 1)
	app, ctx, _ := startRealApp(t, Config{RTPHost: host}, replyOnSpeech(resc))

	phone, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	phoneAddr := phone.LocalAddr().(*net.UDPAddr).AddrPort()
	callerID := "calmline-it-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	q := url.Values{"endpoint": {"UnicastRTP/" + phoneAddr.String() + "/c(ulaw)"}, "app": {app.cfg.App}, "timeout": {"10"}}
	if err := app.rest.do(ctx, http.MethodPost, "/channels/"+callerID, q, nil, nil); err != nil {
		t.Fatalf("originate the RTP caller: %v", err)
	}
	defer app.hangupChannel(callerID, "normal")
	var v struct {
		Value string `json:"value"`
	}
	if err := app.rest.do(ctx, http.MethodGet, "/channels/"+callerID+"/variable", url.Values{"variable": {"UNICASTRTP_LOCAL_PORT"}}, nil, &v); err != nil {
		t.Fatalf("caller's Asterisk RTP port: %v", err)
	}
	port, _ := strconv.Atoi(v.Value)
	if err := app.rest.do(ctx, http.MethodGet, "/channels/"+callerID+"/variable", url.Values{"variable": {"UNICASTRTP_LOCAL_ADDRESS"}}, nil, &v); err != nil {
		t.Fatalf("caller's Asterisk RTP address: %v", err)
	}
	asterisk := netip.AddrPortFrom(netip.MustParseAddr(v.Value), uint16(port))
	waitFor(t, "calmline bridged the caller", func() bool { return len(app.LiveCalls()) == 1 })
	time.Sleep(300 * time.Millisecond) // bridge + ExternalMedia set up

	// Replies arrive at the phone as μ-law while we talk.
	replies := make(chan int, 1)
	go func() {
		buf := make([]byte, 1500)
		n := 0
		var p rtp.Packet
		_ = phone.SetReadDeadline(time.Now().Add(15 * time.Second))
		for {
			m, err := phone.Read(buf)
			if err != nil {
				break
			}
			if p.Unmarshal(buf[:m]) == nil && p.PayloadType == 0 && ulawLoud(p.Payload) {
				n++
			}
		}
		replies <- n
	}()
	start := time.Now()
	for i, seq := 0, uint16(1); i+160 <= len(speech); i, seq = i+160, seq+1 {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 42}, Payload: speech[i : i+160]}).Marshal()
		if _, err := phone.WriteToUDPAddrPort(b, asterisk); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(time.Duration(seq) * 20 * time.Millisecond)))
	}
	time.Sleep(1500 * time.Millisecond) // let the reply finish
	app.hangupChannel(callerID, "normal")
	r := awaitHeard(t, resc, "hangup")
	_ = phone.SetReadDeadline(time.Now())
	got := <-replies
	if got < 25 {
		t.Errorf("the caller's side got %d voiced reply packets, want >= 25 (of 50)", got)
	}
	t.Logf("heard %d voiced frames; caller got %d voiced reply packets", r.voiced, got)
}

func ulawLoud(p []byte) bool {
	var e int64
	for _, b := range p {
		s := int64(audio.MuLawToLinear(b))
		e += s * s
	}
	return len(p) > 0 && e/int64(len(p)) > 300*300
}
