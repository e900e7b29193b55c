// Package repo finds calmline's source tree and the shared data sets beside it, for
// the training tools and for tests that read the data. A user's clone has no
// ../shared, so callers treat an error as "data not here" (tests skip, tools say so).
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root walks up from the working directory to the directory holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
	}
}

// Shared returns ../shared/<elem...> beside the module root, or an error when that
// path does not exist.
func Shared(elem ...string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	p := filepath.Join(append([]string{root, "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("shared data not found at %s (a user's clone has none): %w", p, err)
	}
	return p, nil
}
