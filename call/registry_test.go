package call

import (
	"fmt"
	"testing"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

type idLeg struct {
	*fakeLeg
	id string
}

func (l idLeg) Info() telephony.CallInfo {
	return telephony.CallInfo{ID: l.id, Channel: telephony.ChannelSIP, Started: time.Unix(0, 0)}
}

func TestRegistryUrgencyAndCapacity(t *testing.T) {
	r := NewRegistry(3)
	mk := func(id string, lvl emotion.Level, cat emotion.Category) *Session {
		s := New(idLeg{newFakeLeg(), id}, Deps{}, Config{})
		s.status.Reading = &emotion.Reading{Level: lvl, Category: cat}
		return s
	}
	calm, severe, mild := mk("a", emotion.Calm, emotion.Neutral), mk("b", emotion.Severe, emotion.Angry), mk("c", emotion.Mild, emotion.Confused)
	for _, s := range []*Session{calm, severe, mild} {
		if _, ok := r.Add(s); !ok {
			t.Fatalf("add %s refused", s.Info().ID)
		}
	}
	if _, ok := r.Add(mk("d", emotion.Calm, emotion.Neutral)); ok {
		t.Error("registry admitted a call beyond capacity")
	}
	live := r.Live()
	var order []string
	for _, c := range live {
		order = append(order, c.ID)
	}
	if fmt.Sprint(order) != "[b c a]" {
		t.Errorf("live order = %v, want most urgent first [b c a]", order)
	}
	if s, ok := r.ByShort(live[0].Short); !ok || s != severe {
		t.Errorf("ByShort(%q) did not find the severe call", live[0].Short)
	}
	r.Remove("b")
	if r.Len() != 2 {
		t.Errorf("len after remove = %d", r.Len())
	}
}

func TestHubDropsForSlowSubscriber(t *testing.T) {
	drops := 0
	h := NewHub(nil, func() { drops++ })
	all, cancelAll := h.Subscribe("", 1)
	one, cancelOne := h.Subscribe("x", 10)
	for i := 0; i < 3; i++ {
		h.Publish(telephony.Event{Type: "t", CallID: "x"})
	}
	h.Publish(telephony.Event{Type: "t", CallID: "y"})
	if len(all) != 1 || len(one) != 3 {
		t.Errorf("buffered: all=%d one=%d", len(all), len(one))
	}
	if h.Dropped() != 3 || drops != 3 {
		t.Errorf("dropped = %d / %d, want 3", h.Dropped(), drops)
	}
	cancelAll()
	cancelAll() // idempotent
	cancelOne()
	if _, ok := <-all; !ok {
		t.Error("buffered event lost on cancel")
	}
}
