package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("bench runs for several seconds")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "--flows", "../../config/flows"}, nil, &out, &errb)
	for _, want := range []string{"dsp: one 20 ms frame", "emotion: text reading", "emotion: fusion", "dialog: new call + one turn"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if code != 0 && !strings.Contains(out.String(), "failed:") {
		t.Errorf("exit %d without a failed row:\n%s%s", code, out.String(), errb.String())
	}
}
