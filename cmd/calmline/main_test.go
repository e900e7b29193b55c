package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"version"}, 0, "calmline", ""},
		{nil, 2, "", "usage"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"help"}, 0, "", "commands:"},
		// -h asks for the usage: printed, exit 0; an unknown flag is an error, exit 2.
		{[]string{"serve", "-h"}, 0, "", "-config"},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined"},
		// run outside the source tree (tests run in cmd/calmline): say what to do
		{[]string{"serve"}, 2, "", "no configuration at config/calmline.yaml"},
		{[]string{"serve", "--config", "missing.yaml"}, 2, "", "read config: open missing.yaml"},
		{[]string{"flow", "validate", "-h"}, 0, "", "usage"},
		{[]string{"simulate", "--help"}, 0, "", "-flow"},
		{[]string{"analyze", "-h"}, 0, "", "usage"},
		{[]string{"emotion", "refit", "-h"}, 0, "", "usage"},
		{[]string{"speech", "say", "-h"}, 0, "", "-"},
		{[]string{"speech", "hear", "--nope", "x.wav"}, 2, "", "flag provided but not defined"},
		{[]string{"bench", "-h"}, 0, "", "-"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}
