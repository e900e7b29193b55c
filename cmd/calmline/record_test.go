package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
)

func TestStoreRecorderWritesACall(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := newStoreRecorder(db)
	now := time.Now().UTC()
	ev := func(typ string, d any) telephony.Event {
		return telephony.Event{Type: typ, CallID: "c1", Time: now, Data: d}
	}
	events := []telephony.Event{
		ev("call.started", telephony.CallInfo{ID: "c1", Channel: telephony.ChannelWebRTC, CallerID: "13800138000", Lang: "zh", Started: now}),
		ev("action", call.ActionEvent{Seq: 0, N: 1, Reply: "您好", Action: call.Action{Type: "say"}}),
		ev("transcript", call.TurnEvent{Seq: 1, Text: "第三次了，我的电话是13800138000", Confidence: 0.8}),
		ev("emotion", call.EmotionEvent{Seq: 1, Reading: emotion.Reading{Category: emotion.Angry, Level: emotion.Moderate, Arousal: 0.8}}),
		ev("action", call.ActionEvent{Seq: 1, N: 2, Reply: "非常抱歉", Action: call.Action{Type: "handoff", Queue: "experts", Priority: 5, Compensation: map[string]any{"kind": "coupon", "amount": 20}}}),
		ev("dtmf", call.TurnEvent{Seq: 2, DTMF: "1"}),
		ev("transcript", call.TurnEvent{Seq: 3, NoMatch: true}),
		ev("transcript", call.TurnEvent{Seq: 4, AfterHandoff: true, VoiceOnly: true, DurationS: 1.2}),
		ev("call.ended", call.Outcome{Reason: "transferred", HandedOff: true, Queue: "experts"}),
	}
	for _, e := range events {
		if err := rec.Record(ctx, e); err != nil {
			t.Fatalf("record %s: %v", e.Type, err)
		}
	}
	c, err := db.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Turns) != 4 || len(c.Readings) != 1 || len(c.Actions) != 2 || c.Result == nil || !c.Result.HandedOff {
		t.Fatalf("stored call = %+v", c)
	}
	if c.Turns[0].Text == "第三次了，我的电话是13800138000" {
		t.Errorf("phone number stored unredacted: %q", c.Turns[0].Text)
	}
	if c.Turns[1].Text != "[keys 1]" || c.Actions[1].Queue != "experts" || string(c.Actions[1].Compensation) == "" {
		t.Errorf("turn/action = %+v / %+v", c.Turns[1], c.Actions[1])
	}
	// a turn with no words says why, rather than showing as a blank line
	if c.Turns[2].Text != "[not understood]" || c.Turns[3].Text != "[to the agent, not transcribed]" {
		t.Errorf("wordless turns stored as %q, %q", c.Turns[2].Text, c.Turns[3].Text)
	}
	if c.PeakLevel != emotion.Moderate || c.Channel != telephony.ChannelWebRTC {
		t.Errorf("peak %v channel %v", c.PeakLevel, c.Channel)
	}
}
