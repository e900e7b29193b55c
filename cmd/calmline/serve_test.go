package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// calmlineBin is the calmline program built once for the tests that run it as a user would.
var calmlineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "calmline-bin")
	if err != nil {
		panic(err)
	}
	calmlineBin = filepath.Join(dir, "calmline")
	out, err := exec.Command("go", "build", "-o", calmlineBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic("build calmline: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeConfig writes a config for the real binary; the shipped flows are used unless
// the body names its own.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if !strings.Contains(body, "flows:") {
		flows, err := filepath.Abs("../../config/flows")
		if err != nil {
			t.Fatal(err)
		}
		body += "flows: [" + flows + "]\n"
	}
	p := filepath.Join(dir, "calmline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeBadConfigExits2WithFileLine(t *testing.T) {
	tests := []struct{ name, body, env, want string }{
		{"unknown key", "listen: 127.0.0.1:0\nlisten_port: 9\n", "", `bad.yaml:2: listen_port: unknown key`},
		{"bad value", "listen: 127.0.0.1:0\nasr:\n  backend: kaldi\n", "", `bad.yaml:3: asr.backend: "kaldi" is not allowed`},
		{"bad store key", "listen: 127.0.0.1:0\n", "CALMLINE_STORE_KEY=tooshort", "CALMLINE_STORE_KEY:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.yaml")
			os.WriteFile(p, []byte(tt.body), 0o644)
			cmd := exec.Command(calmlineBin, "serve", "--config", p)
			if tt.env != "" {
				cmd.Env = append(os.Environ(), tt.env)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errorsAs(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want code 2; stderr %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.want)
			}
		})
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

var upLine = regexp.MustCompile(`open (http://\S+)`)

// startServer runs the real calmlineBin and returns its base URL.
// lockedBuffer is a server's stderr: exec copies into it from its own goroutine
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startServer(t *testing.T, cfgBody string, extraEnv ...string) (string, *exec.Cmd, *lockedBuffer) {
	t.Helper()
	p := writeConfig(t, cfgBody)
	cmd := exec.Command(calmlineBin, "serve", "--config", p, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), extraEnv...)
	stdout, _ := cmd.StdoutPipe()
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := upLine.FindStringSubmatch(sc.Text()); m != nil {
				lines <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-lines:
		return u, cmd, stderr
	case <-exited:
		time.Sleep(100 * time.Millisecond) // let stderr drain
		t.Fatalf("server exited before coming up; stderr:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not come up; stderr:\n%s", stderr.String())
	}
	return "", nil, nil
}

func TestServeHealthMetricsAndGracefulStop(t *testing.T) {
	base, cmd, stderr := startServer(t, "listen: 127.0.0.1:0\ndata_dir: data\n")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status string `json:"status"`
		Build  struct {
			Version string `json:"version"`
		} `json:"build"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || resp.StatusCode != 200 || health.Status != "ok" || health.Build.Version == "" {
		t.Fatalf("/healthz = %d %+v %v", resp.StatusCode, health, err)
	}
	resp.Body.Close()

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "calmline_calls_live 0") || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics lacks calmline gauges:\n%.500s", body)
	}

	resp, err = http.Get(base + "/v1/calls/live")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/v1/calls/live: %v %v", resp, err)
	}
	resp.Body.Close()

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean-stop log line:\n%s", stderr.String())
	}
}

func TestServeAPIToken(t *testing.T) {
	base, _, _ := startServer(t, "listen: 127.0.0.1:0\ndata_dir: data\n", "CALMLINE_API_TOKEN=s3cret")
	for _, tt := range []struct {
		auth string
		code int
	}{{"", 401}, {"Bearer nope", 401}, {"Bearer s3cret", 200}} {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/v1/calls/live", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("auth %q: %d, want %d", tt.auth, resp.StatusCode, tt.code)
		}
	}
}

func TestServeStoreAPI(t *testing.T) {
	base, _, _ := startServer(t, "listen: 127.0.0.1:0\ndata_dir: data\n")
	tests := []struct {
		method, path, body string
		code               int
		inBody             string
	}{
		{"GET", "/v1/calls", "", 200, "[]"},
		{"GET", "/v1/calls?from=yesterday", "", 400, "RFC 3339"},
		{"GET", "/v1/calls?channel=pstn", "", 400, "unknown channel"},
		{"GET", "/v1/calls/nope", "", 404, "not found"},
		{"GET", "/v1/heatmap", "", 200, `"cells"`},
		{"GET", "/v1/ab", "", 200, "[]"},
		{"POST", "/v1/feedback", `{"call_id":"x","turn_seq":1,"category":"furious","level":"mild","who":"sup"}`, 400, "unknown category"},
		{"POST", "/v1/feedback", `{"call_id":"x","turn_seq":1,"category":"angry","level":"mild","who":"sup"}`, 404, "no such call"},
		{"POST", "/v1/feedback", `{"call_id":`, 400, "decode JSON"},
		{"GET", "/v1/audit", "", 200, "[]"},
		{"GET", "/v1/feedback?since=2026-01-01", "", 200, "[]"},
		{"GET", "/v1/feedback?since=last-week", "", 400, "since: want RFC 3339"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.inBody) {
			t.Errorf("%s %s = %d %s; want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.code, tt.inBody)
		}
	}
}

// TestServeHealthReportsARIDown: with Asterisk unreachable the server still comes up
// (it keeps reconnecting), and /healthz says 503 and why, so a load balancer or an
// operator's probe sees what the log says.
func TestServeHealthReportsARIDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	base, _, _ := startServer(t, "listen: 127.0.0.1:0\ndata_dir: data\nari: {url: \"http://"+dead+"/ari\", user: calmline}\n", "CALMLINE_ARI_PASSWORD=x")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Status   string            `json:"status"`
		Problems map[string]string `json:"problems"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || resp.StatusCode != 503 || health.Status != "degraded" || health.Problems["ari"] == "" {
		t.Fatalf("/healthz with ARI down = %d %+v %v; want 503 with an ari problem", resp.StatusCode, health, err)
	}
}

func TestOpenURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://localhost:8080 (listening on all interfaces)"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 80}, "http://localhost:80 (listening on all interfaces)"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080}, "http://[::1]:8080"},
	} {
		if got := openURL(tc.addr); got != tc.want {
			t.Errorf("openURL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
