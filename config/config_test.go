package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedConfigLoads(t *testing.T) {
	cfg, err := Load("calmline.yaml", nil)
	if err != nil {
		t.Fatalf("shipped config: %v", err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.ASR.Backend != "sphinx" || cfg.TTS.Backend != "espeak" || cfg.Store.Driver != "sqlite" {
		t.Errorf("shipped config is not the embedded default: %+v", cfg)
	}
	if want, _ := filepath.Abs("flows"); !strings.HasSuffix(cfg.Flows[0], "flows") || !strings.HasPrefix(want, "/") {
		t.Errorf("flows = %v", cfg.Flows)
	}
	if !strings.HasSuffix(cfg.Store.Path, filepath.Join("data", "calmline.db")) {
		t.Errorf("store path = %q", cfg.Store.Path)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error, each must appear
	}{
		{"unknown key with hint", "listen: 127.0.0.1:1\nlisten_addr: x\n", []string{"bad.yaml:2: listen_addr: unknown key", "known keys"}},
		{"typo suggestion", "log:\n  fromat: json\n", []string{"bad.yaml:2: log.fromat:", `did you mean "format"`}},
		{"bad enum", "asr:\n  backend: kaldi\n", []string{"bad.yaml:2: asr.backend:", `"kaldi" is not allowed`}},
		{"bad type", "call:\n  max_calls: lots\n", []string{"bad.yaml:2:", "lots"}},
		{"bad duration", "call:\n  no_input: soon\n", []string{"bad.yaml:2:"}},
		{"negative duration", "call:\n  no_input: -3s\n", []string{"bad.yaml:2: call.no_input: must be a positive duration"}},
		{"syntax", "listen: [\n", []string{"bad.yaml:"}},
		{"not a mapping", "- a\n- b\n", []string{"bad.yaml:1: the file must be a mapping"}},
		{"password in file", "ari:\n  password: hunter2\n", []string{"bad.yaml:2: ari.password: unknown key"}},
		{"ari needs user", "ari:\n  url: http://127.0.0.1:8088/ari\n  user: \"\"\n", []string{"bad.yaml:3: ari.user: required"}},
		{"bad ports", "ari:\n  rtp_ports: [30000, 20000]\n", []string{"bad.yaml:2: ari.rtp_ports:"}},
		{"queue without endpoints", "queues:\n  experts:\n    ring_for: 5s\n", []string{"queues.experts.endpoints: a queue needs"}},
		{"bad public url", "public_url: calmline.example.com\n", []string{"bad.yaml:1: public_url: want the URL"}},
		{"bad ice", "webrtc:\n  ice_servers: [http://x]\n", []string{"bad.yaml:2: webrtc.ice_servers:"}},
		{"turn without credentials", "webrtc:\n  ice_servers: [\"turn:turn.example.org:3478\"]\n", []string{"bad.yaml:2: webrtc.ice_servers:", "CALMLINE_TURN_USERNAME"}},
		{"bad public ip", "webrtc:\n  public_ip: calmline.example.com\n", []string{"bad.yaml:2: webrtc.public_ip:", "not an IP address"}},
		{"bad host ip", "webrtc:\n  host_ips: [10.0.0.5, eth0]\n", []string{"bad.yaml:2: webrtc.host_ips[1]:", `"eth0" is not an IP`}},
		{"postgres without dsn", "store:\n  driver: postgres\n", []string{"bad.yaml:2: store.driver: postgres needs", "CALMLINE_POSTGRES_DSN"}},
		{"staff bad role", "staff:\n  lin:\n    role: boss\n    password_hash: $2a$04$WIFGsJVBq6HoIOlTjn4i8.wHNYQNeqUCNpE6XmEWi1xe9PsOp1Kq.\n", []string{"bad.yaml:3: staff.lin.role:", `"boss" is not allowed`}},
		{"staff plain password", "staff:\n  lin:\n    role: supervisor\n    password_hash: hunter22\n", []string{"bad.yaml:4: staff.lin.password_hash: want a bcrypt hash", "calmline staff hash"}},
		{"staff password key", "staff:\n  lin:\n    role: agent\n    password: hunter22\n", []string{"bad.yaml:4: staff.lin.password: unknown key"}},
		{"unknown webhook event", "webhooks:\n  - url: http://127.0.0.1:9/hook\n    events: [emotion, escalaton]\n", []string{"bad.yaml:3: webhooks[0].events[1]: unknown event \"escalaton\"", "events are call.started"}},
		{"webhook event typo", "webhooks:\n  - url: http://127.0.0.1:9/hook\n    events: [handof]\n", []string{`did you mean "handoff"`}},
		{"two errors at once", "log:\n  format: xml\n  level: loud\n", []string{"bad.yaml:2: log.format", "bad.yaml:3: log.level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml), nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseOverridesAndSecrets(t *testing.T) {
	env := map[string]string{
		"CALMLINE_OPENAI_API_KEY": "sk-test", "CALMLINE_POSTGRES_DSN": "postgres://x", "PIN_ALICE": "1234",
	}
	cfg, err := Parse("/etc/calmline/c.yaml", []byte(`
listen: 0.0.0.0:9000
store: {driver: postgres}
asr:
  backend: openai
  openai: {base_url: "http://127.0.0.1:8000/v1", model: whisper-large, timeout: 3s}
ari:
  supervisors: {alice: PIN_ALICE}
flows: [a.yaml, /abs/b.yaml]
`), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:9000" || cfg.ASR.OpenAI.Timeout != 3*time.Second || cfg.ASR.OpenAI.Model != "whisper-large" {
		t.Errorf("overrides not applied: %+v", cfg)
	}
	if cfg.ASR.OpenAI.Retries != 1 {
		t.Errorf("default inside an overridden section was lost: retries=%d", cfg.ASR.OpenAI.Retries)
	}
	if cfg.Secrets.OpenAIAPIKey != "sk-test" || cfg.Secrets.PostgresDSN != "postgres://x" || cfg.Secrets.SupervisorPINs["alice"] != "1234" {
		t.Errorf("secrets = %+v", cfg.Secrets)
	}
	if cfg.Flows[0] != "/etc/calmline/a.yaml" || cfg.Flows[1] != "/abs/b.yaml" {
		t.Errorf("flows not resolved against the config dir: %v", cfg.Flows)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	cfg, err := Parse("empty.yaml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != Default().Listen || len(cfg.Flows) != 1 {
		t.Errorf("empty file: %+v", cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("want ErrNotExist, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("calmline.yaml")
	f.Add(seed)
	f.Add([]byte("listen: [\n"))
	f.Add([]byte("queues: {a: {endpoints: [x]}}\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data, nil)
		if err == nil && cfg.Listen == "" {
			t.Errorf("accepted config without listen address")
		}
	})
}
