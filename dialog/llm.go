package dialog

import (
	"context"
	"fmt"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// IntentClassifier names which of the given intents the caller's words mean, or ""
// for none. Used only when keywords and regexes found nothing and the flow has
// llm: {enabled: true}.
type IntentClassifier interface {
	Classify(ctx context.Context, text string, intents []string) (string, error)
}

// OpenAIClassifier classifies intents with an OpenAI-compatible chat model.
type OpenAIClassifier struct {
	Client  *openai.Client
	Model   string
	Timeout time.Duration // default 3 s
}

// Classify asks the model for exactly one intent name; anything else counts as none.
func (o *OpenAIClassifier) Classify(ctx context.Context, text string, intents []string) (string, error) {
	to := o.Timeout
	if to <= 0 {
		to = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	resp, err := o.Client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:       o.Model,
		Temperature: 0,
		MaxTokens:   16,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "You route customer-support calls. Answer with exactly one of these intent names, or none: " + strings.Join(intents, ", ")},
			{Role: openai.ChatMessageRoleUser, Content: text},
		},
	})
	if err != nil {
		return "", fmt.Errorf("classify intent: %w", err)
	}
	if len(resp.Choices) == 0 {
		return "", nil
	}
	got := strings.ToLower(strings.Trim(strings.TrimSpace(resp.Choices[0].Message.Content), ".\"'"))
	for _, in := range intents {
		if strings.ToLower(in) == got {
			return in, nil
		}
	}
	return "", nil
}

// classify asks the engine's classifier when the flow enabled it.
func (c *Conversation) classify(n *Node, text string) *Intent {
	if c.e.llm == nil || c.f.LLM == nil || !c.f.LLM.Enabled || strings.TrimSpace(text) == "" {
		return nil
	}
	all := append(append([]*Intent{}, n.Intents...), c.f.Global...)
	names := make([]string, 0, len(all))
	for _, in := range all {
		names = append(names, in.Name)
	}
	got, err := c.e.llm.Classify(context.Background(), text, names)
	if err != nil || got == "" {
		return nil
	}
	for _, in := range all {
		if in.Name == got {
			return in
		}
	}
	return nil
}
