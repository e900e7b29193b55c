package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/calmline/calmline/dialog"
)

// runFlow is `calmline flow validate FILE...`: check call flows and packs before
// they go live, with file:line errors an editor can jump to.
func runFlow(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: calmline flow validate FILE|DIR...")
		return 2
	}
	fs := flag.NewFlagSet("flow validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: calmline flow validate FILE|DIR...\n\nChecks call flows as serve loads them: each problem with its file:line.")
	}
	if code, ok := parseArgs(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: calmline flow validate FILE|DIR...")
		return 2
	}
	errs := dialog.ValidateFiles(fs.Args()...)
	for _, err := range errs {
		fmt.Fprintln(stderr, err)
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "%d problem(s)\n", len(errs))
		return 1
	}
	for _, p := range fs.Args() {
		fmt.Fprintln(stdout, "ok", p)
	}
	return 0
}
