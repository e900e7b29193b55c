package tts

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingSynth returns one sample per byte of text and counts its calls.
type countingSynth struct {
	calls atomic.Int32
	delay time.Duration
	fail  bool
}

func (s *countingSynth) Synthesize(ctx context.Context, text string, v Voice) ([]int16, error) {
	s.calls.Add(1)
	time.Sleep(s.delay)
	if s.fail {
		return nil, errors.New("backend down")
	}
	return make([]int16, len(text)+int(v.Style)), nil
}

func TestCacheHitsAndEviction(t *testing.T) {
	inner := &countingSynth{}
	c := NewCache(inner, 2)
	ctx := context.Background()
	en := Voice{Lang: "en"}
	steps := []struct {
		text      string
		v         Voice
		wantCalls int32
		wantLen   int
	}{
		{"hello", en, 1, 5},
		{"hello", en, 1, 5}, // hit
		{"hello", Voice{Lang: "en", Style: Soothing}, 2, 6}, // other style: miss
		{"bye", en, 3, 3}, // evicts "hello"/neutral (LRU)
		{"hello", Voice{Lang: "en", Style: Soothing}, 3, 6}, // still cached
		{"hello", en, 4, 5}, // was evicted
	}
	for i, st := range steps {
		pcm, err := c.Synthesize(ctx, st.text, st.v)
		if err != nil {
			t.Fatal(err)
		}
		if len(pcm) != st.wantLen || inner.calls.Load() != st.wantCalls {
			t.Errorf("step %d: len %d calls %d; want %d, %d", i, len(pcm), inner.calls.Load(), st.wantLen, st.wantCalls)
		}
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	inner := &countingSynth{fail: true}
	c := NewCache(inner, 4)
	for range 2 {
		if _, err := c.Synthesize(context.Background(), "x", Voice{}); err == nil {
			t.Fatal("want error")
		}
	}
	if inner.calls.Load() != 2 {
		t.Errorf("calls = %d, want 2 (errors must not be cached)", inner.calls.Load())
	}
}

func TestCacheSingleFlight(t *testing.T) {
	inner := &countingSynth{delay: 50 * time.Millisecond}
	c := NewCache(inner, 4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if pcm, err := c.Synthesize(context.Background(), "menu", Voice{Lang: "en"}); err != nil || len(pcm) != 4 {
				t.Errorf("got %d samples, %v", len(pcm), err)
			}
		})
	}
	wg.Wait()
	if inner.calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", inner.calls.Load())
	}
}
