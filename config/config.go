// Package config loads and validates calmline's server configuration.
//
// The file is strict YAML: an unknown key or a bad value stops the server at start-up
// with "file:line: key: what is wrong", because a typo in a support line's
// configuration should never silently fall back to a default in production.
// Secrets never live in the file; they come from environment variables (see Secrets).
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/calmline/calmline/staff"
	"golang.org/x/crypto/bcrypt"
)

// Config is the whole server configuration. The zero value is not useful: start from
// Default() so every field has the embedded-default value.
type Config struct {
	Listen  string `yaml:"listen"`   // HTTP address; 127.0.0.1:8080 keeps a fresh install private
	DataDir string `yaml:"data_dir"` // where the SQLite store and caches live
	// PublicURL is how agents and CRM systems reach this server (report links handed
	// to experts); empty means http://<listen>, right only when listen is a real address.
	PublicURL string                 `yaml:"public_url"`
	Log       LogConfig              `yaml:"log"`
	Store     StoreConfig            `yaml:"store"`
	ASR       ASRConfig              `yaml:"asr"`
	TTS       TTSConfig              `yaml:"tts"`
	Emotion   EmotionConfig          `yaml:"emotion"`
	ARI       ARIConfig              `yaml:"ari"`
	WebRTC    WebRTCConfig           `yaml:"webrtc"`
	Flows     []string               `yaml:"flows"` // flow files or directories, relative to the config file
	Queues    map[string]QueueConfig `yaml:"queues"`
	Call      CallConfig             `yaml:"call"`
	Webhooks  []WebhookConfig        `yaml:"webhooks"`
	// Staff are the people who sign in to the agent and supervisor consoles,
	// by name. Empty leaves the consoles open: fit only for 127.0.0.1.
	Staff map[string]StaffConfig `yaml:"staff"`

	// Secrets come from the environment, never from the file.
	Secrets Secrets `yaml:"-"`
	// File is the path the configuration was loaded from (empty for Default()).
	File string `yaml:"-"`
}

// LogConfig chooses the log format; JSON suits log shippers, text suits people.
type LogConfig struct {
	Format string `yaml:"format"` // text | json
	Level  string `yaml:"level"`  // debug | info | warn | error
}

// StoreConfig picks where calls are recorded: SQLite on one machine, Postgres for many.
type StoreConfig struct {
	Driver string `yaml:"driver"` // sqlite | postgres
	Path   string `yaml:"path"`   // sqlite file; default <data_dir>/calmline.db
	Sync   string `yaml:"sync"`   // sqlite durability: normal (survives kill -9) | full (also power cuts)
	// Retention deletes calls older than this (transcripts are personal data); 0 keeps them.
	Retention time.Duration `yaml:"retention"`
	// The Postgres DSN carries a password, so it comes from CALMLINE_POSTGRES_DSN.
}

// ASRConfig picks the speech recogniser.
type ASRConfig struct {
	Backend  string       `yaml:"backend"`  // sphinx | openai
	Fallback string       `yaml:"fallback"` // backend to use when the primary fails: sphinx | none
	Sphinx   SphinxConfig `yaml:"sphinx"`
	OpenAI   OpenAIConfig `yaml:"openai"`
}

// SphinxConfig locates the offline recogniser's model; empty means Debian's default.
type SphinxConfig struct {
	ModelDir string `yaml:"model_dir"`
}

// OpenAIConfig addresses any OpenAI-compatible endpoint (OpenAI, a local Whisper or
// LLM server). The API key comes from CALMLINE_OPENAI_API_KEY.
type OpenAIConfig struct {
	BaseURL  string        `yaml:"base_url"`
	Model    string        `yaml:"model"`
	Voice    string        `yaml:"voice"` // TTS only
	Language string        `yaml:"language"`
	Timeout  time.Duration `yaml:"timeout"`
	Retries  int           `yaml:"retries"`
}

// TTSConfig picks the speech synthesiser.
type TTSConfig struct {
	Backend      string       `yaml:"backend"` // espeak | openai
	CacheEntries int          `yaml:"cache_entries"`
	Espeak       EspeakConfig `yaml:"espeak"`
	OpenAI       OpenAIConfig `yaml:"openai"`
}

// EspeakConfig names espeak-ng voices per language.
type EspeakConfig struct {
	VoiceEN string `yaml:"voice_en"`
	VoiceZH string `yaml:"voice_zh"`
}

// EmotionConfig tunes the emotion models; the LLM classifier is off unless enabled.
type EmotionConfig struct {
	// Fusion is a file of fusion weights re-fitted on this line's own feedback
	// (`calmline emotion refit --store --out FILE`); empty: the built-in weights.
	Fusion string    `yaml:"fusion"`
	LLM    LLMConfig `yaml:"llm"`
}

// LLMConfig is an optional OpenAI-compatible chat model used as a second opinion.
type LLMConfig struct {
	Enabled bool         `yaml:"enabled"`
	OpenAI  OpenAIConfig `yaml:",inline"`
}

// ARIConfig connects to Asterisk. An empty URL leaves the Asterisk path off, which is
// the embedded default (browser calls only). The password comes from CALMLINE_ARI_PASSWORD.
type ARIConfig struct {
	URL            string            `yaml:"url"` // e.g. http://127.0.0.1:8088/ari
	User           string            `yaml:"user"`
	App            string            `yaml:"app"`
	RTPHost        string            `yaml:"rtp_host"`  // where Asterisk sends ExternalMedia audio
	RTPPorts       [2]int            `yaml:"rtp_ports"` // inclusive range
	ConnectTimeout time.Duration     `yaml:"connect_timeout"`
	Supervisors    map[string]string `yaml:"supervisors"` // supervisor name -> env var holding the PIN
}

// WebRTCConfig tunes browser calls.
type WebRTCConfig struct {
	ICEServers     []string      `yaml:"ice_servers"` // stun:/turn: URLs; empty = host candidates only
	UDPPorts       [2]int        `yaml:"udp_ports"`   // 0,0 = any
	MaxPending     int           `yaml:"max_pending"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// PublicIP is announced instead of the host's address, for a server behind a
	// 1:1 NAT (a cloud VM with an elastic IP), so browsers outside can reach it.
	PublicIP string `yaml:"public_ip"`
	// HostIPs restricts host candidates to these local addresses (127.0.0.1 allows
	// loopback, for a demo on one machine).
	HostIPs []string `yaml:"host_ips"`
}

// QueueConfig is a group of human experts a call can be handed to.
type QueueConfig struct {
	Endpoints []string      `yaml:"endpoints"` // e.g. PJSIP/expert1, or webrtc:agents for the browser console
	RingFor   time.Duration `yaml:"ring_for"`
}

// CallConfig bounds one call's timing, so a stuck backend cannot hold a caller.
type CallConfig struct {
	MaxDuration  time.Duration `yaml:"max_duration"`
	NoInput      time.Duration `yaml:"no_input"`    // silence before a reprompt
	EndSilence   time.Duration `yaml:"end_silence"` // silence that ends an utterance
	ASRTimeout   time.Duration `yaml:"asr_timeout"`
	TTSTimeout   time.Duration `yaml:"tts_timeout"`
	MaxCalls     int           `yaml:"max_calls"`     // concurrent calls; more are refused
	ProfilesFile string        `yaml:"profiles_file"` // local customer profiles (YAML/JSON), optional
	ProfilesURL  string        `yaml:"profiles_url"`  // CRM lookup URL with {caller_id}, optional
}

// WebhookEvents are the call events a webhook can subscribe to (call.Session emits
// them; docs/api.md describes each payload). A name outside the list is a config
// error, not a webhook that silently never fires.
var WebhookEvents = []string{"call.started", "call.ended", "transcript", "emotion", "reply", "action",
	"handoff", "bargein", "dtmf", "noinput", "error"}

// WebhookConfig sends call events to a CRM or ticket system.
type WebhookConfig struct {
	URL    string   `yaml:"url"`
	Events []string `yaml:"events"` // names from WebhookEvents; empty = all
	// The signing secret comes from CALMLINE_WEBHOOK_SECRET.
}

// StaffConfig is one console account. The password is stored as a bcrypt hash
// (make one with `calmline staff hash`), so the file reveals no password.
type StaffConfig struct {
	Role         string `yaml:"role"`          // agent | supervisor
	PasswordHash string `yaml:"password_hash"` // bcrypt, $2a$/$2b$/$2y$
}

// Secrets are read from the environment so configuration files can be shared and
// committed without leaking credentials.
type Secrets struct {
	OpenAIAPIKey   string            // CALMLINE_OPENAI_API_KEY
	ARIPassword    string            // CALMLINE_ARI_PASSWORD
	PostgresDSN    string            // CALMLINE_POSTGRES_DSN
	StoreKey       string            // CALMLINE_STORE_KEY: encrypts transcripts at rest (hex or base64, 32 bytes)
	APIToken       string            // CALMLINE_API_TOKEN: bearer token for the REST API
	TURNUsername   string            // CALMLINE_TURN_USERNAME: credentials for webrtc.ice_servers turn: URLs
	TURNCredential string            // CALMLINE_TURN_CREDENTIAL
	WebhookSecret  string            // CALMLINE_WEBHOOK_SECRET: HMAC key for webhook signatures
	SupervisorPINs map[string]string // CALMLINE_SUPERVISOR_PIN_<NAME>, per ARIConfig.Supervisors
}

// Default is the embedded default: one machine, offline, browser calls only.
func Default() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		DataDir: "data",
		Log:     LogConfig{Format: "text", Level: "info"},
		Store:   StoreConfig{Driver: "sqlite", Sync: "normal"},
		ASR: ASRConfig{
			Backend:  "sphinx",
			Fallback: "none",
			OpenAI:   OpenAIConfig{Model: "whisper-1", Timeout: 15 * time.Second, Retries: 1},
		},
		TTS: TTSConfig{
			Backend:      "espeak",
			CacheEntries: 256,
			Espeak:       EspeakConfig{VoiceEN: "en-us", VoiceZH: "cmn"},
			OpenAI:       OpenAIConfig{Model: "tts-1", Voice: "alloy", Timeout: 15 * time.Second, Retries: 1},
		},
		Emotion: EmotionConfig{LLM: LLMConfig{OpenAI: OpenAIConfig{Model: "gpt-4o-mini", Timeout: 3 * time.Second}}},
		ARI: ARIConfig{
			App: "calmline", RTPHost: "127.0.0.1", RTPPorts: [2]int{20000, 20999},
			ConnectTimeout: 10 * time.Second,
		},
		WebRTC: WebRTCConfig{MaxPending: 32, ConnectTimeout: 20 * time.Second},
		Flows:  []string{"flows"},
		Queues: map[string]QueueConfig{},
		Call: CallConfig{
			MaxDuration: time.Hour, NoInput: 8 * time.Second, EndSilence: 500 * time.Millisecond,
			ASRTimeout: 10 * time.Second, TTSTimeout: 10 * time.Second, MaxCalls: 200,
		},
	}
}

// Load reads, decodes and validates the configuration at path, then reads secrets
// from env (os.Getenv in production). Relative paths in the file are resolved against
// the file's directory so the server can be started from anywhere.
func Load(path string, env func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, env)
}

// Parse is Load without the file read, for tests and embedded configurations.
func Parse(path string, data []byte, env func(string) string) (Config, error) {
	cfg := Default()
	cfg.Flows = nil // a file that names flows replaces the default list, not appends to it
	doc, err := DecodeStrict(path, data, &cfg)
	if err != nil {
		return Config{}, err
	}
	if doc.Line("flows") == 0 {
		cfg.Flows = Default().Flows
	}
	cfg.File = path
	cfg.Secrets = readSecrets(cfg, env)
	if errs := cfg.validate(doc); len(errs) > 0 {
		return Config{}, errs
	}
	cfg.resolvePaths(filepath.Dir(path))
	return cfg, nil
}

func readSecrets(cfg Config, env func(string) string) Secrets {
	if env == nil {
		env = func(string) string { return "" }
	}
	s := Secrets{
		OpenAIAPIKey:   env("CALMLINE_OPENAI_API_KEY"),
		ARIPassword:    env("CALMLINE_ARI_PASSWORD"),
		PostgresDSN:    env("CALMLINE_POSTGRES_DSN"),
		StoreKey:       env("CALMLINE_STORE_KEY"),
		APIToken:       env("CALMLINE_API_TOKEN"),
		TURNUsername:   env("CALMLINE_TURN_USERNAME"),
		TURNCredential: env("CALMLINE_TURN_CREDENTIAL"),
		WebhookSecret:  env("CALMLINE_WEBHOOK_SECRET"),
	}
	if len(cfg.ARI.Supervisors) > 0 {
		s.SupervisorPINs = map[string]string{}
		for name, envVar := range cfg.ARI.Supervisors {
			s.SupervisorPINs[name] = env(envVar)
		}
	}
	return s
}

func (c *Config) validate(doc *Doc) Errors {
	var errs Errors
	bad := func(path, format string, args ...any) { errs = append(errs, doc.Errorf(path, format, args...)) }
	oneOf := func(path, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(path, "%q is not allowed; use one of %v", v, allowed)
	}
	positive := func(path string, d time.Duration) {
		if d <= 0 {
			bad(path, "must be a positive duration such as 10s (got %v)", d)
		}
	}

	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "want host:port such as 127.0.0.1:8080 (%v)", err)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public_url", "want the URL agents open, such as https://calmline.example.com")
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	oneOf("log.format", c.Log.Format, "text", "json")
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf("store.driver", c.Store.Driver, "sqlite", "postgres")
	oneOf("store.sync", c.Store.Sync, "normal", "full")
	if c.Store.Retention < 0 {
		bad("store.retention", "must be 0 (keep calls) or a positive duration such as 2160h (90 days)")
	}
	if c.Store.Driver == "postgres" && c.Secrets.PostgresDSN == "" {
		bad("store.driver", "postgres needs the DSN in the environment variable CALMLINE_POSTGRES_DSN")
	}
	oneOf("asr.backend", c.ASR.Backend, "sphinx", "openai")
	oneOf("asr.fallback", c.ASR.Fallback, "sphinx", "none")
	if c.ASR.Backend == "openai" {
		checkOpenAI(doc, "asr.openai", c.ASR.OpenAI, &errs)
	}
	oneOf("tts.backend", c.TTS.Backend, "espeak", "openai")
	if c.TTS.Backend == "openai" {
		checkOpenAI(doc, "tts.openai", c.TTS.OpenAI, &errs)
	}
	if c.TTS.CacheEntries < 0 {
		bad("tts.cache_entries", "must be 0 (no cache) or more")
	}
	if c.Emotion.LLM.Enabled {
		checkOpenAI(doc, "emotion.llm", c.Emotion.LLM.OpenAI, &errs)
	}
	if c.ARI.URL != "" {
		if u, err := url.Parse(c.ARI.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("ari.url", "want the ARI base URL such as http://127.0.0.1:8088/ari")
		}
		if c.ARI.User == "" {
			bad("ari.user", "required when ari.url is set (the password comes from CALMLINE_ARI_PASSWORD)")
		}
		if c.ARI.App == "" {
			bad("ari.app", "required when ari.url is set: the Stasis application name in extensions.conf")
		}
		positive("ari.connect_timeout", c.ARI.ConnectTimeout)
	}
	checkPorts(doc, "ari.rtp_ports", c.ARI.RTPPorts, false, &errs)
	checkPorts(doc, "webrtc.udp_ports", c.WebRTC.UDPPorts, true, &errs)
	for name, envVar := range c.ARI.Supervisors {
		if envVar == "" {
			bad("ari.supervisors."+name, "name the environment variable that holds this supervisor's PIN, e.g. CALMLINE_SUPERVISOR_PIN_%s", name)
		} else if c.Secrets.SupervisorPINs[name] == "" {
			bad("ari.supervisors."+name, "environment variable %s is empty: supervisors need a PIN", envVar)
		}
	}
	turn := false
	for _, s := range c.WebRTC.ICEServers {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "stun" && u.Scheme != "turn" && u.Scheme != "turns") {
			bad("webrtc.ice_servers", "%q is not a stun:, turn: or turns: URL", s)
			continue
		}
		turn = turn || u.Scheme != "stun"
	}
	if c.WebRTC.MaxPending < 1 {
		bad("webrtc.max_pending", "must be at least 1")
	}
	if ip := c.WebRTC.PublicIP; ip != "" && net.ParseIP(ip) == nil {
		bad("webrtc.public_ip", "%q is not an IP address (the address browsers reach this server at)", ip)
	}
	for i, ip := range c.WebRTC.HostIPs {
		if net.ParseIP(ip) == nil {
			bad(fmt.Sprintf("webrtc.host_ips[%d]", i), "%q is not an IP address of this machine", ip)
		}
	}
	if turn && (c.Secrets.TURNUsername == "" || c.Secrets.TURNCredential == "") {
		bad("webrtc.ice_servers", "a turn: server needs CALMLINE_TURN_USERNAME and CALMLINE_TURN_CREDENTIAL in the environment")
	}
	positive("webrtc.connect_timeout", c.WebRTC.ConnectTimeout)
	if len(c.Flows) == 0 {
		bad("flows", "name at least one flow file or directory")
	}
	for name, q := range c.Queues {
		if len(q.Endpoints) == 0 {
			bad("queues."+name+".endpoints", "a queue needs at least one endpoint, e.g. PJSIP/expert1")
		}
		if q.RingFor < 0 {
			bad("queues."+name+".ring_for", "must not be negative")
		}
	}
	positive("call.max_duration", c.Call.MaxDuration)
	positive("call.no_input", c.Call.NoInput)
	positive("call.end_silence", c.Call.EndSilence)
	positive("call.asr_timeout", c.Call.ASRTimeout)
	positive("call.tts_timeout", c.Call.TTSTimeout)
	if c.Call.MaxCalls < 1 {
		bad("call.max_calls", "must be at least 1")
	}
	for name, st := range c.Staff {
		path := "staff." + name
		if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\r\n") {
			bad(path, "a staff name is 1 to 64 characters without spaces")
		}
		if _, err := staff.ParseRole(st.Role); err != nil {
			bad(path+".role", "%q is not allowed; use one of [agent supervisor]", st.Role)
		}
		if _, err := bcrypt.Cost([]byte(st.PasswordHash)); err != nil {
			bad(path+".password_hash", "want a bcrypt hash ($2b$...); make one with: calmline staff hash")
		}
	}
	for i, w := range c.Webhooks {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("webhooks[%d].url", i), "want an http(s) URL")
		}
		for j, ev := range w.Events {
			if !slices.Contains(WebhookEvents, ev) {
				hint := ""
				if k := closest(ev, WebhookEvents); k != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", k)
				}
				bad(fmt.Sprintf("webhooks[%d].events[%d]", i, j), "unknown event %q%s; events are %s", ev, hint, strings.Join(WebhookEvents, ", "))
			}
		}
	}
	return errs
}

func checkOpenAI(doc *Doc, path string, o OpenAIConfig, errs *Errors) {
	if o.BaseURL != "" {
		if u, err := url.Parse(o.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			*errs = append(*errs, doc.Errorf(path+".base_url", "want an http(s) URL such as http://127.0.0.1:8000/v1"))
		}
	}
	if o.Model == "" {
		*errs = append(*errs, doc.Errorf(path+".model", "required"))
	}
	if o.Timeout <= 0 {
		*errs = append(*errs, doc.Errorf(path+".timeout", "must be a positive duration such as 15s"))
	}
	if o.Retries < 0 || o.Retries > 5 {
		*errs = append(*errs, doc.Errorf(path+".retries", "must be between 0 and 5"))
	}
}

func checkPorts(doc *Doc, path string, p [2]int, zeroOK bool, errs *Errors) {
	if zeroOK && p == [2]int{} {
		return
	}
	if p[0] < 1024 || p[1] > 65535 || p[0] > p[1] {
		*errs = append(*errs, doc.Errorf(path, "want [low, high] with 1024 <= low <= high <= 65535 (got %v)", p))
	}
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.DataDir = abs(c.DataDir)
	for i := range c.Flows {
		c.Flows[i] = abs(c.Flows[i])
	}
	if c.Store.Path == "" {
		c.Store.Path = filepath.Join(c.DataDir, "calmline.db")
	} else {
		c.Store.Path = abs(c.Store.Path)
	}
	c.ASR.Sphinx.ModelDir = abs(c.ASR.Sphinx.ModelDir)
	c.Call.ProfilesFile = abs(c.Call.ProfilesFile)
	c.Emotion.Fusion = abs(c.Emotion.Fusion)
}
