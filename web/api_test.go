package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/store"
)

// sealedStore is a store whose rows were sealed with a key the server lacks.
type sealedStore struct{ Store }

func (sealedStore) Feedback(context.Context, time.Time) ([]store.Feedback, error) {
	return nil, fmt.Errorf("store: feedback 3: %w (column note)", store.ErrNoKey)
}

// TestAPIEncryptedRowsWithoutKey: an operator who restarted without
// CALMLINE_STORE_KEY is told what is wrong, not "store error".
func TestAPIEncryptedRowsWithoutKey(t *testing.T) {
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s.MountStoreAPI(sealedStore{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/feedback", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "CALMLINE_STORE_KEY") {
		t.Errorf("GET /v1/feedback = %d %s, want 503 naming CALMLINE_STORE_KEY", rec.Code, rec.Body)
	}
}
