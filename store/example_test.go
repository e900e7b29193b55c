package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
)

// A call's life in the store: what call.Session records, and what the web API reads.
func Example() {
	dir, _ := os.MkdirTemp("", "calmline-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(dir, "calmline.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	db.StartCall(ctx, store.Call{ID: "c-1", Channel: telephony.ChannelSIP, CallerID: "+8613800000000", Lang: "zh", Started: start})
	db.AddTurn(ctx, store.Turn{CallID: "c-1", Seq: 1, At: start.Add(3 * time.Second), Speaker: "caller",
		Text: "第三次打电话了！我的手机13812345678", ASRConfidence: 0.9})
	db.AddReading(ctx, store.Reading{CallID: "c-1", TurnSeq: 1, Reading: emotion.Reading{Category: emotion.Angry, Level: emotion.Severe, Arousal: 0.9}})
	db.AddAction(ctx, store.Action{CallID: "c-1", Seq: 1, TurnSeq: 1, Type: "handoff", Queue: "vip", Line: "apology", Variant: "B"})
	db.EndCall(ctx, store.Outcome{CallID: "c-1", Ended: start.Add(time.Minute), Result: "handoff", HandedOff: true, Queue: "vip"})

	c, _ := db.Call(ctx, "c-1")
	fmt.Println(c.Turns[0].Text)
	fmt.Println(c.PeakLevel, c.Result.Result, c.HandoffQueue)
	// Output:
	// 第三次打电话了！我的手机[phone]
	// severe handoff vip
}
