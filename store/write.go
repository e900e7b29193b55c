package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/store/redact"
	"github.com/calmline/calmline/telephony"
)

// classify maps constraint violations to the package's sentinel errors so
// callers can tell "no such call" and "already recorded" from real failures.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", ErrDuplicate, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23503":
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case "23505":
			return fmt.Errorf("%w: %w", ErrDuplicate, err)
		}
	}
	return err
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UnixMilli()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// freeText prepares what a person said or wrote for storage: invalid UTF-8 and
// NUL bytes (which Postgres refuses in TEXT) are replaced, personal data is
// redacted, and the result is encrypted when a key is configured.
func (db *DB) freeText(column, s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return db.crypt.seal(column, redact.Text(strings.ToValidUTF8(s, "\uFFFD")))
}

// validEmotion refuses values outside the enums, which would otherwise be
// written as "Category(9)" and break every later read of the call.
func validEmotion(c emotion.Category, l emotion.Level) error {
	if _, err := emotion.ParseCategory(c.String()); err != nil {
		return err
	}
	if _, err := emotion.ParseLevel(l.String()); err != nil {
		return err
	}
	return nil
}

// StartCall records a new call. Started defaults to now.
func (db *DB) StartCall(ctx context.Context, c Call) error {
	if err := db.check(); err != nil {
		return err
	}
	if c.ID == "" {
		return fmt.Errorf("store: start call: empty id")
	}
	if _, err := telephony.ParseChannel(c.Channel.String()); err != nil {
		return fmt.Errorf("store: start call %s: %w", c.ID, err)
	}
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO calls
		(id, channel, caller_id, called, lang, variant, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		c.ID, c.Channel.String(), db.crypt.seal("caller_id", c.CallerID), db.crypt.seal("called", c.Called),
		c.Lang, c.Variant, ms(c.Started))
	if err != nil {
		return fmt.Errorf("store: start call %s: %w", c.ID, classify(err))
	}
	return nil
}

// AddTurn records one utterance, redacting its text first.
func (db *DB) AddTurn(ctx context.Context, t Turn) error {
	if err := db.check(); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO turns
		(call_id, seq, at_ms, speaker, text, asr_confidence) VALUES (?, ?, ?, ?, ?, ?)`),
		t.CallID, t.Seq, ms(t.At), t.Speaker, db.freeText("text", t.Text), t.ASRConfidence)
	if err != nil {
		return fmt.Errorf("store: add turn %s/%d: %w", t.CallID, t.Seq, classify(err))
	}
	return nil
}

// AddReading records an emotion reading and returns its id, which feedback
// labels refer to. Cue texts are redacted (they quote the caller).
func (db *DB) AddReading(ctx context.Context, r Reading) (int64, error) {
	if err := db.check(); err != nil {
		return 0, err
	}
	if err := validEmotion(r.Category, r.Level); err != nil {
		return 0, fmt.Errorf("store: add reading %s/%d: %w", r.CallID, r.TurnSeq, err)
	}
	cues := make([]emotion.Cue, len(r.Cues))
	for i, c := range r.Cues {
		c.Text = redact.Text(c.Text)
		cues[i] = c
	}
	cuesJSON, err := json.Marshal(cues)
	if err != nil {
		return 0, fmt.Errorf("store: add reading %s/%d: encode cues: %w", r.CallID, r.TurnSeq, err)
	}
	scores, err := json.Marshal(r.Scores)
	if err != nil {
		return 0, fmt.Errorf("store: add reading %s/%d: encode scores: %w", r.CallID, r.TurnSeq, err)
	}
	inputs, err := readingInputs(r)
	if err != nil {
		return 0, fmt.Errorf("store: add reading %s/%d: %w", r.CallID, r.TurnSeq, err)
	}
	var id int64
	err = db.w.QueryRowContext(ctx, db.q(`INSERT INTO readings
		(call_id, turn_seq, at_ms, category, level, confidence, arousal, valence, lang, cues, scores, inputs)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.CallID, r.TurnSeq, ms(r.At), r.Category.String(), int(r.Level), r.Confidence, r.Arousal, r.Valence,
		r.Lang, db.crypt.seal("cues", string(cuesJSON)), string(scores), db.crypt.seal("inputs", inputs)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add reading %s/%d: %w", r.CallID, r.TurnSeq, classify(err))
	}
	return id, nil
}

// fusionInputs is what the readings table keeps of fusion's inputs.
type fusionInputs struct {
	Evidence *emotion.TextEvidence `json:"evidence,omitempty"`
	Voice    *emotion.Acoustic     `json:"voice,omitempty"`
}

// readingInputs encodes a reading's evidence and voice judgement, with the cue
// texts that quote the caller redacted like the reading's own cues; "" when the
// reading has neither.
func readingInputs(r Reading) (string, error) {
	in := fusionInputs{Voice: r.Voice}
	if in.Voice != nil && !in.Voice.Voiced {
		in.Voice = nil
	}
	if ev := r.Evidence; ev != nil {
		red := *ev
		red.Cues = make([]emotion.Cue, len(ev.Cues))
		for i, c := range ev.Cues {
			c.Text = redact.Text(c.Text)
			red.Cues[i] = c
		}
		in.Evidence = &red
	}
	if in.Evidence == nil && in.Voice == nil {
		return "", nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("encode fusion inputs: %w", err)
	}
	return string(b), nil
}

// AddAction records what the dialog did. Compensation must be JSON (or empty).
func (db *DB) AddAction(ctx context.Context, a Action) error {
	if err := db.check(); err != nil {
		return err
	}
	comp := string(a.Compensation)
	if comp != "" && !json.Valid(a.Compensation) {
		return fmt.Errorf("store: add action %s/%d: compensation is not valid JSON", a.CallID, a.Seq)
	}
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO actions
		(call_id, seq, turn_seq, at_ms, type, node, line, reply, queue, priority, compensation, tier, strategy, variant)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.CallID, a.Seq, a.TurnSeq, ms(a.At), a.Type, a.Node, a.Line, db.freeText("reply", a.Reply),
		a.Queue, a.Priority, comp, a.Tier, a.Strategy, a.Variant)
	if err != nil {
		return fmt.Errorf("store: add action %s/%d: %w", a.CallID, a.Seq, classify(err))
	}
	// The dialog assigns a call its A/B arm after the call starts; the first
	// action that names one labels the call, so call history can be split by arm.
	if a.Variant != "" {
		if _, err := db.w.ExecContext(ctx, db.q(`UPDATE calls SET variant = ? WHERE id = ? AND variant = ''`), a.Variant, a.CallID); err != nil {
			return fmt.Errorf("store: label call %s with variant %q: %w", a.CallID, a.Variant, classify(err))
		}
	}
	return nil
}

// EndCall closes a call and records its outcome, summarising the emotion levels
// of its readings (first, peak, last) in the same transaction.
func (db *DB) EndCall(ctx context.Context, o Outcome) error {
	if err := db.check(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: end call %s: begin: %w", o.CallID, err)
	}
	defer tx.Rollback()
	end := ms(o.Ended)
	res, err := tx.ExecContext(ctx, db.q(`UPDATE calls SET ended_ms = ?, outcome = ?, handoff_queue = ? WHERE id = ?`),
		end, o.Result, o.Queue, o.CallID)
	if err != nil {
		return fmt.Errorf("store: end call %s: %w", o.CallID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: end call %s: %w", o.CallID, ErrNotFound)
	}
	levels, err := tx.QueryContext(ctx, db.q(`SELECT level FROM readings WHERE call_id = ? ORDER BY turn_seq, id`), o.CallID)
	if err != nil {
		return fmt.Errorf("store: end call %s: read levels: %w", o.CallID, err)
	}
	var n, first, peak, last int
	for levels.Next() {
		var l int
		if err := levels.Scan(&l); err != nil {
			levels.Close()
			return fmt.Errorf("store: end call %s: read levels: %w", o.CallID, err)
		}
		if n == 0 {
			first = l
		}
		peak, last = max(peak, l), l
		n++
	}
	if err := levels.Close(); err != nil {
		return fmt.Errorf("store: end call %s: read levels: %w", o.CallID, err)
	}
	if err := levels.Err(); err != nil {
		return fmt.Errorf("store: end call %s: read levels: %w", o.CallID, err)
	}
	_, err = tx.ExecContext(ctx, db.q(`INSERT INTO outcomes
		(call_id, at_ms, result, resolved, handed_off, queue, note, readings, first_level, peak_level, last_level)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		o.CallID, end, o.Result, b2i(o.Resolved), b2i(o.HandedOff), o.Queue,
		db.freeText("note", o.Note), n, first, peak, last)
	if err != nil {
		return fmt.Errorf("store: end call %s: record outcome: %w", o.CallID, classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: end call %s: commit: %w", o.CallID, err)
	}
	return nil
}

// AddFeedback records a human correction of a reading and returns its id.
func (db *DB) AddFeedback(ctx context.Context, f Feedback) (int64, error) {
	if err := db.check(); err != nil {
		return 0, err
	}
	if err := validEmotion(f.Category, f.Level); err != nil {
		return 0, fmt.Errorf("store: add feedback %s/%d: %w", f.CallID, f.TurnSeq, err)
	}
	// A label must name a turn the call had, and a reading of that turn: one for
	// a turn that never happened would train a refit on nothing.
	var one int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT 1 FROM turns WHERE call_id = ? AND seq = ?`), f.CallID, f.TurnSeq).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: add feedback %s/%d: %w: the call has no such turn", f.CallID, f.TurnSeq, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: add feedback %s/%d: find turn: %w", f.CallID, f.TurnSeq, err)
	}
	var readingID sql.NullInt64
	if f.ReadingID != 0 {
		err := db.r.QueryRowContext(ctx, db.q(`SELECT 1 FROM readings WHERE id = ? AND call_id = ? AND turn_seq = ?`),
			f.ReadingID, f.CallID, f.TurnSeq).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("store: add feedback %s/%d: %w: reading %d is not of that turn", f.CallID, f.TurnSeq, ErrNotFound, f.ReadingID)
		}
		if err != nil {
			return 0, fmt.Errorf("store: add feedback %s/%d: find reading: %w", f.CallID, f.TurnSeq, err)
		}
		readingID = sql.NullInt64{Int64: f.ReadingID, Valid: true}
	}
	var id int64
	err = db.w.QueryRowContext(ctx, db.q(`INSERT INTO feedback
		(call_id, turn_seq, reading_id, category, level, who, note, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		f.CallID, f.TurnSeq, readingID, f.Category.String(), int(f.Level), f.Who,
		db.freeText("note", f.Note), ms(f.At)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add feedback %s/%d: %w", f.CallID, f.TurnSeq, classify(err))
	}
	return id, nil
}

// Audit appends to the audit log. CallID need not exist (the log outlives calls).
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	if err := db.check(); err != nil {
		return err
	}
	if e.Who == "" || e.Action == "" {
		return fmt.Errorf("store: audit: who and action are required")
	}
	_, err := db.w.ExecContext(ctx, db.q(`INSERT INTO audit (at_ms, who, action, call_id, mode, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		ms(e.At), e.Who, e.Action, e.CallID, e.Mode, db.freeText("detail", e.Detail))
	if err != nil {
		return fmt.Errorf("store: audit %s %s: %w", e.Who, e.Action, err)
	}
	return nil
}

// DeleteCall removes a call and everything recorded about it (turns, readings,
// actions, outcome, feedback), for a caller who asks to be forgotten. The audit
// log keeps its entries: it records who did what, and must outlive the call.
func (db *DB) DeleteCall(ctx context.Context, id string) error {
	if err := db.check(); err != nil {
		return err
	}
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM calls WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("store: delete call %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: delete call %s: %w", id, ErrNotFound)
	}
	return nil
}

// PruneCalls deletes calls started before the cutoff, with everything recorded
// about them, and returns how many went: the retention policy for transcripts.
func (db *DB) PruneCalls(ctx context.Context, before time.Time) (int64, error) {
	if err := db.check(); err != nil {
		return 0, err
	}
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM calls WHERE started_ms < ?`), before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune calls before %s: %w", before.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune calls: %w", err)
	}
	return n, nil
}
