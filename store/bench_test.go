package store

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// BenchmarkTurn measures what a live call costs the store per caller turn: one
// AddTurn (redaction included) and one AddReading, each its own committed write.
func BenchmarkTurn(b *testing.B) {
	for _, bc := range []struct {
		name string
		sync string
		key  bool
	}{
		{"sqlite-normal", "normal", false},
		{"sqlite-full", "full", false},
		{"sqlite-normal-encrypted", "normal", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var key []byte
			if bc.key {
				key = make([]byte, 32)
			}
			db, err := Open(context.Background(), Config{Path: b.TempDir() + "/bench.db", Sync: bc.sync, Key: key})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			benchTurns(b, db)
		})
	}
	if dsn := os.Getenv("CALMLINE_TEST_POSTGRES_DSN"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { benchTurns(b, openPostgres(b, dsn, nil)) })
	}
}

func benchTurns(b *testing.B, db *DB) {
	ctx := context.Background()
	r := reading(emotion.Angry, emotion.Moderate, 0.7)
	// What a live reading carries since readings keep fusion's inputs: the text
	// evidence and the voice model's judgement with its seven classes.
	r.Evidence = &emotion.TextEvidence{Lang: "zh", Positive: 0.12,
		Scores: map[emotion.Category]float64{emotion.Neutral: 0.2, emotion.Satisfied: 0.05, emotion.Confused: 0.04,
			emotion.Anxious: 0.15, emotion.Sad: 0.1, emotion.Angry: 0.46},
		Cues: []emotion.Cue{{Kind: "repeat", Text: "第三次", Weight: 0.7}, {Kind: "threat", Text: "投诉", Weight: 0.5}}}
	voice := &emotion.Acoustic{Voiced: true, Arousal: 0.8, Confidence: 0.6, Class: "anger",
		Scores:  map[emotion.Category]float64{emotion.Angry: 0.6, emotion.Neutral: 0.2, emotion.Anxious: 0.1, emotion.Sad: 0.05, emotion.Satisfied: 0.05},
		Classes: map[string]float64{"anger": 0.55, "boredom": 0.05, "disgust": 0.05, "fear": 0.1, "happiness": 0.05, "neutral": 0.15, "sadness": 0.05},
		Cues:    []emotion.Cue{{Kind: "acoustic", Text: "pitch +4.1 st above your baseline", Weight: 0.4}}}
	const perCall = 200
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench-%d", i/perCall)
		seq := i%perCall + 1
		if seq == 1 {
			if err := db.StartCall(ctx, Call{ID: id, Channel: telephony.ChannelSIP, CallerID: "+8613812345678"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.AddTurn(ctx, Turn{CallID: id, Seq: seq, Speaker: "caller",
			Text: "我已经打了第三次电话了，订单号20231115001234还是没到，我的手机13812345678", ASRConfidence: 0.9}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.AddReading(ctx, Reading{CallID: id, TurnSeq: seq, Reading: r, Voice: voice}); err != nil {
			b.Fatal(err)
		}
	}
}
