package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmline/calmline/asr"
	"github.com/calmline/calmline/audio"
)

// whisper is a fake OpenAI transcription endpoint: it checks the multipart
// upload like the real one would and answers with a scripted status and body.
type whisper struct {
	t        *testing.T
	calls    atomic.Int32
	answer   func(call int) (status int, body string, delay time.Duration)
	lastForm map[string]string
	lastWAV  *audio.Clip
}

func (w *whisper) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	call := int(w.calls.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" {
		http.Error(rw, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		http.Error(rw, `{"error":{"message":"bad multipart"}}`, http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k, v := range r.MultipartForm.Value {
		form[k] = strings.Join(v, ",")
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(rw, `{"error":{"message":"no file"}}`, http.StatusBadRequest)
		return
	}
	clip, err := audio.ReadWAV(f)
	if err != nil {
		http.Error(rw, `{"error":{"message":"bad wav"}}`, http.StatusBadRequest)
		return
	}
	w.lastForm, w.lastWAV = form, clip
	status, body, delay := w.answer(call)
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	io.WriteString(rw, body)
}

const verbose = `{"task":"transcribe","language":"english","duration":1.0,"text":" I want a refund.",
"segments":[{"id":0,"start":0,"end":1,"text":" I want a refund.","avg_logprob":-0.2,"no_speech_prob":0.01}],
"words":[{"word":"I","start":0.1,"end":0.2},{"word":"want","start":0.2,"end":0.4},{"word":"a","start":0.4,"end":0.45},{"word":"refund","start":0.45,"end":0.9}]}`

func newServer(t *testing.T, answer func(int) (int, string, time.Duration)) (*whisper, *httptest.Server) {
	w := &whisper{t: t, answer: answer}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return w, srv
}

func TestTranscribeWireFormat(t *testing.T) {
	w, srv := newServer(t, func(int) (int, string, time.Duration) { return 200, verbose, 0 })
	r, err := New(Config{BaseURL: srv.URL + "/v1", APIKey: "k", WordTimes: true, Model: "large-v3"})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 16000)
	res, err := r.Recognize(context.Background(), pcm, asr.Options{Lang: "en", Phrases: []string{"refund", "agent"}, Prompt: "Acme order"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "I want a refund." || res.Lang != "en" || len(res.Words) != 4 || res.NoMatch {
		t.Errorf("result %+v", res)
	}
	if res.Words[3].Text != "refund" || res.Words[3].Start != 450*time.Millisecond || res.Words[3].End != 900*time.Millisecond {
		t.Errorf("word %+v", res.Words[3])
	}
	if res.Confidence < 0.8 || res.Confidence > 0.83 { // exp(-0.2)
		t.Errorf("confidence %v", res.Confidence)
	}
	f := w.lastForm
	if f["model"] != "large-v3" || f["language"] != "en" || f["response_format"] != "verbose_json" ||
		f["prompt"] != "Acme order refund, agent" || f["timestamp_granularities[]"] != "word" {
		t.Errorf("form %v", f)
	}
	if w.lastWAV.Rate != 16000 || w.lastWAV.Channels != 1 || len(w.lastWAV.Samples) != len(pcm) {
		t.Errorf("uploaded WAV %d Hz %d ch %d samples", w.lastWAV.Rate, w.lastWAV.Channels, len(w.lastWAV.Samples))
	}
}

func TestTranscribeFailures(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(int) (int, string, time.Duration)
		retries   int
		wantOK    bool
		wantCalls int32
		wantInErr string
	}{
		{"500 then ok", func(c int) (int, string, time.Duration) {
			if c == 1 {
				return 500, `{"error":{"message":"overloaded"}}`, 0
			}
			return 200, `{"text":"order status"}`, 0
		}, 1, true, 2, ""},
		{"always 500", func(int) (int, string, time.Duration) { return 500, `{"error":{"message":"down"}}`, 0 }, 2, false, 3, "attempt 3 of 3"},
		{"401 not retried", func(int) (int, string, time.Duration) {
			return 401, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, 0
		}, 2, false, 1, "bad key"},
		{"malformed json", func(int) (int, string, time.Duration) { return 200, `{"text": "unterminated`, 0 }, -1, false, 1, "openai asr: transcribe"},
		{"timeout", func(int) (int, string, time.Duration) { return 200, `{"text":"late"}`, 2 * time.Second }, 1, false, 2, "deadline exceeded"},
		{"429 then ok", func(c int) (int, string, time.Duration) {
			if c == 1 {
				return 429, `{"error":{"message":"slow down"}}`, 0
			}
			return 200, `{"text":"billing"}`, 0
		}, 1, true, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, srv := newServer(t, tt.answer)
			r, err := New(Config{BaseURL: srv.URL + "/v1", Timeout: 150 * time.Millisecond, Retries: tt.retries, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := r.Recognize(context.Background(), make([]int16, 3200), asr.Options{})
			if tt.wantOK != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tt.wantOK)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q lacks %q", err, tt.wantInErr)
			}
			if tt.wantOK && res.Text == "" {
				t.Errorf("empty text")
			}
			if got := w.calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if time.Since(start) > time.Second {
				t.Errorf("took %v: a failing server must not hold the call", time.Since(start))
			}
		})
	}
}

// TestFallbackToOffline: the server fails, WithFallback logs it and the
// offline recogniser answers.
func TestFallbackToOffline(t *testing.T) {
	_, srv := newServer(t, func(int) (int, string, time.Duration) { return 503, `{"error":{"message":"maintenance"}}`, 0 })
	primary, err := New(Config{BaseURL: srv.URL + "/v1", Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	offline := asr.RecognizerFunc(func(context.Context, []int16, asr.Options) (asr.Result, error) {
		return asr.Result{Text: "refund", Lang: "en"}, nil
	})
	var logs bytes.Buffer
	r := asr.WithFallback(primary, offline, slog.New(slog.NewTextHandler(&logs, nil)))
	res, err := r.Recognize(context.Background(), make([]int16, 1600), asr.Options{Phrases: []string{"refund"}})
	if err != nil || res.Text != "refund" {
		t.Fatalf("got %+v, %v", res, err)
	}
	if !strings.Contains(logs.String(), "maintenance") {
		t.Errorf("log lacks the server's error: %s", logs.String())
	}
}

func TestNewAndInputErrors(t *testing.T) {
	for _, cfg := range []Config{{}, {BaseURL: "ftp://x"}, {BaseURL: "http://x", Retries: 9}, {BaseURL: "http://x", Timeout: -1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): want error", cfg)
		}
	}
	r, err := New(Config{BaseURL: "http://127.0.0.1:1/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Recognize(context.Background(), nil, asr.Options{}); !errors.Is(err, asr.ErrEmptyAudio) {
		t.Errorf("empty audio: %v", err)
	}
}

func TestResultHostileWords(t *testing.T) {
	_, srv := newServer(t, func(int) (int, string, time.Duration) {
		return 200, `{"text":"x","language":"chinese","words":[{"word":"a","start":-1,"end":2},{"word":"b","start":5,"end":1},{"word":"c","start":0,"end":1e12},{"word":"ok","start":0.1,"end":0.2}]}`, 0
	})
	r, _ := New(Config{BaseURL: srv.URL + "/v1", WordTimes: true})
	res, err := r.Recognize(context.Background(), make([]int16, 1600), asr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Words) != 1 || res.Words[0].Text != "ok" || res.Lang != "zh" {
		t.Errorf("result %+v", res)
	}
}
