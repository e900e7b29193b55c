package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a DB leaves goroutines behind after Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
