package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootAndShared(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("Root() = %s without go.mod", root)
	}
	if _, err := Shared("no-such-data-set-here"); err == nil {
		t.Error("Shared of a missing path: want an error")
	}
}
