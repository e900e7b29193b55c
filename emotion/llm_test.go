package emotion

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chatServer answers chat completions with content, or misbehaves by mode.
func chatServer(t *testing.T, mode string, content string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch mode {
		case "500":
			http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			return
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		case "garbage":
			w.Write([]byte("{{{"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestLLMClassifier(t *testing.T) {
	tests := []struct {
		name, mode, content string
		wantErr             bool
		wantCat             Category
	}{
		{"scores", "", `{"category":"angry","confidence":0.9,"scores":{"angry":0.9,"neutral":0.1}}`, false, Angry},
		{"fenced, no scores", "", "```json\n{\"category\":\"Confused\",\"confidence\":0.8}\n```", false, Confused},
		{"server error", "500", "", true, 0},
		{"timeout", "slow", "", true, 0},
		{"transport garbage", "garbage", "", true, 0},
		{"content not JSON", "", "I think the caller is angry", true, 0},
		{"unknown category", "", `{"category":"furious"}`, true, 0},
		{"bad probability", "", `{"category":"angry","scores":{"angry":7}}`, true, 0},
		{"unknown score key", "", `{"category":"angry","scores":{"rage":0.5}}`, true, 0},
	}
	m0 := defaultModel(t)
	text := "I have been waiting for an hour"
	builtin := m0.Text(text)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := chatServer(t, tt.mode, tt.content)
			l, err := NewLLM(LLMConfig{BaseURL: srv.URL + "/v1", Model: "test", Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Default(WithLLM(l))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r, err := m.TextContext(context.Background(), text)
			if time.Since(start) > 1500*time.Millisecond {
				t.Errorf("took %v despite a 300 ms timeout", time.Since(start))
			}
			if calls.Load() == 0 {
				t.Errorf("endpoint never called")
			}
			if tt.wantErr {
				if !errors.Is(err, ErrLLM) {
					t.Errorf("err = %v, want ErrLLM", err)
				}
				if r.Category != builtin.Category || r.Scores[Angry] != builtin.Scores[Angry] {
					t.Errorf("fallback reading differs from the built-in model")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Category != tt.wantCat || cueOfKind(r.Cues, CueLLM) == nil {
				t.Errorf("got %v cues %v, want %v with an llm cue", r.Category, r.Cues, tt.wantCat)
			}
		})
	}
}

func TestLLMOffByDefault(t *testing.T) {
	m := defaultModel(t)
	r, err := m.TextContext(context.Background(), "hello")
	if err != nil || cueOfKind(r.Cues, CueLLM) != nil {
		t.Errorf("no LLM configured but %v / %v", err, r.Cues)
	}
	if _, err := NewLLM(LLMConfig{}); !errors.Is(err, ErrLLM) {
		t.Errorf("NewLLM without a model: %v", err)
	}
}

func FuzzParseLLMAnswer(f *testing.F) {
	f.Add(`{"category":"angry","scores":{"angry":0.5,"sad":0.5}}`)
	f.Add(`{"category":"neutral","confidence":-1}`)
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := parseLLMAnswer(s)
		if err != nil {
			return
		}
		var sum float64
		for _, v := range sc {
			if v < 0 || v > 1 {
				t.Fatalf("score %v", v)
			}
			sum += v
		}
		if sum < 0.99 || sum > 1.01 {
			t.Fatalf("scores sum to %v", sum)
		}
	})
}
