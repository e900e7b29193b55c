package openaicompat

import (
	"errors"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&goopenai.APIError{HTTPStatusCode: 500}, true},
		{&goopenai.APIError{HTTPStatusCode: 429}, true},
		{&goopenai.APIError{HTTPStatusCode: 401}, false},
		{&goopenai.APIError{HTTPStatusCode: 0}, true},
		{&goopenai.RequestError{HTTPStatusCode: 503}, true},
		{&goopenai.RequestError{HTTPStatusCode: 400}, false},
		{errors.New("connection refused"), true},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for u, ok := range map[string]bool{"": false, "  ": false, "ftp://x": false, "api.openai.com": false, "http://127.0.0.1:8000/v1": true, "https://api.openai.com/v1": true} {
		if err := CheckBaseURL("test", u); (err == nil) != ok {
			t.Errorf("CheckBaseURL(%q) = %v", u, err)
		}
	}
}
