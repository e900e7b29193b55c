package openai

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/tts"
)

// tone is one second of a 440 Hz tone at rate.
func tone(rate int) []int16 {
	s := make([]int16, rate)
	for i := range s {
		s[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	return s
}

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// speechServer is a fake /v1/audio/speech: it decodes the JSON request like
// the real API and answers with a scripted status and body.
type speechServer struct {
	calls  atomic.Int32
	last   map[string]any
	answer func(call int) (status int, ctype string, body []byte, delay time.Duration)
}

func (s *speechServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := int(s.calls.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/speech" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	s.last = req
	status, ctype, body, delay := s.answer(call)
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	w.Write(body)
}

func newServer(t *testing.T, answer func(int) (int, string, []byte, time.Duration)) (*speechServer, *httptest.Server) {
	s := &speechServer{answer: answer}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func TestSynthesizeFormats(t *testing.T) {
	var wav bytes.Buffer
	if err := audio.WriteWAV(&wav, tone(22050), 22050); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		format string
		body   []byte
		ctype  string
	}{
		{"pcm 24k", "pcm", pcmBytes(tone(24000)), "audio/pcm"},
		{"wav 22.05k", "wav", wav.Bytes(), "audio/wav"},
		{"wav when pcm asked", "pcm", wav.Bytes(), "audio/wav"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hs := newServer(t, func(int) (int, string, []byte, time.Duration) { return 200, tt.ctype, tt.body, 0 })
			s, err := New(Config{BaseURL: hs.URL + "/v1", Format: tt.format, Model: "gpt-4o-mini-tts", VoiceZh: "nova"})
			if err != nil {
				t.Fatal(err)
			}
			pcm, err := s.Synthesize(context.Background(), "您好", tts.Voice{Lang: "zh", Style: tts.Soothing})
			if err != nil {
				t.Fatal(err)
			}
			// One second of audio at any rate is one second at 16 kHz.
			if len(pcm) < 15900 || len(pcm) > 16100 {
				t.Errorf("%d samples, want ~16000", len(pcm))
			}
			req := srv.last
			if req["input"] != "您好" || req["voice"] != "nova" || req["response_format"] != tt.format ||
				req["speed"] != 0.9 || !strings.Contains(req["instructions"].(string), "calmly") {
				t.Errorf("request %v", req)
			}
		})
	}
}

func TestSynthesizeFailures(t *testing.T) {
	good := pcmBytes(tone(24000))
	tests := []struct {
		name      string
		answer    func(int) (int, string, []byte, time.Duration)
		retries   int
		wantOK    bool
		wantCalls int32
		wantInErr string
	}{
		{"500 then ok", func(c int) (int, string, []byte, time.Duration) {
			if c == 1 {
				return 500, "application/json", []byte(`{"error":{"message":"overloaded"}}`), 0
			}
			return 200, "audio/pcm", good, 0
		}, 1, true, 2, ""},
		{"always 503", func(int) (int, string, []byte, time.Duration) {
			return 503, "application/json", []byte(`{"error":{"message":"down"}}`), 0
		}, 2, false, 3, "attempt 3 of 3"},
		{"400 not retried", func(int) (int, string, []byte, time.Duration) {
			return 400, "application/json", []byte(`{"error":{"message":"bad voice"}}`), 0
		}, 2, false, 1, "bad voice"},
		{"malformed error json", func(int) (int, string, []byte, time.Duration) {
			return 500, "application/json", []byte(`{"error": {`), 0
		}, -1, false, 1, "openai tts"},
		{"json instead of audio", func(int) (int, string, []byte, time.Duration) {
			return 200, "application/json", []byte(`{"status":"ok"}`), 0
		}, -1, false, 1, "unreadable audio"},
		{"broken wav", func(int) (int, string, []byte, time.Duration) {
			return 200, "audio/wav", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), 0
		}, -1, false, 1, "unreadable audio"},
		{"timeout", func(int) (int, string, []byte, time.Duration) { return 200, "audio/pcm", good, 2 * time.Second }, 1, false, 2, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hs := newServer(t, tt.answer)
			s, err := New(Config{BaseURL: hs.URL + "/v1", Timeout: 150 * time.Millisecond, Retries: tt.retries, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			pcm, err := s.Synthesize(context.Background(), "hello", tts.Voice{Lang: "en"})
			if tt.wantOK != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.wantOK)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q lacks %q", err, tt.wantInErr)
			}
			if tt.wantOK && len(pcm) == 0 {
				t.Error("no audio")
			}
			if got := srv.calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if time.Since(start) > time.Second {
				t.Errorf("took %v", time.Since(start))
			}
		})
	}
}

func TestSynthesizeLimitsAndInputs(t *testing.T) {
	_, hs := newServer(t, func(int) (int, string, []byte, time.Duration) { return 200, "audio/pcm", make([]byte, 5000), 0 })
	s, err := New(Config{BaseURL: hs.URL + "/v1", MaxBytes: 4000, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Synthesize(context.Background(), "hi", tts.Voice{}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized answer: %v", err)
	}
	if _, err := s.Synthesize(context.Background(), " ", tts.Voice{}); !errors.Is(err, tts.ErrEmptyText) {
		t.Errorf("empty: %v", err)
	}
	if _, err := s.Synthesize(context.Background(), "hola", tts.Voice{Lang: "es"}); !errors.Is(err, tts.ErrUnsupportedLanguage) {
		t.Errorf("es: %v", err)
	}
	for _, cfg := range []Config{{}, {BaseURL: "x"}, {BaseURL: "http://x", Format: "mp3"}, {BaseURL: "http://x", PCMRate: 10}, {BaseURL: "http://x", Retries: 6}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): want error", cfg)
		}
	}
}

// FuzzDecode: whatever bytes a server returns, decode gives audio or an error.
func FuzzDecode(f *testing.F) {
	var wav bytes.Buffer
	audio.WriteWAV(&wav, tone(800), 8000)
	f.Add(wav.Bytes())
	f.Add(pcmBytes(tone(100)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))
	s, err := New(Config{BaseURL: "http://127.0.0.1/v1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pcm, err := s.decode(body)
		if err == nil && len(pcm) == 0 {
			t.Fatal("no error and no audio")
		}
	})
}
