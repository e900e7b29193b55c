package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// where accumulates filter clauses with ? placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const callCols = `c.id, c.channel, c.caller_id, c.called, c.lang, c.variant, c.started_ms, c.ended_ms, c.outcome, c.handoff_queue,
	COALESCE((SELECT MAX(level) FROM readings r WHERE r.call_id = c.id), 0)`

func (db *DB) scanCall(row interface{ Scan(...any) error }) (Call, error) {
	var c Call
	var channel string
	var started int64
	var ended sql.NullInt64
	var peak int
	if err := row.Scan(&c.ID, &channel, &c.CallerID, &c.Called, &c.Lang, &c.Variant, &started, &ended,
		&c.Outcome, &c.HandoffQueue, &peak); err != nil {
		return c, err
	}
	ch, err := telephony.ParseChannel(channel)
	if err != nil {
		return c, fmt.Errorf("call %s: %w", c.ID, err)
	}
	c.Channel = ch
	c.Started = fromMS(started)
	if ended.Valid {
		c.Ended = fromMS(ended.Int64)
	}
	c.PeakLevel = emotion.Level(peak)
	if c.CallerID, err = db.crypt.open("caller_id", c.CallerID); err != nil {
		return c, err
	}
	if c.Called, err = db.crypt.open("called", c.Called); err != nil {
		return c, err
	}
	return c, nil
}

// Call returns one call with its turns, readings, actions and outcome.
func (db *DB) Call(ctx context.Context, id string) (Call, error) {
	if err := db.check(); err != nil {
		return Call{}, err
	}
	c, err := db.scanCall(db.r.QueryRowContext(ctx, db.q(`SELECT `+callCols+` FROM calls c WHERE c.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Call{}, fmt.Errorf("store: call %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Call{}, fmt.Errorf("store: call %s: %w", id, err)
	}
	if c.Turns, err = db.turns(ctx, id); err != nil {
		return Call{}, err
	}
	if c.Readings, err = db.readings(ctx, `WHERE call_id = ? ORDER BY turn_seq, id`, id); err != nil {
		return Call{}, fmt.Errorf("store: call %s: %w", id, err)
	}
	if c.Actions, err = db.actions(ctx, id); err != nil {
		return Call{}, err
	}
	if c.Result, err = db.outcome(ctx, id); err != nil {
		return Call{}, err
	}
	return c, nil
}

func (db *DB) turns(ctx context.Context, id string) ([]Turn, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT seq, at_ms, speaker, text, asr_confidence FROM turns WHERE call_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, fmt.Errorf("store: turns of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Turn
	for rows.Next() {
		t := Turn{CallID: id}
		var at int64
		if err := rows.Scan(&t.Seq, &at, &t.Speaker, &t.Text, &t.ASRConfidence); err != nil {
			return nil, fmt.Errorf("store: turns of %s: %w", id, err)
		}
		t.At = fromMS(at)
		if t.Text, err = db.crypt.open("text", t.Text); err != nil {
			return nil, fmt.Errorf("store: turns of %s: %w", id, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: turns of %s: %w", id, err)
	}
	return out, nil
}

// readings runs a query over readings with the given tail (WHERE ... ORDER BY).
func (db *DB) readings(ctx context.Context, tail string, args ...any) ([]Reading, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, call_id, turn_seq, at_ms, category, level, confidence,
		arousal, valence, lang, cues, scores, inputs FROM readings `+tail), args...)
	if err != nil {
		return nil, fmt.Errorf("readings: %w", err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		var r Reading
		var at int64
		var cat, cues, scores, inputs string
		var level int
		if err := rows.Scan(&r.ID, &r.CallID, &r.TurnSeq, &at, &cat, &level, &r.Confidence, &r.Arousal,
			&r.Valence, &r.Lang, &cues, &scores, &inputs); err != nil {
			return nil, fmt.Errorf("readings: %w", err)
		}
		r.At = fromMS(at)
		if r.Category, err = emotion.ParseCategory(cat); err != nil {
			return nil, fmt.Errorf("reading %d: %w", r.ID, err)
		}
		r.Level = emotion.Level(level)
		if cues, err = db.crypt.open("cues", cues); err != nil {
			return nil, fmt.Errorf("reading %d: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(cues), &r.Cues); err != nil {
			return nil, fmt.Errorf("reading %d: cues: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(scores), &r.Scores); err != nil {
			return nil, fmt.Errorf("reading %d: scores: %w", r.ID, err)
		}
		if inputs, err = db.crypt.open("inputs", inputs); err != nil {
			return nil, fmt.Errorf("reading %d: %w", r.ID, err)
		}
		if inputs != "" {
			var in fusionInputs
			if err := json.Unmarshal([]byte(inputs), &in); err != nil {
				return nil, fmt.Errorf("reading %d: fusion inputs: %w", r.ID, err)
			}
			r.Evidence, r.Voice = in.Evidence, in.Voice
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readings: %w", err)
	}
	return out, nil
}

func (db *DB) actions(ctx context.Context, id string) ([]Action, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT seq, turn_seq, at_ms, type, node, line, reply, queue, priority,
		compensation, tier, strategy, variant FROM actions WHERE call_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, fmt.Errorf("store: actions of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a := Action{CallID: id}
		var at int64
		var comp string
		if err := rows.Scan(&a.Seq, &a.TurnSeq, &at, &a.Type, &a.Node, &a.Line, &a.Reply, &a.Queue, &a.Priority,
			&comp, &a.Tier, &a.Strategy, &a.Variant); err != nil {
			return nil, fmt.Errorf("store: actions of %s: %w", id, err)
		}
		a.At = fromMS(at)
		if comp != "" {
			a.Compensation = json.RawMessage(comp)
		}
		if a.Reply, err = db.crypt.open("reply", a.Reply); err != nil {
			return nil, fmt.Errorf("store: actions of %s: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: actions of %s: %w", id, err)
	}
	return out, nil
}

func (db *DB) outcome(ctx context.Context, id string) (*Outcome, error) {
	o := Outcome{CallID: id}
	var at int64
	var resolved, handed, first, peak, last int
	err := db.r.QueryRowContext(ctx, db.q(`SELECT at_ms, result, resolved, handed_off, queue, note, readings,
		first_level, peak_level, last_level FROM outcomes WHERE call_id = ?`), id).
		Scan(&at, &o.Result, &resolved, &handed, &o.Queue, &o.Note, &o.Readings, &first, &peak, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: outcome of %s: %w", id, err)
	}
	o.Ended = fromMS(at)
	o.Resolved, o.HandedOff = resolved != 0, handed != 0
	o.FirstLevel, o.PeakLevel, o.LastLevel = emotion.Level(first), emotion.Level(peak), emotion.Level(last)
	if o.Note, err = db.crypt.open("note", o.Note); err != nil {
		return nil, fmt.Errorf("store: outcome of %s: %w", id, err)
	}
	return &o, nil
}

// Calls lists calls, newest first, without their turns (use Call for those).
func (db *DB) Calls(ctx context.Context, f CallFilter) ([]Call, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	var w where
	if !f.From.IsZero() {
		w.add("c.started_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		w.add("c.started_ms < ?", f.To.UnixMilli())
	}
	if f.Channel != telephony.ChannelUnknown {
		w.add("c.channel = ?", f.Channel.String())
	}
	if f.Level > emotion.Calm {
		w.add("EXISTS (SELECT 1 FROM readings r WHERE r.call_id = c.id AND r.level >= ?)", int(f.Level))
	}
	args := append(w.args, clampLimit(f.Limit), max(f.Offset, 0))
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+callCols+` FROM calls c`+w.String()+
		` ORDER BY c.started_ms DESC, c.id LIMIT ? OFFSET ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		c, err := db.scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list calls: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list calls: %w", err)
	}
	return out, nil
}

// Heatmap counts calls started in [from, to) by hour of day and channel (a zero
// to means up to now). Hours are
// in from's location, so a supervisor in Shanghai passes times in Asia/Shanghai.
// Only cells with calls are returned, ordered by hour then channel.
func (db *DB) Heatmap(ctx context.Context, from, to time.Time) ([]HeatCell, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	w := where{conds: []string{"c.started_ms >= ?"}, args: []any{from.UnixMilli()}}
	if !to.IsZero() {
		w.add("c.started_ms < ?", to.UnixMilli())
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT c.started_ms, c.channel, COALESCE(MAX(r.level), 0), AVG(r.arousal)
		FROM calls c LEFT JOIN readings r ON r.call_id = c.id`+w.String()+`
		GROUP BY c.id, c.started_ms, c.channel`), w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: heatmap: %w", err)
	}
	defer rows.Close()
	type key struct {
		hour int
		ch   telephony.Channel
	}
	type acc struct {
		calls, withReadings, moderate int
		arousal                       float64
	}
	cells := map[key]*acc{}
	loc := from.Location()
	for rows.Next() {
		var started int64
		var channel string
		var peak int
		var arousal sql.NullFloat64
		if err := rows.Scan(&started, &channel, &peak, &arousal); err != nil {
			return nil, fmt.Errorf("store: heatmap: %w", err)
		}
		ch, err := telephony.ParseChannel(channel)
		if err != nil {
			return nil, fmt.Errorf("store: heatmap: %w", err)
		}
		k := key{time.UnixMilli(started).In(loc).Hour(), ch}
		a := cells[k]
		if a == nil {
			a = &acc{}
			cells[k] = a
		}
		a.calls++
		if arousal.Valid {
			a.withReadings++
			a.arousal += arousal.Float64
		}
		if emotion.Level(peak) >= emotion.Moderate {
			a.moderate++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: heatmap: %w", err)
	}
	out := make([]HeatCell, 0, len(cells))
	for k, a := range cells {
		c := HeatCell{Hour: k.hour, Channel: k.ch, Calls: a.calls, ModerateShare: float64(a.moderate) / float64(a.calls)}
		if a.withReadings > 0 {
			c.MeanArousal = a.arousal / float64(a.withReadings)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hour != out[j].Hour {
			return out[i].Hour < out[j].Hour
		}
		return out[i].Channel < out[j].Channel
	})
	return out, nil
}

// arousalStep is how much arousal must drop at an unchanged level to count as
// the caller calming down.
const arousalStep = 0.05

// ABResults scores every script line variant used by calls started in [from, to)
// (zero times = unbounded): how often the caller's emotion fell after it, and how
// often its calls were resolved without a human. Ordered by line, variant.
func (db *DB) ABResults(ctx context.Context, from, to time.Time) ([]ABResult, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	w := where{conds: []string{"a.line <> ''", "a.variant <> ''"}}
	if !from.IsZero() {
		w.add("c.started_ms >= ?", from.UnixMilli())
	}
	if !to.IsZero() {
		w.add("c.started_ms < ?", to.UnixMilli())
	}
	// For each use: the latest reading at or before the turn it answered, and
	// the first reading after it.
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT a.line, a.variant, a.call_id,
		(SELECT r.level FROM readings r WHERE r.call_id = a.call_id AND r.turn_seq <= a.turn_seq ORDER BY r.turn_seq DESC, r.id DESC LIMIT 1),
		(SELECT r.arousal FROM readings r WHERE r.call_id = a.call_id AND r.turn_seq <= a.turn_seq ORDER BY r.turn_seq DESC, r.id DESC LIMIT 1),
		(SELECT r.level FROM readings r WHERE r.call_id = a.call_id AND r.turn_seq > a.turn_seq ORDER BY r.turn_seq, r.id LIMIT 1),
		(SELECT r.arousal FROM readings r WHERE r.call_id = a.call_id AND r.turn_seq > a.turn_seq ORDER BY r.turn_seq, r.id LIMIT 1),
		o.resolved, o.handed_off
		FROM actions a JOIN calls c ON c.id = a.call_id LEFT JOIN outcomes o ON o.call_id = a.call_id`+w.String()),
		w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: a/b results: %w", err)
	}
	defer rows.Close()
	type key struct{ line, variant string }
	type acc struct {
		ABResult
		calls map[string]bool
		fell  int
		good  int
	}
	res := map[key]*acc{}
	for rows.Next() {
		var line, variant, call string
		var bl, al sql.NullInt64
		var ba, aa sql.NullFloat64
		var resolved, handed sql.NullInt64
		if err := rows.Scan(&line, &variant, &call, &bl, &ba, &al, &aa, &resolved, &handed); err != nil {
			return nil, fmt.Errorf("store: a/b results: %w", err)
		}
		k := key{line, variant}
		a := res[k]
		if a == nil {
			a = &acc{ABResult: ABResult{Line: line, Variant: variant}, calls: map[string]bool{}}
			res[k] = a
		}
		a.Uses++
		if bl.Valid && al.Valid {
			a.Measured++
			if al.Int64 < bl.Int64 || al.Int64 == bl.Int64 && aa.Float64 < ba.Float64-arousalStep {
				a.fell++
			}
		}
		if !a.calls[call] {
			a.calls[call] = true
			if resolved.Valid {
				a.Ended++
				if resolved.Int64 != 0 && handed.Int64 == 0 {
					a.good++
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: a/b results: %w", err)
	}
	out := make([]ABResult, 0, len(res))
	for _, a := range res {
		r := a.ABResult
		r.Calls = len(a.calls)
		if r.Measured > 0 {
			r.EmotionFell = float64(a.fell) / float64(r.Measured)
		}
		if r.Ended > 0 {
			r.ResolvedNoHandoff = float64(a.good) / float64(r.Ended)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Variant < out[j].Variant
	})
	return out, nil
}

// Feedback returns the labels given at or after since, oldest first, each with
// the labelled turn's text and the reading it corrected: a refit's training set.
func (db *DB) Feedback(ctx context.Context, since time.Time) ([]Feedback, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT f.id, f.call_id, f.turn_seq, f.reading_id, f.category, f.level,
		f.who, f.note, f.at_ms, COALESCE(t.text, '')
		FROM feedback f LEFT JOIN turns t ON t.call_id = f.call_id AND t.seq = f.turn_seq
		WHERE f.at_ms >= ? ORDER BY f.at_ms, f.id`), since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	var out []Feedback
	for rows.Next() {
		var f Feedback
		var rid sql.NullInt64
		var cat string
		var level int
		var at int64
		if err := rows.Scan(&f.ID, &f.CallID, &f.TurnSeq, &rid, &cat, &level, &f.Who, &f.Note, &at, &f.Text); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: feedback: %w", err)
		}
		f.ReadingID = rid.Int64
		if f.Category, err = emotion.ParseCategory(cat); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: feedback %d: %w", f.ID, err)
		}
		f.Level = emotion.Level(level)
		f.At = fromMS(at)
		if f.Note, err = db.crypt.open("note", f.Note); err == nil {
			f.Text, err = db.crypt.open("text", f.Text)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: feedback %d: %w", f.ID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	rows.Close()
	// Attach the corrected readings (a second pass: one connection may be all
	// the reader pool has free). A label given for the turn only corrects the
	// turn's last reading.
	for i := range out {
		var rs []Reading
		var err error
		if out[i].ReadingID != 0 {
			rs, err = db.readings(ctx, `WHERE id = ?`, out[i].ReadingID)
		} else {
			rs, err = db.readings(ctx, `WHERE call_id = ? AND turn_seq = ? ORDER BY id DESC LIMIT 1`, out[i].CallID, out[i].TurnSeq)
		}
		if err != nil {
			return nil, fmt.Errorf("store: feedback %d: %w", out[i].ID, err)
		}
		if len(rs) == 1 {
			out[i].Reading = &rs[0]
		}
	}
	return out, nil
}

// Label is the correction as a refit reads it: what fusion saw (the stored
// evidence and voice judgement, or the turn's text to rebuild the evidence from
// when the reading predates stored inputs) and what the person said. ok is false
// when there is nothing to learn from: no reading, no text and no voice.
func (f Feedback) Label() (l emotion.Label, ok bool) {
	l = emotion.Label{Category: f.Category}
	lvl := f.Level
	l.Level = &lvl
	if f.Reading != nil {
		l.Reading = f.Reading.Reading
		l.Acoustic = f.Reading.Voice
	}
	// Bracketed placeholders ("[keys 1]", "[no input]") are not words the caller said.
	if t := strings.TrimSpace(f.Text); t != "" && !(strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")) {
		l.Text = t
	}
	ok = l.Reading.Evidence != nil || l.Text != "" || (l.Acoustic != nil && l.Acoustic.Voiced)
	return l, ok
}

// AuditLog lists audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	var w where
	if !f.From.IsZero() {
		w.add("at_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		w.add("at_ms < ?", f.To.UnixMilli())
	}
	if f.Who != "" {
		w.add("who = ?", f.Who)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.CallID != "" {
		w.add("call_id = ?", f.CallID)
	}
	args := append(w.args, clampLimit(f.Limit), max(f.Offset, 0))
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT id, at_ms, who, action, call_id, mode, detail FROM audit`+
		w.String()+` ORDER BY at_ms DESC, id DESC LIMIT ? OFFSET ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Who, &e.Action, &e.CallID, &e.Mode, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.At = fromMS(at)
		if e.Detail, err = db.crypt.open("detail", e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}
