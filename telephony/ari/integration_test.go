package ari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/telephony"
)

// TestIntegrationRealAsterisk places a real SIP call with sipp into a real
// Asterisk whose dialplan sends it to Stasis(calmline), streams espeak-ng
// speech as PCMU RTP, and checks that calmline hears it (via ExternalMedia,
// μ-law), plays a reply, and releases the call at the BYE.
//
// Environment: CALMLINE_ARI_URL, CALMLINE_ARI_USER, CALMLINE_ARI_PASSWORD
// (required); CALMLINE_ARI_APP (default calmline); CALMLINE_SIP_TARGET
// (default ARI host:5060); CALMLINE_SIP_EXTEN (default 100);
// CALMLINE_SIP_USER / CALMLINE_SIP_PASSWORD when the endpoint needs a
// digest; CALMLINE_RTP_HOST (default 127.0.0.1).
func TestIntegrationRealAsterisk(t *testing.T) {
	ariURL := os.Getenv("CALMLINE_ARI_URL")
	if ariURL == "" {
		t.Skip("CALMLINE_ARI_URL not set: no real Asterisk to test against (see docs/asterisk.md)")
	}
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp (Debian sip-tester) not installed")
	}
	u, err := url.Parse(ariURL)
	if err != nil {
		t.Fatal(err)
	}
	target := envOr("CALMLINE_SIP_TARGET", u.Hostname()+":5060")
	exten := envOr("CALMLINE_SIP_EXTEN", "100")
	sipUser := envOr("CALMLINE_SIP_USER", "caller")

	// Caller audio: espeak-ng → 8 kHz μ-law raw, what sipp's rtp_stream sends.
	work := t.TempDir() // sipp's working directory: rtp_stream reads caller.ulaw here
	utter := filepath.Join(work, "caller.ulaw")
	wav := utter + ".wav"
	if out, err := exec.Command("espeak-ng", "-w", wav, "I have called three times and nobody helps me").CombinedOutput(); err != nil {
		t.Skipf("espeak-ng: %v %s", err, out)
	}
	if out, err := exec.Command("sox", wav, "-r", "8000", "-c", "1", "-t", "ul", utter).CombinedOutput(); err != nil {
		t.Skipf("sox: %v %s", err, out)
	}

	resc := make(chan heard, 1)
	_, ctx, logs := startRealApp(t, Config{}, replyOnSpeech(resc))

	csv := filepath.Join(t.TempDir(), "fields.csv")
	if err := os.WriteFile(csv, []byte(fmt.Sprintf("SEQUENTIAL\n%s;\n", sipUser)), 0o600); err != nil {
		t.Fatal(err)
	}
	scen, _ := filepath.Abs("testdata/sipp_caller.xml")
	sipPort, mediaPort := freeUDPPort(t), freeUDPPort(t)
	args := []string{target, "-sf", scen, "-inf", csv, "-s", exten, "-m", "1", "-l", "1",
		"-i", "127.0.0.1", "-p", fmt.Sprint(sipPort), "-mp", fmt.Sprint(mediaPort), "-timeout", "40s", "-nostdin", "-trace_err",
		"-error_file", filepath.Join(t.TempDir(), "sipp_errors.log")}
	if pw := os.Getenv("CALMLINE_SIP_PASSWORD"); pw != "" {
		args = append(args, "-au", sipUser, "-ap", pw)
	}
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sipp: %v\n%s", err, lastLines(string(out), 30))
	}
	r := awaitHeard(t, resc, "the BYE")
	if !strings.Contains(logs.String(), "call released") {
		t.Error("call not released")
	}
	t.Logf("call %s from %q (called %q, lang %q): %d voiced frames heard", r.info.ID, r.info.CallerID, r.info.Called, r.info.Lang, r.voiced)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func loud(f []int16) bool {
	var e int64
	for _, s := range f {
		e += int64(s) * int64(s)
	}
	return e/int64(len(f)) > 300*300
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// heard is what replyOnSpeech saw of one real call.
type heard struct {
	info    telephony.CallInfo
	voiced  int   // frames of the caller's speech heard
	playErr error // the reply's
	endErr  error // what ReadFrame said when the call ended
}

// replyOnSpeech is the handler of the real-Asterisk tests: it counts the
// caller's voiced frames, plays a second of tone back once it has heard half a
// second of speech, and reports when the call ends.
func replyOnSpeech(resc chan<- heard) Handler {
	return func(ctx context.Context, leg telephony.Leg) {
		r := heard{info: leg.Info()}
		defer func() { resc <- r }()
		frame := make([]int16, telephony.FrameSamples)
		played := false
		for {
			if err := leg.ReadFrame(ctx, frame); err != nil {
				r.endErr = err
				return
			}
			if loud(frame) {
				r.voiced++
			}
			if r.voiced >= 25 && !played {
				played = true
				r.playErr = leg.Play(ctx, tone(50*telephony.FrameSamples))
			}
		}
	}
}

// awaitHeard waits for replyOnSpeech's report after the caller left (end names
// how) and checks what every real call must show: speech heard, the reply
// played, the leg ended cleanly.
func awaitHeard(t *testing.T, resc <-chan heard, end string) heard {
	t.Helper()
	var r heard
	select {
	case r = <-resc:
	case <-time.After(10 * time.Second):
		t.Fatalf("handler did not end after %s", end)
	}
	if r.voiced < 25 {
		t.Errorf("calmline heard %d voiced frames of the caller's speech, want >= 25", r.voiced)
	}
	if r.playErr != nil {
		t.Errorf("reply: %v", r.playErr)
	}
	if !errors.Is(r.endErr, io.EOF) && !errors.Is(r.endErr, context.Canceled) {
		t.Errorf("ReadFrame after %s = %v", end, r.endErr)
	}
	return r
}

// startRealApp runs an App against the Asterisk the environment names until
// the test ends (printing its log if the test failed) and waits until it is
// connected. cfg carries what the test adds; URL, credentials, app name and
// RTP host come from the environment.
func startRealApp(t *testing.T, cfg Config, h Handler, opts ...Option) (*App, context.Context, *syncBuffer) {
	t.Helper()
	cfg.URL = os.Getenv("CALMLINE_ARI_URL")
	cfg.User, cfg.Password = os.Getenv("CALMLINE_ARI_USER"), os.Getenv("CALMLINE_ARI_PASSWORD")
	cfg.App = envOr("CALMLINE_ARI_APP", "calmline")
	if cfg.RTPHost == "" {
		cfg.RTPHost = envOr("CALMLINE_RTP_HOST", "127.0.0.1")
	}
	logs := &syncBuffer{}
	opts = append(opts, WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	app, err := New(cfg, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	ran := make(chan error, 1)
	go func() { ran <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		if t.Failed() {
			t.Logf("calmline log:\n%s", logs.String())
		}
	})
	waitFor(t, "ARI connection", app.Connected)
	return app, ctx, logs
}
