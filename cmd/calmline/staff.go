package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"

	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/staff"
)

// runStaff is `calmline staff hash`: it reads a password on stdin and prints
// the bcrypt hash an operator pastes into the config's staff section, so no
// password is ever written to the file.
func runStaff(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "hash" {
		fmt.Fprintln(stderr, "usage: calmline staff hash   (reads the password from stdin, prints a bcrypt hash for config staff.NAME.password_hash)")
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "staff hash: read password: %v\n", err)
		return 1
	}
	h, err := staff.Hash(strings.TrimRight(line, "\r\n"))
	if err != nil {
		fmt.Fprintf(stderr, "staff hash: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

// staffAuth turns the configured accounts into the console sign-in; nil when
// none are configured (consoles open).
func staffAuth(cfg config.Config) (*staff.Auth, error) {
	if len(cfg.Staff) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(cfg.Staff))
	for n := range cfg.Staff {
		names = append(names, n)
	}
	sort.Strings(names)
	accs := make([]staff.Account, 0, len(names))
	for _, n := range names {
		role, err := staff.ParseRole(cfg.Staff[n].Role)
		if err != nil {
			return nil, fmt.Errorf("staff %s: %w", n, err)
		}
		accs = append(accs, staff.Account{Name: n, Role: role, Hash: []byte(cfg.Staff[n].PasswordHash)})
	}
	a, err := staff.New(accs, staff.Options{})
	if err != nil {
		return nil, fmt.Errorf("set up staff sign-in: %w", err)
	}
	return a, nil
}

// loopbackOnly reports whether addr (host:port) listens on loopback only, where
// open consoles reach nobody but this machine.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
