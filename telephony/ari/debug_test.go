package ari

import (
	"os"
	"runtime/pprof"
	"testing"
)

func dumpGoroutines(t *testing.T) {
	if t.Failed() {
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
	}
}
