//go:build unix

package dsp

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report it beside wall
// time because the shared build machines are heavily oversubscribed, which inflates
// wall-clock figures but not the CPU a frame costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
