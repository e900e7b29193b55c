package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpeechSayThenHear(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
	wav := filepath.Join(t.TempDir(), "reply.wav")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"speech", "say", "--style", "soothing", "--out", wav, "speak to an agent"}, nil, &out, &errb); code != 0 {
		t.Fatalf("say: code %d, stderr %s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"speech", "hear", "--phrases", "refund|speak to an agent|order status", wav}, nil, &out, &errb)
	if code == 2 && strings.Contains(errb.String(), "model not found") {
		t.Skip("pocketsphinx model not installed")
	}
	if code != 0 || !strings.Contains(out.String(), `"speak to an agent"`) {
		t.Errorf("hear: code %d, stdout %s, stderr %s", code, out.String(), errb.String())
	}
}

func TestSpeechUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"speech"}, 2},
		{[]string{"speech", "sing"}, 2},
		{[]string{"speech", "say", "hello"}, 2},                                // no --out
		{[]string{"speech", "say", "--style", "angry", "--out", "x", "hi"}, 2}, // bad style
		{[]string{"speech", "hear"}, 2},
		{[]string{"speech", "hear", "/nonexistent.wav"}, 1},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tt.args, nil, &out, &errb); code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %s)", tt.args, code, tt.code, errb.String())
		}
	}
}
