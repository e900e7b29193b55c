package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlowValidate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("flow: x\nstart: a\nqueues: {q: {endpoints: [PJSIP/a]}}\nnodes:\n  a:\n    type: say\n    say: hi\n    nxt: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"validate", "../../config/flows/support.yaml"}, 0, "ok ../../config/flows/support.yaml", ""},
		{[]string{"validate", bad}, 1, "", bad + `:8: unknown key "nxt" in node "a"; did you mean "next"?`},
		{[]string{"validate"}, 2, "", "usage"},
		{[]string{"check", "x.yaml"}, 2, "", "usage"},
		{[]string{"validate", "/no/such/file.yaml"}, 1, "", "no such file"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"flow"}, tc.args...), strings.NewReader(""), &out, &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
			t.Errorf("flow %q = %d\nstdout %q\nstderr %q", tc.args, code, out.String(), errb.String())
		}
	}
}
