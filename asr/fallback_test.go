package asr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestWithFallback(t *testing.T) {
	errDown := errors.New("primary down")
	ok := func(text string) Recognizer {
		return RecognizerFunc(func(context.Context, []int16, Options) (Result, error) { return Result{Text: text}, nil })
	}
	fail := func(err error) Recognizer {
		return RecognizerFunc(func(context.Context, []int16, Options) (Result, error) { return Result{}, err })
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name              string
		ctx               context.Context
		primary, fallback Recognizer
		want              string
		wantErr           error
		wantLog           bool
	}{
		{"primary ok", context.Background(), ok("refund"), ok("other"), "refund", nil, false},
		{"primary fails", context.Background(), fail(errDown), ok("agent"), "agent", nil, true},
		{"both fail", context.Background(), fail(errDown), fail(errors.New("fb down")), "", errDown, true},
		{"empty audio not retried", context.Background(), fail(ErrEmptyAudio), ok("x"), "", ErrEmptyAudio, false},
		{"cancelled not retried", cancelled, fail(context.Canceled), ok("x"), "", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := WithFallback(tt.primary, tt.fallback, slog.New(slog.NewTextHandler(&buf, nil)))
			res, err := r.Recognize(tt.ctx, []int16{1}, Options{})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if res.Text != tt.want {
				t.Errorf("text = %q, want %q", res.Text, tt.want)
			}
			if got := strings.Contains(buf.String(), "using fallback"); got != tt.wantLog {
				t.Errorf("logged fallback = %v, want %v (log %q)", got, tt.wantLog, buf.String())
			}
		})
	}
}
