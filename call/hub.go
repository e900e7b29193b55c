package call

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calmline/calmline/telephony"
)

// Hub fans call events out to live views (server-sent events, webhooks, the agent
// console). A subscriber that cannot keep up loses events rather than slowing a call;
// the loss is counted and logged at most once a second, never silent.
type Hub struct {
	log     *slog.Logger
	mu      sync.Mutex
	subs    map[*sub]struct{}
	dropped atomic.Uint64
	lastLog atomic.Int64
	onDrop  func()
}

type sub struct {
	ch     chan telephony.Event
	callID string // "" = all calls
}

// NewHub makes a hub; onDrop (may be nil) is called for each dropped event, for metrics.
func NewHub(log *slog.Logger, onDrop func()) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{log: log, subs: map[*sub]struct{}{}, onDrop: onDrop}
}

// Publish delivers ev to every subscriber without blocking.
func (h *Hub) Publish(ev telephony.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.callID != "" && s.callID != ev.CallID {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			n := h.dropped.Add(1)
			if h.onDrop != nil {
				h.onDrop()
			}
			now := time.Now().Unix()
			if last := h.lastLog.Load(); now > last && h.lastLog.CompareAndSwap(last, now) {
				h.log.Warn("event subscriber too slow, discarding events", "dropped_total", n)
			}
		}
	}
}

// Subscribe returns a channel of events (for one call, or all when callID is empty)
// and a function that ends the subscription and closes the channel.
func (h *Hub) Subscribe(callID string, buffer int) (<-chan telephony.Event, func()) {
	s := &sub{ch: make(chan telephony.Event, buffer), callID: callID}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(s.ch)
		})
	}
}

// Dropped is the number of events lost to slow subscribers since start.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }
