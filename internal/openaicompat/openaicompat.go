// Package openaicompat is what calmline's OpenAI-compatible backends (Whisper ASR,
// speech synthesis, the emotion LLM) share: checking the server address an operator
// gave, building a go-openai client for it, and deciding which failures deserve
// another try. One rule everywhere, so every backend fails over the same way.
package openaicompat

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"
)

// CheckBaseURL refuses an address that is not an http(s) URL; what names the backend
// in the error ("openai asr").
func CheckBaseURL(what, base string) error {
	if strings.TrimSpace(base) == "" {
		return fmt.Errorf("%s: base URL is required (e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1)", what)
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return fmt.Errorf("%s: base URL %q must start with http:// or https://", what, base)
	}
	return nil
}

// Client builds a go-openai client for any OpenAI-compatible server; hc may be nil.
func Client(base, apiKey string, hc *http.Client) *goopenai.Client {
	cc := goopenai.DefaultConfig(apiKey)
	cc.BaseURL = strings.TrimRight(base, "/")
	if hc != nil {
		cc.HTTPClient = hc
	}
	return goopenai.NewClientWithConfig(cc)
}

// Retryable reports whether another attempt may succeed: timeouts, rate limits,
// server errors and network failures may; client errors (bad key, bad request) would
// fail the same way again.
func Retryable(err error) bool {
	var apiErr *goopenai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == 0 || transient(apiErr.HTTPStatusCode)
	}
	var reqErr *goopenai.RequestError
	if errors.As(err, &reqErr) {
		return transient(reqErr.HTTPStatusCode)
	}
	return true // network errors, attempt timeouts, unreadable answers
}

func transient(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}
