package tts

import (
	"container/list"
	"context"
	"sync"
)

// cacheKey identifies one synthesised line.
type cacheKey struct {
	text  string
	voice Voice
}

type cacheEntry struct {
	key cacheKey
	pcm []int16
}

// cache is an LRU of synthesised lines in front of a Synth.
type cache struct {
	s   Synth
	max int

	mu      sync.Mutex
	order   *list.List // front = most recently used
	entries map[cacheKey]*list.Element
	flights map[cacheKey]*flight
}

// flight is one synthesis in progress that concurrent callers of the same line wait for.
type flight struct {
	done chan struct{}
	pcm  []int16
	err  error
}

// NewCache returns a Synth that remembers up to maxEntries lines (least
// recently used dropped first), so the flow's fixed prompts (greetings, menus,
// hold messages) cost nothing after the first time. Concurrent requests for
// the same line synthesise it once. Errors are not cached. The returned PCM
// is shared: callers must not modify it. maxEntries <= 0 means 256.
func NewCache(s Synth, maxEntries int) Synth {
	if maxEntries <= 0 {
		maxEntries = 256
	}
	return &cache{s: s, max: maxEntries, order: list.New(),
		entries: make(map[cacheKey]*list.Element), flights: make(map[cacheKey]*flight)}
}

// Synthesize implements Synth.
func (c *cache) Synthesize(ctx context.Context, text string, v Voice) ([]int16, error) {
	k := cacheKey{text, v}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.order.MoveToFront(e)
		pcm := e.Value.(*cacheEntry).pcm
		c.mu.Unlock()
		return pcm, nil
	}
	if f, ok := c.flights[k]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.pcm, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	c.mu.Unlock()

	f.pcm, f.err = c.s.Synthesize(ctx, text, v)

	c.mu.Lock()
	delete(c.flights, k)
	if f.err == nil {
		c.entries[k] = c.order.PushFront(&cacheEntry{key: k, pcm: f.pcm})
		for c.order.Len() > c.max {
			old := c.order.Remove(c.order.Back()).(*cacheEntry)
			delete(c.entries, old.key)
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.pcm, f.err
}
