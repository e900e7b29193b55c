// Command calmline is the calmline server and its operator tools.
//
//	calmline serve [--config FILE]        run the server
//	calmline analyze [flags] FILE.wav...  prosody features + emotion of recordings
//	calmline emotion                      emotion readings of text lines on stdin
//	calmline flow validate FILE...        check call flows
//	calmline simulate --flow FILE ...     drive a flow without a phone
//	calmline bench                        measure the hot paths on this machine
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set by the Makefile (-ldflags -X main.version=...).
var version = "dev"

// command is one subcommand. It returns the process exit code: 0 ok, 1 failed,
// 2 bad usage or bad configuration.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is the table of subcommands; each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"serve":    {"run the server", runServe},
		"bench":    {"measure the hot paths on this machine", runBench},
		"emotion":  {"emotion readings of text lines on stdin (refit: re-fit fusion on labels)", runEmotion},
		"flow":     {"validate call flows: flow validate FILE...", runFlow},
		"simulate": {"drive a flow with a scripted or typed caller", runSimulate},
		"analyze":  {"prosody features (pitch, loudness, rate, pauses) of WAV files", newAnalyzeCmd(voiceEmotion())},
		"speech":   {"say TEXT to a WAV, or hear a WAV (offline espeak + sphinx)", runSpeech},
		"staff":    {"staff hash: bcrypt hash of a console password read on stdin", runStaff},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "calmline: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: calmline COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

// parseArgs parses a command's flags. When that ends the command it returns the
// exit code: 0 after -h or --help (the flag set printed the usage the user asked
// for), 2 for a flag it does not know or cannot parse (the error and the usage
// went to stderr).
func parseArgs(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	}
	return 2, false
}

func runVersion(_ context.Context, _ []string, _ io.Reader, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "calmline", version)
	return 0
}
