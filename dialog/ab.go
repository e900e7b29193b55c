package dialog

import (
	"sort"
	"sync"
)

// ABResult is one call's A/B record: which variant it heard, whether the caller's
// emotion fell on the turn after a variant line, and whether it ended without a human.
type ABResult struct {
	CallID              string `json:"call_id"`
	Flow                string `json:"flow"`
	Variant             string `json:"variant"`
	Lines               int    `json:"lines"`   // variant lines spoken
	Checked             int    `json:"checked"` // of those, followed by another reading
	Fell                int    `json:"fell"`    // of those, the emotion fell by the next turn
	Turns               int    `json:"turns"`
	HandedOff           bool   `json:"handed_off"`
	EndedWithoutHandoff bool   `json:"ended_without_handoff"`
	Reason              string `json:"reason,omitempty"`
}

// ABRecorder receives A/B results when calls end (the store implements it).
type ABRecorder interface {
	RecordAB(ABResult)
}

// ABStats aggregates A/B results in memory, for the simulator and tests.
type ABStats struct {
	mu    sync.Mutex
	rates map[string]*ABRate
}

// ABRate is a variant's success so far.
type ABRate struct {
	Flow                string `json:"flow"`
	Variant             string `json:"variant"`
	Calls               int    `json:"calls"`
	EndedWithoutHandoff int    `json:"ended_without_handoff"`
	Checked             int    `json:"checked"`
	Fell                int    `json:"fell"`
}

// RecordAB adds one call.
func (s *ABStats) RecordAB(r ABResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rates == nil {
		s.rates = map[string]*ABRate{}
	}
	k := r.Flow + "/" + r.Variant
	a := s.rates[k]
	if a == nil {
		a = &ABRate{Flow: r.Flow, Variant: r.Variant}
		s.rates[k] = a
	}
	a.Calls++
	if r.EndedWithoutHandoff {
		a.EndedWithoutHandoff++
	}
	a.Checked += r.Checked
	a.Fell += r.Fell
}

// Rates lists every flow/variant seen, sorted.
func (s *ABStats) Rates() []ABRate {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ABRate, 0, len(s.rates))
	for _, a := range s.rates {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}
