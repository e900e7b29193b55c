package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
)

// storeRecorder turns a session's events into store rows. It is the call.Recorder of
// the server; the session calls it synchronously, so a row is written before the
// call moves on and nothing is lost when the process stops.
type storeRecorder struct {
	db *store.DB
}

func newStoreRecorder(db *store.DB) *storeRecorder {
	return &storeRecorder{db: db}
}

func (r *storeRecorder) Record(ctx context.Context, ev telephony.Event) error {
	switch d := ev.Data.(type) {
	case telephony.CallInfo:
		if ev.Type != "call.started" {
			return nil
		}
		started := d.Started
		if started.IsZero() {
			started = ev.Time
		}
		return r.db.StartCall(ctx, store.Call{
			ID: d.ID, Channel: d.Channel, CallerID: d.CallerID, Called: d.Called, Lang: d.Lang, Started: started,
		})
	case call.TurnEvent:
		text := d.Text
		switch {
		case d.DTMF != "":
			text = "[keys " + d.DTMF + "]"
		case d.NoInput:
			text = "[no input]"
		case d.ASRFailed:
			text = "[not recognised]"
		case d.VoiceOnly:
			text = "[to the agent, not transcribed]"
		case d.NoMatch && d.Text == "":
			text = "[not understood]"
		}
		return r.db.AddTurn(ctx, store.Turn{
			CallID: ev.CallID, Seq: d.Seq, At: ev.Time, Speaker: "caller", Text: text, ASRConfidence: d.Confidence,
		})
	case call.EmotionEvent:
		_, err := r.db.AddReading(ctx, store.Reading{CallID: ev.CallID, TurnSeq: d.Seq, At: ev.Time, Reading: d.Reading, Voice: d.Voice})
		return err
	case call.ActionEvent:
		var comp json.RawMessage
		if d.Compensation != nil {
			b, err := json.Marshal(d.Compensation)
			if err != nil {
				return fmt.Errorf("encode compensation: %w", err)
			}
			comp = b
		}
		return r.db.AddAction(ctx, store.Action{
			CallID: ev.CallID, Seq: d.N, TurnSeq: d.Seq, At: ev.Time, Type: d.Type, Node: d.Node, Line: d.Line, Reply: d.Reply,
			Queue: d.Queue, Priority: d.Priority, Compensation: comp, Tier: d.Tier, Strategy: d.Strategy, Variant: d.Variant,
		})
	case call.Outcome:
		return r.db.EndCall(ctx, store.Outcome{
			CallID: ev.CallID, Ended: ev.Time, Result: d.Reason, HandedOff: d.HandedOff, Queue: d.Queue,
			Resolved: d.Reason == "bot_hangup" && !d.HandedOff,
		})
	}
	return nil
}
