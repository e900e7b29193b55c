package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// TestDialogActionsNameOnlyVariantLines: the A/B report counts replies whose words
// differ between variants, under the line's own name ("soothe"), and nothing else
// (it used to count every reply of a call under its node).
func TestDialogActionsNameOnlyVariantLines(t *testing.T) {
	eng, err := dialog.Load("../../config/flows")
	if err != nil {
		t.Fatal(err)
	}
	d := &dialogs{engine: eng, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	dlg, err := d.newDialog(ctx, telephony.CallInfo{ID: "ab-1", Channel: telephony.ChannelWebRTC, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	mild := emotion.Reading{Category: emotion.Angry, Level: emotion.Mild, Confidence: 0.7}
	calm := emotion.Reading{Category: emotion.Neutral, Level: emotion.Calm, Confidence: 0.8}
	tests := []struct {
		name     string
		reply    call.Reply
		wantLine string
	}{
		{"greeting", dlg.Start(ctx), ""},
		{"mild complaint", dlg.Turn(ctx, call.Input{Text: "I want a refund", Lang: "en", Reading: mild}), "soothe"},
		{"calm answer", dlg.Turn(ctx, call.Input{Text: "yes", Lang: "en", Reading: calm}), ""},
	}
	for _, tt := range tests {
		a := tt.reply.Action
		if a == nil {
			t.Fatalf("%s: no action", tt.name)
		}
		if a.Line != tt.wantLine || a.Variant == "" || a.Node == "" {
			t.Errorf("%s: line %q variant %q node %q, want line %q, the call's variant and the node", tt.name, a.Line, a.Variant, a.Node, tt.wantLine)
		}
	}
}
