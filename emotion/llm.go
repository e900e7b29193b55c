package emotion

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/calmline/calmline/internal/openaicompat"

	openai "github.com/sashabaranov/go-openai"
)

// LLMConfig points the optional LLM classifier at any OpenAI-compatible chat
// endpoint (OpenAI, a local vLLM/Ollama/llama.cpp server). It is off unless a Model
// is built WithLLM.
type LLMConfig struct {
	BaseURL string        // e.g. "http://127.0.0.1:8000/v1"; empty = api.openai.com
	APIKey  string        // may be empty for local servers
	Model   string        // chat model name
	Timeout time.Duration // per request; default 3 s (a caller is waiting)
}

// LLM classifies text with a chat model. Its answers are treated as hostile input:
// anything malformed is an error and the caller falls back to the built-in model.
type LLM struct {
	client  *openai.Client
	model   string
	timeout time.Duration
}

// NewLLM builds the classifier; it does not contact the endpoint.
func NewLLM(cfg LLMConfig) (*LLM, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("%w: no model name configured", ErrLLM)
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.openai.com/v1"
	}
	t := cfg.Timeout
	if t <= 0 {
		t = 3 * time.Second
	}
	return &LLM{client: openaicompat.Client(base, cfg.APIKey, nil), model: cfg.Model, timeout: t}, nil
}

// WithLLM turns on the LLM classifier for TextContext; Text and Call.Turn keep
// using the built-in model (they must not wait on the network).
func WithLLM(l *LLM) Option {
	return func(m *Model) error {
		m.llm = l
		return nil
	}
}

const llmPrompt = `You classify the emotion of one customer-support caller utterance (Chinese or English).
Answer with JSON only: {"category": one of "neutral","satisfied","confused","anxious","sad","angry",
"confidence": 0..1, "scores": {category: probability, ...}}.`

// llmAnswer is the JSON the chat model must return.
type llmAnswer struct {
	Category   string             `json:"category"`
	Confidence float64            `json:"confidence"`
	Scores     map[string]float64 `json:"scores"`
}

// Classify asks the chat model for category probabilities of text.
func (l *LLM) Classify(ctx context.Context, text string) (map[Category]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	resp, err := l.client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:          l.model,
		Temperature:    0,
		ResponseFormat: &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject},
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: llmPrompt},
			{Role: openai.ChatMessageRoleUser, Content: text},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: chat completion: %w", ErrLLM, err)
	}
	if len(resp.Choices) == 0 {
		return nil, fmt.Errorf("%w: empty answer", ErrLLM)
	}
	return parseLLMAnswer(resp.Choices[0].Message.Content)
}

// parseLLMAnswer validates the model's JSON; models sometimes wrap it in code fences.
func parseLLMAnswer(content string) (map[Category]float64, error) {
	content = strings.TrimSpace(content)
	content = strings.TrimPrefix(strings.TrimPrefix(content, "```json"), "```")
	content = strings.TrimSpace(strings.TrimSuffix(content, "```"))
	var a llmAnswer
	if err := json.Unmarshal([]byte(content), &a); err != nil {
		return nil, fmt.Errorf("%w: answer is not JSON: %w", ErrLLM, err)
	}
	top, err := ParseCategory(strings.ToLower(strings.TrimSpace(a.Category)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLLM, err)
	}
	valid := func(x float64) bool { return !math.IsNaN(x) && x >= 0 && x <= 1 }
	scores := make(map[Category]float64, numCategories)
	var sum float64
	for k, v := range a.Scores {
		c, err := ParseCategory(strings.ToLower(k))
		if err != nil || !valid(v) {
			return nil, fmt.Errorf("%w: bad score %q=%v", ErrLLM, k, v)
		}
		scores[c] = v
		sum += v
	}
	if sum <= 0 { // only a category and a confidence
		conf := a.Confidence
		if !valid(conf) || conf == 0 {
			conf = 0.7
		}
		for _, c := range Categories {
			scores[c] = (1 - conf) / float64(numCategories-1)
		}
		scores[top] = conf
		return scores, nil
	}
	for _, c := range Categories {
		scores[c] /= sum
	}
	return scores, nil
}

// TextContext reads text like Text, but asks the LLM classifier (when configured)
// for the category probabilities in place of the built-in text model. Cues still
// apply. On any LLM failure it returns the built-in reading and the error, so the
// caller can log it; the reading is always usable.
func (m *Model) TextContext(ctx context.Context, text string) (Reading, error) {
	text = strings.TrimSpace(text)
	if m.llm == nil || text == "" {
		return m.Text(text), nil
	}
	scores, err := m.llm.Classify(ctx, text)
	if err != nil {
		return m.Text(text), err
	}
	ev := m.evidence(text)
	for _, c := range Categories {
		ev.Scores[c] = math.Max(scores[c], probFloor)
	}
	r := m.fuse(ev, Acoustic{})
	r.Lang = DetectLang(text)
	best := Neutral
	for _, c := range Categories {
		if scores[c] > scores[best] {
			best = c
		}
	}
	r.Cues = append(r.Cues, Cue{Kind: CueLLM, Text: fmt.Sprintf("LLM reads %s %.0f%%", best, 100*scores[best]), Weight: round3(scores[best])})
	return r, nil
}
