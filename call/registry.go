package call

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/calmline/calmline/emotion"
)

// Registry knows the live calls, so supervisors can pick the most urgent one and the
// server can refuse calls beyond its capacity. Safe for concurrent use.
type Registry struct {
	mu    sync.Mutex
	max   int
	next  int
	calls map[string]*entry
}

type entry struct {
	s     *Session
	short string
}

// LiveCall is one row of the supervisors' live view.
type LiveCall struct {
	ID       string    `json:"id"`
	Short    string    `json:"short"` // short number a supervisor keys in on a phone
	Channel  string    `json:"channel"`
	CallerID string    `json:"caller_id"`
	Started  time.Time `json:"started"`
	State    State     `json:"state"`
	Category string    `json:"category"`
	Level    string    `json:"level"`
	Arousal  float64   `json:"arousal"`
	Trend    string    `json:"trend"`
	Urgency  float64   `json:"urgency"` // 0..1, most urgent first
	Turns    int       `json:"turns"`
	Queue    string    `json:"queue,omitempty"`
}

// NewRegistry makes a registry that admits at most max calls at once.
func NewRegistry(max int) *Registry {
	return &Registry{max: max, calls: map[string]*entry{}}
}

// Add admits a session; it returns false when the server is full. The short number
// is unique among live calls and stays small so it can be typed on a keypad.
func (r *Registry) Add(s *Session) (short string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) >= r.max {
		return "", false
	}
	used := map[string]bool{}
	for _, e := range r.calls {
		used[e.short] = true
	}
	for {
		r.next = r.next%999 + 1
		short = strconv.Itoa(r.next)
		if !used[short] {
			break
		}
	}
	r.calls[s.Info().ID] = &entry{s: s, short: short}
	return short, true
}

// Remove forgets a finished call.
func (r *Registry) Remove(id string) {
	r.mu.Lock()
	delete(r.calls, id)
	r.mu.Unlock()
}

// Full reports whether Add would refuse a call now, so an ingress can turn a caller
// away before answering (a browser's offer) rather than hang up on them after.
func (r *Registry) Full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls) >= r.max
}

// Len is the number of live calls.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// Get returns a live call's session.
func (r *Registry) Get(id string) (*Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.calls[id]
	if !ok {
		return nil, false
	}
	return e.s, true
}

// ByShort finds a live call by the short number a supervisor keyed in.
func (r *Registry) ByShort(short string) (*Session, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.calls {
		if e.short == short {
			return e.s, true
		}
	}
	return nil, false
}

// Live lists the live calls, most urgent first.
func (r *Registry) Live() []LiveCall {
	r.mu.Lock()
	entries := make([]*entry, 0, len(r.calls))
	for _, e := range r.calls {
		entries = append(entries, e)
	}
	r.mu.Unlock()
	out := make([]LiveCall, 0, len(entries))
	for _, e := range entries {
		st := e.s.Status()
		lc := LiveCall{
			ID: st.Info.ID, Short: e.short, Channel: st.Info.Channel.String(), CallerID: st.Info.CallerID,
			Started: st.Info.Started, State: st.State, Turns: st.Turns, Queue: st.Queue,
			Category: emotion.Neutral.String(), Level: emotion.Calm.String(), Trend: st.Trajectory.Trend.String(),
		}
		if st.Reading != nil {
			lc.Category, lc.Level, lc.Arousal = st.Reading.Category.String(), st.Reading.Level.String(), st.Reading.Arousal
		}
		lc.Urgency = Urgency(st)
		out = append(out, lc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Urgency != out[j].Urgency {
			return out[i].Urgency > out[j].Urgency
		}
		return out[i].Started.Before(out[j].Started)
	})
	return out
}

// Urgency ranks a live call for supervisors: the current level dominates, a rising
// trend and the tracker's escalation risk break ties.
func Urgency(st Status) float64 {
	u := 0.0
	if st.Reading != nil {
		u = float64(st.Reading.Level) / float64(emotion.Severe) * 0.6
		if st.Reading.Category == emotion.Angry || st.Reading.Category == emotion.Anxious {
			u += 0.1
		}
	}
	u += 0.2 * st.Trajectory.EscalationRisk
	if st.Trajectory.Trend == emotion.Rising {
		u += 0.1
	}
	return min(u, 1)
}
