package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

// backend is one database the shared tests run against.
type backend struct {
	name string
	open func(t testing.TB, key []byte) *DB
}

// backends is SQLite, and Postgres when CALMLINE_TEST_POSTGRES_DSN is set (the
// Postgres subtests skip otherwise). Each Postgres test gets its own schema,
// dropped afterwards.
func backends(t *testing.T) []backend {
	return []backend{
		{"sqlite", func(t testing.TB, key []byte) *DB {
			return openSQLite(t, t.TempDir()+"/calmline.db", key)
		}},
		{"postgres", func(t testing.TB, key []byte) *DB {
			dsn := os.Getenv("CALMLINE_TEST_POSTGRES_DSN")
			if dsn == "" {
				t.Skip("CALMLINE_TEST_POSTGRES_DSN not set")
			}
			return openPostgres(t, dsn, key)
		}},
	}
}

func openSQLite(t testing.TB, path string, key []byte) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{Path: path, Key: key})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB, dsn string, key []byte) *DB {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "calmline_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if !strings.Contains(dsn, "://") {
		sep = " "
	}
	full := dsn + sep + "search_path=" + schema
	db, err := Open(context.Background(), Config{Driver: "postgres", DSN: full, Key: key})
	if err != nil {
		t.Fatalf("Open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func reading(cat emotion.Category, lvl emotion.Level, arousal float64) emotion.Reading {
	return emotion.Reading{
		Category: cat, Level: lvl, Confidence: 0.8, Arousal: arousal, Valence: -0.5, Lang: "zh",
		Scores: map[emotion.Category]float64{cat: 0.8, emotion.Neutral: 0.2},
		Cues:   []emotion.Cue{{Kind: "repeat", Text: "第三次", Weight: 0.7}, {Kind: "model", Text: "call 13812345678", Weight: 0.1}},
	}
}

func mustStart(t testing.TB, db *DB, id string, ch telephony.Channel, started time.Time) {
	t.Helper()
	if err := db.StartCall(context.Background(), Call{ID: id, Channel: ch, CallerID: "+8613812345678", Called: "400-800-1234",
		Lang: "zh", Variant: "B", Started: started}); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			mustStart(t, db, "c1", telephony.ChannelSIP, t0)
			turns := []Turn{
				{CallID: "c1", Seq: 1, At: t0.Add(time.Second), Speaker: "bot", Text: "您好，请问有什么可以帮您？", ASRConfidence: 1},
				{CallID: "c1", Seq: 2, At: t0.Add(5 * time.Second), Speaker: "caller", Text: "我的电话是13812345678，订单号20231115001234又没到！", ASRConfidence: 0.91},
				{CallID: "c1", Seq: 3, At: t0.Add(9 * time.Second), Speaker: "caller", Text: "my card 4111 1111 1111 1111 was charged twice", ASRConfidence: 0.8},
			}
			for _, tr := range turns {
				if err := db.AddTurn(ctx, tr); err != nil {
					t.Fatal(err)
				}
			}
			id1, err := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 2, At: t0.Add(6 * time.Second), Reading: reading(emotion.Angry, emotion.Severe, 0.9)})
			if err != nil {
				t.Fatal(err)
			}
			id2, err := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 3, At: t0.Add(10 * time.Second), Reading: reading(emotion.Angry, emotion.Moderate, 0.7)})
			if err != nil {
				t.Fatal(err)
			}
			if id1 == 0 || id2 <= id1 {
				t.Errorf("reading ids %d, %d: want increasing, non-zero", id1, id2)
			}
			act := Action{CallID: "c1", Seq: 1, TurnSeq: 2, At: t0.Add(7 * time.Second), Type: "compensate", Line: "apology",
				Reply: "非常抱歉，我们会回电 13812345678", Priority: 2, Compensation: json.RawMessage(`{"kind":"coupon","amount":20}`),
				Tier: "severe", Strategy: "soothe", Variant: "B"}
			if err := db.AddAction(ctx, act); err != nil {
				t.Fatal(err)
			}
			if err := db.EndCall(ctx, Outcome{CallID: "c1", Ended: t0.Add(time.Minute), Result: "handoff", HandedOff: true,
				Queue: "vip", Note: "caller left mail a@b.cn"}); err != nil {
				t.Fatal(err)
			}

			c, err := db.Call(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if c.Channel != telephony.ChannelSIP || c.CallerID != "+8613812345678" || c.Called != "400-800-1234" ||
				c.Lang != "zh" || c.Variant != "B" || !c.Started.Equal(t0) || !c.Ended.Equal(t0.Add(time.Minute)) ||
				c.Outcome != "handoff" || c.HandoffQueue != "vip" || c.PeakLevel != emotion.Severe {
				t.Errorf("call header wrong: %+v", c)
			}
			wantText := []string{
				"您好，请问有什么可以帮您？",
				"我的电话是[phone]，订单号20231115001234又没到！",
				"my card [card] was charged twice",
			}
			if len(c.Turns) != 3 {
				t.Fatalf("got %d turns, want 3", len(c.Turns))
			}
			for i, tr := range c.Turns {
				if tr.Text != wantText[i] || tr.Seq != i+1 || !tr.At.Equal(turns[i].At) || tr.Speaker != turns[i].Speaker ||
					tr.ASRConfidence != turns[i].ASRConfidence {
					t.Errorf("turn %d = %+v, want text %q", i, tr, wantText[i])
				}
			}
			if len(c.Readings) != 2 {
				t.Fatalf("got %d readings, want 2", len(c.Readings))
			}
			r := c.Readings[0]
			if r.ID != id1 || r.TurnSeq != 2 || r.Category != emotion.Angry || r.Level != emotion.Severe || r.Arousal != 0.9 ||
				r.Valence != -0.5 || r.Confidence != 0.8 || r.Lang != "zh" || r.Scores[emotion.Angry] != 0.8 ||
				len(r.Cues) != 2 || r.Cues[0].Text != "第三次" || r.Cues[1].Text != "call [phone]" {
				t.Errorf("reading = %+v", r)
			}
			if len(c.Actions) != 1 {
				t.Fatalf("got %d actions", len(c.Actions))
			}
			a := c.Actions[0]
			if a.Reply != "非常抱歉，我们会回电 [phone]" || a.Line != "apology" || a.Variant != "B" || a.Priority != 2 ||
				a.Tier != "severe" || a.Strategy != "soothe" || a.Type != "compensate" || a.TurnSeq != 2 {
				t.Errorf("action = %+v", a)
			}
			var comp map[string]any
			if err := json.Unmarshal(a.Compensation, &comp); err != nil || comp["amount"] != 20.0 {
				t.Errorf("compensation = %s (%v)", a.Compensation, err)
			}
			o := c.Result
			if o == nil || !o.HandedOff || o.Resolved || o.Readings != 2 || o.FirstLevel != emotion.Severe ||
				o.PeakLevel != emotion.Severe || o.LastLevel != emotion.Moderate || o.Note != "caller left mail [email]" {
				t.Errorf("outcome = %+v", o)
			}
			// The JSON the web API serves uses snake_case names and enum names.
			js, _ := json.Marshal(c)
			for _, want := range []string{`"caller_id":"+8613812345678"`, `"handoff_queue":"vip"`, `"channel":"sip"`,
				`"peak_level":"severe"`, `"turn_seq":2`, `"category":"angry"`, `"asr_confidence":0.91`} {
				if !strings.Contains(string(js), want) {
					t.Errorf("JSON lacks %s: %s", want, js)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			mustStart(t, db, "c1", telephony.ChannelSIP, t0)
			tests := []struct {
				name string
				err  error
				want error // nil: any error
			}{
				{"duplicate call", db.StartCall(ctx, Call{ID: "c1"}), ErrDuplicate},
				{"turn of unknown call", db.AddTurn(ctx, Turn{CallID: "nope", Seq: 1, Text: "x"}), ErrNotFound},
				{"duplicate turn", func() error {
					db.AddTurn(ctx, Turn{CallID: "c1", Seq: 1, Text: "x"})
					return db.AddTurn(ctx, Turn{CallID: "c1", Seq: 1, Text: "y"})
				}(), ErrDuplicate},
				{"reading of unknown call", func() error { _, err := db.AddReading(ctx, Reading{CallID: "nope"}); return err }(), ErrNotFound},
				{"action of unknown call", db.AddAction(ctx, Action{CallID: "nope", Seq: 1}), ErrNotFound},
				{"end unknown call", db.EndCall(ctx, Outcome{CallID: "nope"}), ErrNotFound},
				{"feedback on unknown reading", func() error {
					_, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: 1, ReadingID: 999, Who: "sup"})
					return err
				}(), ErrNotFound},
				{"feedback past the last turn", func() error {
					_, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: 7, Who: "sup"})
					return err
				}(), ErrNotFound},

				{"bad channel", db.StartCall(ctx, Call{ID: "c9", Channel: telephony.Channel(42)}), nil},
				{"bad category", func() error {
					_, err := db.AddReading(ctx, Reading{CallID: "c1", Reading: emotion.Reading{Category: 99}})
					return err
				}(), nil},
				{"bad level", func() error {
					_, err := db.AddFeedback(ctx, Feedback{CallID: "c1", Level: -1})
					return err
				}(), nil},
				{"get unknown call", func() error { _, err := db.Call(ctx, "nope"); return err }(), ErrNotFound},
			}
			for _, tt := range tests {
				if tt.want == nil && tt.err == nil || tt.want != nil && !errors.Is(tt.err, tt.want) {
					t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
				}
			}
			// Refused writes left nothing behind that breaks reading the call.
			if c, err := db.Call(ctx, "c1"); err != nil || len(c.Readings) != 0 {
				t.Errorf("call after refused writes: %+v, %v", c, err)
			}
			if err := db.AddAction(ctx, Action{CallID: "c1", Seq: 9, Compensation: json.RawMessage("{oops")}); err == nil {
				t.Error("invalid compensation JSON accepted")
			}
			if err := db.Audit(ctx, AuditEntry{Who: "x"}); err == nil {
				t.Error("audit without action accepted")
			}
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := db.AddTurn(ctx, Turn{CallID: "c1", Seq: 2}); !errors.Is(err, ErrClosed) {
				t.Errorf("AddTurn after Close: %v, want ErrClosed", err)
			}
			if _, err := db.Calls(ctx, CallFilter{}); !errors.Is(err, ErrClosed) {
				t.Errorf("Calls after Close: %v, want ErrClosed", err)
			}
		})
	}
}

func TestOpenConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"unknown driver", Config{Driver: "mysql", Path: dir + "/a.db"}},
		{"sqlite without path", Config{}},
		{"postgres without dsn", Config{Driver: "postgres"}},
		{"short key", Config{Path: dir + "/a.db", Key: []byte("short")}},
		{"bad sync", Config{Path: dir + "/a.db", Sync: "off"}},
	}
	for _, tt := range tests {
		if db, err := Open(ctx, tt.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", tt.name, err)
			if db != nil {
				db.Close()
			}
		}
	}
	if _, err := Open(ctx, Config{Path: dir + "/missing-dir/x.db"}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
	db, err := Open(ctx, Config{Path: dir + "/full.db", Sync: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode, sync string
	if err := db.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	if err := db.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != "2" {
		t.Errorf("synchronous = %q (%v), want 2 (FULL)", sync, err)
	}
	var fk int
	if err := db.r.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys on reader = %d (%v)", fk, err)
	}
}

func TestParseKey(t *testing.T) {
	k32 := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		wantLen int
		wantErr bool
	}{
		{"", 0, false},
		{k32, 32, false},
		{"  " + k32 + "\n", 32, false},
		{strings.Repeat("0f", 16), 16, false},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 32, false},
		{"abcd", 0, true},
		{"not a key!!", 0, true},
	}
	for _, tt := range tests {
		k, err := ParseKey(tt.in)
		if (err != nil) != tt.wantErr || len(k) != tt.wantLen {
			t.Errorf("ParseKey(%q) = %d bytes, %v; want %d bytes, err %v", tt.in, len(k), err, tt.wantLen, tt.wantErr)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &DB{driver: DriverPostgres}
	got := pg.q(`SELECT 1 FROM t WHERE a = ? AND b = '?' AND c = ?`)
	if want := `SELECT 1 FROM t WHERE a = $1 AND b = '?' AND c = $2`; got != want {
		t.Errorf("q = %s, want %s", got, want)
	}
	lite := &DB{driver: DriverSQLite}
	if got := lite.q("a = ?"); got != "a = ?" {
		t.Errorf("sqlite q changed the query: %s", got)
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/m.db"
	db, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(DriverSQLite)
	latest := ms[len(ms)-1].version
	if v, err := db.SchemaVersion(ctx); err != nil || v != latest {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	mustStart(t, db, "keep", telephony.ChannelWebRTC, t0)
	db.Close()

	// Reopening applies nothing and keeps the data.
	db, err = Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	db.r.QueryRow("SELECT COUNT(*) FROM schema_version").Scan(&n)
	if n != len(ms) {
		t.Errorf("schema_version has %d rows after reopen, want %d", n, len(ms))
	}
	if _, err := db.Call(ctx, "keep"); err != nil {
		t.Errorf("call lost across reopen: %v", err)
	}
	// A database from before readings kept fusion's inputs upgrades in place, and
	// its old readings read back without them.
	if _, err := db.w.Exec(`DELETE FROM schema_version WHERE version >= 2`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER TABLE readings DROP COLUMN inputs`, `ALTER TABLE actions DROP COLUMN node`,
		// a version-1 action: line held the node, and every reply carried the variant
		`INSERT INTO actions (call_id, seq, turn_seq, at_ms, type, line, reply, queue, priority, compensation, tier, strategy, variant)
		VALUES ('keep', 1, 1, 0, 'say', 'main', '', '', 0, '', '', 'normal', 'a')`} {
		if _, err := db.w.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.Exec(`INSERT INTO readings (call_id, turn_seq, at_ms, category, level, confidence, arousal, valence, lang, cues, scores)
		VALUES ('keep', 1, 0, 'sad', 1, 0.6, 0.2, -0.4, 'en', '[]', '{"sad":0.6}')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(ctx, Config{Path: path}); err != nil {
		t.Fatalf("open a version-1 database: %v", err)
	}
	if c, err := db.Call(ctx, "keep"); err != nil || len(c.Readings) != 1 || c.Readings[0].Category != emotion.Sad ||
		c.Readings[0].Evidence != nil || c.Readings[0].Voice != nil {
		t.Errorf("version-1 reading after upgrade: %+v, %v", c, err)
	}
	if c, err := db.Call(ctx, "keep"); err != nil || len(c.Actions) != 1 || c.Actions[0].Node != "main" || c.Actions[0].Line != "" {
		t.Errorf("version-1 action after upgrade: %+v, %v; want node main and no A/B line", c.Actions, err)
	}
	if ab, err := db.ABResults(ctx, time.Time{}, time.Time{}); err != nil || len(ab) != 0 {
		t.Errorf("A/B results from version-1 actions: %+v, %v; want none (they named nodes, not lines)", ab, err)
	}
	// A database written by a newer calmline is refused.
	if _, err := db.w.Exec("INSERT INTO schema_version (version, name, applied_ms) VALUES (9999, 'future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, Config{Path: path}); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of newer schema: %v, want ErrSchemaTooNew", err)
	}
	for _, m := range ms {
		if strings.Contains(m.sql, "{{") {
			t.Errorf("migration %s has an unreplaced token", m.name)
		}
	}
}

func TestEncryption(t *testing.T) {
	for _, be := range backends(t) {
		if be.name != "sqlite" {
			continue // the reopen below needs a file
		}
		ctx := context.Background()
		path := t.TempDir() + "/enc.db"
		// A row written before encryption was turned on stays readable.
		plain := openSQLite(t, path, nil)
		mustStart(t, plain, "old", telephony.ChannelSIP, t0)
		plain.AddTurn(ctx, Turn{CallID: "old", Seq: 1, Text: "old plaintext complaint"})
		plain.Close()

		key := make([]byte, 32)
		rand.Read(key)
		db := openSQLite(t, path, key)
		mustStart(t, db, "c1", telephony.ChannelSIP, t0)
		secret := "the parcel never came, I am furious"
		if err := db.AddTurn(ctx, Turn{CallID: "c1", Seq: 1, Text: secret}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 1, Reading: reading(emotion.Angry, emotion.Moderate, 0.6)}); err != nil {
			t.Fatal(err)
		}
		db.AddAction(ctx, Action{CallID: "c1", Seq: 1, Reply: "sorry about the parcel"})
		db.Audit(ctx, AuditEntry{Who: "sup1", Action: "listen", CallID: "c1", Detail: "listened for quality"})
		var rawText, rawCaller, rawCues, rawDetail string
		db.r.QueryRow("SELECT text FROM turns WHERE call_id = 'c1'").Scan(&rawText)
		db.r.QueryRow("SELECT caller_id FROM calls WHERE id = 'c1'").Scan(&rawCaller)
		db.r.QueryRow("SELECT cues FROM readings WHERE call_id = 'c1'").Scan(&rawCues)
		db.r.QueryRow("SELECT detail FROM audit").Scan(&rawDetail)
		for name, raw := range map[string]string{"text": rawText, "caller_id": rawCaller, "cues": rawCues, "detail": rawDetail} {
			if !strings.HasPrefix(raw, encPrefix) || strings.Contains(raw, "parcel") || strings.Contains(raw, "138") ||
				strings.Contains(raw, "第三次") || strings.Contains(raw, "quality") {
				t.Errorf("%s stored as %q, want ciphertext", name, raw)
			}
		}
		// Same plaintext, different ciphertext (fresh nonce).
		if a, b := db.crypt.seal("text", "x"), db.crypt.seal("text", "x"); a == b {
			t.Error("two seals of the same text are equal")
		}
		// A ciphertext moved to another column does not open.
		if _, err := db.crypt.open("detail", rawText); !errors.Is(err, ErrDecrypt) {
			t.Errorf("ciphertext opened under another column: %v", err)
		}
		c, err := db.Call(ctx, "c1")
		if err != nil || c.Turns[0].Text != secret || c.CallerID != "+8613812345678" || c.Readings[0].Cues[0].Text != "第三次" ||
			c.Actions[0].Reply != "sorry about the parcel" {
			t.Errorf("decrypted call = %+v, %v", c, err)
		}
		if old, err := db.Call(ctx, "old"); err != nil || old.Turns[0].Text != "old plaintext complaint" {
			t.Errorf("pre-key row: %+v, %v", old, err)
		}
		if log, err := db.AuditLog(ctx, AuditFilter{}); err != nil || len(log) != 1 || log[0].Detail != "listened for quality" {
			t.Errorf("audit log = %+v, %v", log, err)
		}
		db.Close()

		nokey := openSQLite(t, path, nil)
		if _, err := nokey.Call(ctx, "c1"); !errors.Is(err, ErrNoKey) {
			t.Errorf("read without key: %v, want ErrNoKey", err)
		}
		nokey.Close()
		wrong := make([]byte, 32)
		wrongDB := openSQLite(t, path, wrong)
		if _, err := wrongDB.Call(ctx, "c1"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("read with wrong key: %v, want ErrDecrypt", err)
		}
	}
}

func TestCallsFilter(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			// c0..c5, one hour apart; even ones SIP, odd WebRTC; c_i peaks at level i%4.
			for i := 0; i < 6; i++ {
				id := fmt.Sprintf("c%d", i)
				ch := telephony.ChannelSIP
				if i%2 == 1 {
					ch = telephony.ChannelWebRTC
				}
				mustStart(t, db, id, ch, t0.Add(time.Duration(i)*time.Hour))
				if _, err := db.AddReading(ctx, Reading{CallID: id, TurnSeq: 1, Reading: reading(emotion.Angry, emotion.Level(i%4), 0.5)}); err != nil {
					t.Fatal(err)
				}
			}
			ids := func(cs []Call) string {
				var s []string
				for _, c := range cs {
					s = append(s, c.ID)
				}
				return strings.Join(s, ",")
			}
			tests := []struct {
				name string
				f    CallFilter
				want string
			}{
				{"all newest first", CallFilter{}, "c5,c4,c3,c2,c1,c0"},
				{"sip", CallFilter{Channel: telephony.ChannelSIP}, "c4,c2,c0"},
				{"moderate+", CallFilter{Level: emotion.Moderate}, "c3,c2"},
				{"severe webrtc", CallFilter{Level: emotion.Severe, Channel: telephony.ChannelWebRTC}, "c3"},
				{"range", CallFilter{From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour)}, "c2,c1"},
				{"page", CallFilter{Limit: 2, Offset: 1}, "c4,c3"},
			}
			for _, tt := range tests {
				cs, err := db.Calls(ctx, tt.f)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if got := ids(cs); got != tt.want {
					t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
				}
			}
			cs, _ := db.Calls(ctx, CallFilter{Channel: telephony.ChannelWebRTC, Limit: 1})
			if len(cs) != 1 || cs[0].PeakLevel != emotion.Mild || cs[0].Turns != nil {
				t.Errorf("listed call = %+v", cs)
			}
		})
	}
}

func TestHeatmap(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			add := func(id string, ch telephony.Channel, hour int, arousals ...float64) {
				mustStart(t, db, id, ch, day.Add(time.Duration(hour)*time.Hour+17*time.Minute))
				for i, a := range arousals {
					lvl := emotion.Calm
					if a >= 0.6 {
						lvl = emotion.Moderate
					}
					if _, err := db.AddReading(ctx, Reading{CallID: id, TurnSeq: i + 1, Reading: reading(emotion.Angry, lvl, a)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			add("a", telephony.ChannelSIP, 9, 0.2, 0.4) // mean 0.3, calm
			add("b", telephony.ChannelSIP, 9, 0.7, 0.9) // mean 0.8, moderate
			add("c", telephony.ChannelSIP, 9)           // no readings: counted, not in the mean
			add("d", telephony.ChannelWebRTC, 9, 0.5)   // other channel
			add("e", telephony.ChannelSIP, 14, 0.6)     // other hour
			add("late", telephony.ChannelSIP, 26, 0.9)  // next day: outside the range
			cells, err := db.Heatmap(ctx, day, day.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if open, _ := db.Heatmap(ctx, day, time.Time{}); len(open) != 4 {
				t.Errorf("open-ended heatmap has %d cells, want 4 (incl. next day's hour 2)", len(open))
			}
			want := []HeatCell{
				{Hour: 9, Channel: telephony.ChannelSIP, Calls: 3, MeanArousal: 0.55, ModerateShare: 1.0 / 3},
				{Hour: 9, Channel: telephony.ChannelWebRTC, Calls: 1, MeanArousal: 0.5, ModerateShare: 0},
				{Hour: 14, Channel: telephony.ChannelSIP, Calls: 1, MeanArousal: 0.6, ModerateShare: 1},
			}
			if len(cells) != len(want) {
				t.Fatalf("cells = %+v, want %+v", cells, want)
			}
			for i := range want {
				g, w := cells[i], want[i]
				if g.Hour != w.Hour || g.Channel != w.Channel || g.Calls != w.Calls ||
					!near(g.MeanArousal, w.MeanArousal) || !near(g.ModerateShare, w.ModerateShare) {
					t.Errorf("cell %d = %+v, want %+v", i, g, w)
				}
			}
			// Hours follow the location of from: 09:17 UTC is 17:17 in Shanghai.
			sh := time.FixedZone("CST", 8*3600)
			cells, _ = db.Heatmap(ctx, day.In(sh), day.Add(24*time.Hour).In(sh))
			if len(cells) == 0 || cells[0].Hour != 17 {
				t.Errorf("Shanghai heatmap = %+v, want first hour 17", cells)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// The dialog picks a call's A/B arm after the call started: the first action
// that names a variant labels the call, and a later one does not relabel it.
func TestCallVariantFromFirstAction(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			if err := db.StartCall(ctx, Call{ID: "v1", Channel: telephony.ChannelWebRTC, Started: t0}); err != nil {
				t.Fatal(err)
			}
			for i, v := range []string{"", "a", "b"} {
				if err := db.AddAction(ctx, Action{CallID: "v1", Seq: i + 1, TurnSeq: i, Type: "say", Line: "greet", Variant: v}); err != nil {
					t.Fatal(err)
				}
			}
			if c, err := db.Call(ctx, "v1"); err != nil || c.Variant != "a" {
				t.Errorf("variant = %q (%v), want a", c.Variant, err)
			}
		})
	}
}

func TestABResults(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			// call builds a call: a reading at turn 1, the apology variant after
			// turn 1, a reading at turn 2, then the outcome.
			call := func(id, variant string, before, after emotion.Level, beforeA, afterA float64, resolved, handoff bool) {
				mustStart(t, db, id, telephony.ChannelSIP, t0)
				db.AddReading(ctx, Reading{CallID: id, TurnSeq: 1, Reading: reading(emotion.Angry, before, beforeA)})
				if err := db.AddAction(ctx, Action{CallID: id, Seq: 1, TurnSeq: 1, Type: "say", Line: "apology", Variant: variant}); err != nil {
					t.Fatal(err)
				}
				db.AddReading(ctx, Reading{CallID: id, TurnSeq: 2, Reading: reading(emotion.Angry, after, afterA)})
				db.EndCall(ctx, Outcome{CallID: id, Result: "x", Resolved: resolved, HandedOff: handoff})
			}
			call("a1", "A", emotion.Severe, emotion.Moderate, 0.9, 0.8, true, false)   // fell, resolved
			call("a2", "A", emotion.Moderate, emotion.Moderate, 0.8, 0.6, false, true) // fell (arousal), handoff
			call("a3", "A", emotion.Mild, emotion.Moderate, 0.4, 0.7, true, false)     // rose, resolved
			call("b1", "B", emotion.Moderate, emotion.Moderate, 0.7, 0.68, true, true) // not fell (0.02), resolved but handed off
			call("b2", "B", emotion.Moderate, emotion.Mild, 0.7, 0.5, true, false)     // fell, resolved
			// b3: used twice in one call, no reading after the second use; not ended.
			mustStart(t, db, "b3", telephony.ChannelSIP, t0)
			db.AddReading(ctx, Reading{CallID: "b3", TurnSeq: 1, Reading: reading(emotion.Angry, emotion.Severe, 0.9)})
			db.AddAction(ctx, Action{CallID: "b3", Seq: 1, TurnSeq: 1, Line: "apology", Variant: "B"})
			db.AddReading(ctx, Reading{CallID: "b3", TurnSeq: 2, Reading: reading(emotion.Angry, emotion.Severe, 0.95)})
			db.AddAction(ctx, Action{CallID: "b3", Seq: 2, TurnSeq: 2, Line: "apology", Variant: "B"})
			// Actions without a variant are not A/B material.
			db.AddAction(ctx, Action{CallID: "b3", Seq: 3, TurnSeq: 2, Line: "greeting"})

			got, err := db.ABResults(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			want := []ABResult{
				{Line: "apology", Variant: "A", Calls: 3, Uses: 3, Measured: 3, EmotionFell: 2.0 / 3, Ended: 3, ResolvedNoHandoff: 2.0 / 3},
				{Line: "apology", Variant: "B", Calls: 3, Uses: 4, Measured: 3, EmotionFell: 1.0 / 3, Ended: 2, ResolvedNoHandoff: 0.5},
			}
			if len(got) != len(want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Line != w.Line || g.Variant != w.Variant || g.Calls != w.Calls || g.Uses != w.Uses || g.Measured != w.Measured ||
					g.Ended != w.Ended || !near(g.EmotionFell, w.EmotionFell) || !near(g.ResolvedNoHandoff, w.ResolvedNoHandoff) {
					t.Errorf("result %d = %+v, want %+v", i, g, w)
				}
			}
			if got, _ := db.ABResults(ctx, t0.Add(time.Hour), time.Time{}); len(got) != 0 {
				t.Errorf("range after all calls: %+v", got)
			}
		})
	}
}

// TestFeedbackLabelCarriesFusionInputs checks the loop from a call to a refit:
// the reading's text evidence and voice judgement are stored (sealed, with the
// caller's words in cues redacted) and come back in the label a refit learns from.
func TestFeedbackLabelCarriesFusionInputs(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			key := make([]byte, 32)
			db := be.open(t, key)
			mustStart(t, db, "c1", telephony.ChannelSIP, t0)
			db.AddTurn(ctx, Turn{CallID: "c1", Seq: 1, Speaker: "caller", Text: "third time, call me on 13812345678"})
			db.AddTurn(ctx, Turn{CallID: "c1", Seq: 2, Speaker: "caller", Text: "[keys 1]"})
			r := reading(emotion.Angry, emotion.Moderate, 0.8)
			r.Evidence = &emotion.TextEvidence{Lang: "en", Positive: 0.1,
				Scores: map[emotion.Category]float64{emotion.Angry: 0.6, emotion.Neutral: 0.4},
				Cues:   []emotion.Cue{{Kind: "repeat", Text: "third time 13812345678", Weight: 0.7}}}
			voice := &emotion.Acoustic{Voiced: true, Arousal: 0.9, Confidence: 0.7, Class: "anger",
				Scores: map[emotion.Category]float64{emotion.Angry: 0.8, emotion.Neutral: 0.2}}
			rid, err := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 1, Reading: r, Voice: voice})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 2, Reading: reading(emotion.Neutral, emotion.Calm, 0.1)}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: 2, ReadingID: rid, Who: "sup"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("feedback naming another turn's reading: err = %v, want ErrNotFound", err)
			}
			var raw string
			if err := db.r.QueryRowContext(ctx, db.q(`SELECT inputs FROM readings WHERE id = ?`), rid).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(raw, encPrefix) || strings.Contains(raw, "third") {
				t.Errorf("stored inputs not sealed: %.60q", raw)
			}
			for seq, cat := range map[int]emotion.Category{1: emotion.Anxious, 2: emotion.Neutral} {
				if _, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: seq, Category: cat, Level: emotion.Mild, Who: "sup"}); err != nil {
					t.Fatal(err)
				}
			}
			fs, err := db.Feedback(ctx, t0)
			if err != nil || len(fs) != 2 {
				t.Fatalf("feedback = %+v, %v", fs, err)
			}
			sort.Slice(fs, func(i, j int) bool { return fs[i].TurnSeq < fs[j].TurnSeq })
			l, ok := fs[0].Label()
			if !ok || l.Category != emotion.Anxious || l.Level == nil || *l.Level != emotion.Mild ||
				l.Text != "third time, call me on [phone]" || l.Reading.Evidence == nil || l.Reading.Evidence.Lang != "en" ||
				l.Reading.Evidence.Scores[emotion.Angry] != 0.6 || l.Acoustic == nil || !l.Acoustic.Voiced ||
				l.Acoustic.Arousal != 0.9 || l.Acoustic.Class != "anger" {
				t.Errorf("label of turn 1 = %+v (ok %v)", l, ok)
			}
			if l.Reading.Evidence != nil && len(l.Reading.Evidence.Cues) == 1 && strings.Contains(l.Reading.Evidence.Cues[0].Text, "13812345678") {
				t.Errorf("evidence cue kept the phone number: %q", l.Reading.Evidence.Cues[0].Text)
			}
			// A keys-only turn with no evidence or voice has nothing to learn from.
			if l, ok := fs[1].Label(); ok {
				t.Errorf("label of a keys-only turn = %+v, want none", l)
			}
		})
	}
}

func TestFeedbackAndAudit(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			mustStart(t, db, "c1", telephony.ChannelSIP, t0)
			db.AddTurn(ctx, Turn{CallID: "c1", Seq: 1, Speaker: "caller", Text: "我不是生气，是着急，电话13812345678"})
			rid, _ := db.AddReading(ctx, Reading{CallID: "c1", TurnSeq: 1, Reading: reading(emotion.Angry, emotion.Moderate, 0.7)})
			f1, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: 1, ReadingID: rid, Category: emotion.Anxious,
				Level: emotion.Mild, Who: "sup1", Note: "anxious, not angry", At: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddFeedback(ctx, Feedback{CallID: "c1", TurnSeq: 1, Category: emotion.Sad, Who: "sup2", At: t0.Add(3 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			fs, err := db.Feedback(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 2 || fs[0].ID != f1 || fs[0].Category != emotion.Anxious || fs[0].Level != emotion.Mild ||
				fs[0].Who != "sup1" || fs[0].Text != "我不是生气，是着急，电话[phone]" || fs[0].Reading == nil ||
				fs[0].Reading.ID != rid || fs[0].Reading.Category != emotion.Angry || fs[1].ReadingID != 0 ||
				fs[1].Reading == nil || fs[1].Reading.ID != rid { // a label for the turn corrects its reading
				t.Errorf("feedback = %+v", fs)
			}
			if fs, _ := db.Feedback(ctx, t0.Add(2*time.Hour)); len(fs) != 1 || fs[0].Who != "sup2" {
				t.Errorf("feedback since +2h = %+v", fs)
			}

			entries := []AuditEntry{
				{At: t0, Who: "sup1", Action: "listen", CallID: "c1", Mode: "silent"},
				{At: t0.Add(time.Minute), Who: "sup1", Action: "whisper", CallID: "c1", Mode: "whisper", Detail: "told agent to offer refund"},
				{At: t0.Add(2 * time.Minute), Who: "admin", Action: "export", CallID: "gone-call", Detail: "csv"},
			}
			for _, e := range entries {
				if err := db.Audit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			tests := []struct {
				name string
				f    AuditFilter
				want []string // actions, newest first
			}{
				{"all", AuditFilter{}, []string{"export", "whisper", "listen"}},
				{"who", AuditFilter{Who: "sup1"}, []string{"whisper", "listen"}},
				{"call", AuditFilter{CallID: "gone-call"}, []string{"export"}},
				{"action", AuditFilter{Action: "listen"}, []string{"listen"}},
				{"range", AuditFilter{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, []string{"whisper"}},
				{"limit", AuditFilter{Limit: 1, Offset: 1}, []string{"whisper"}},
			}
			for _, tt := range tests {
				log, err := db.AuditLog(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range log {
					got = append(got, e.Action)
				}
				if strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				}
			}
			log, _ := db.AuditLog(ctx, AuditFilter{Action: "whisper"})
			if len(log) != 1 || log[0].Mode != "whisper" || log[0].Detail != "told agent to offer refund" || !log[0].At.Equal(t0.Add(time.Minute)) {
				t.Errorf("whisper entry = %+v", log)
			}
		})
	}
}

// TestOpenRace opens the same database from several goroutines at once, as
// several servers starting together would: each must see one migrated schema.
func TestOpenRace(t *testing.T) {
	dsn := os.Getenv("CALMLINE_TEST_POSTGRES_DSN")
	path := t.TempDir() + "/race.db"
	var shared string
	if dsn != "" {
		// One schema shared by all openers.
		db := openPostgres(t, dsn, nil)
		var schema string
		db.r.QueryRow("SELECT current_schema()").Scan(&schema)
		db.w.Exec("DROP TABLE IF EXISTS audit, feedback, outcomes, actions, readings, turns, calls, schema_version CASCADE")
		shared = schema
	}
	ms, _ := loadMigrations(DriverSQLite)
	latest := ms[len(ms)-1].version
	const n = 6
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			cfg := Config{Path: path}
			if dsn != "" && i%2 == 1 {
				sep := "?"
				if strings.Contains(dsn, "?") {
					sep = "&"
				}
				cfg = Config{Driver: "postgres", DSN: dsn + sep + "search_path=" + shared}
			}
			db, err := Open(context.Background(), cfg)
			if err == nil {
				var v int
				v, err = db.SchemaVersion(context.Background())
				if err == nil && v != latest {
					err = fmt.Errorf("schema version %d", v)
				}
				db.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
}

// TestHostileText stores text no ASR should produce but a hostile client could
// send: it must be stored (cleaned), not fail on Postgres or break reading.
func TestHostileText(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			mustStart(t, db, "h", telephony.ChannelWebRTC, t0)
			if err := db.AddTurn(ctx, Turn{CallID: "h", Seq: 1, Text: "nul\x00byte bad\xffutf8 '; DROP TABLE calls; --"}); err != nil {
				t.Fatal(err)
			}
			c, err := db.Call(ctx, "h")
			if err != nil || len(c.Turns) != 1 || c.Turns[0].Text != "nulbyte bad\uFFFDutf8 '; DROP TABLE calls; --" {
				t.Errorf("stored hostile text: %+v, %v", c.Turns, err)
			}
		})
	}
}

func TestDeleteAndPrune(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			for i, id := range []string{"old1", "old2", "new"} {
				mustStart(t, db, id, telephony.ChannelSIP, t0.Add(time.Duration(i)*24*time.Hour))
				db.AddTurn(ctx, Turn{CallID: id, Seq: 1, Text: "hello"})
				rid, _ := db.AddReading(ctx, Reading{CallID: id, TurnSeq: 1, Reading: reading(emotion.Sad, emotion.Mild, 0.3)})
				db.AddAction(ctx, Action{CallID: id, Seq: 1, TurnSeq: 1, Type: "say"})
				db.AddFeedback(ctx, Feedback{CallID: id, TurnSeq: 1, ReadingID: rid, Category: emotion.Neutral, Who: "sup"})
				db.EndCall(ctx, Outcome{CallID: id, Result: "resolved"})
				db.Audit(ctx, AuditEntry{Who: "sup", Action: "listen", CallID: id})
			}
			if err := db.DeleteCall(ctx, "old1"); err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteCall(ctx, "old1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("second delete: %v, want ErrNotFound", err)
			}
			n, err := db.PruneCalls(ctx, t0.Add(36*time.Hour))
			if err != nil || n != 1 {
				t.Errorf("PruneCalls = %d, %v; want 1", n, err)
			}
			for _, table := range []string{"calls", "turns", "readings", "actions", "outcomes", "feedback"} {
				var c int
				db.r.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&c)
				if c != 1 {
					t.Errorf("%s has %d rows after delete+prune, want 1 (the new call's)", table, c)
				}
			}
			if log, _ := db.AuditLog(ctx, AuditFilter{}); len(log) != 3 {
				t.Errorf("audit log has %d entries, want all 3 kept", len(log))
			}
		})
	}
}

// TestKeepSchema: a tool beside the servers (refit) opens the store without
// migrating it. A missing file stays missing, an older schema is refused and
// left at its version, a current one opens.
func TestKeepSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, Config{Path: dir + "/none.db", KeepSchema: true}); err == nil {
		t.Error("KeepSchema created a store that did not exist")
	} else if _, serr := os.Stat(dir + "/none.db"); !os.IsNotExist(serr) {
		t.Errorf("KeepSchema left a file behind: %v", serr)
	}
	path := dir + "/m.db"
	db, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(DriverSQLite)
	latest := ms[len(ms)-1].version
	db.Close()
	if db, err = Open(ctx, Config{Path: path, KeepSchema: true}); err != nil {
		t.Fatalf("open a current store with KeepSchema: %v", err)
	}
	// Back to an older version, as a server of the release before left it.
	if _, err := db.w.Exec(`DELETE FROM schema_version WHERE version = ?`, latest); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, Config{Path: path, KeepSchema: true}); !errors.Is(err, ErrSchemaTooOld) {
		t.Fatalf("older schema with KeepSchema: %v, want ErrSchemaTooOld", err)
	}
	// The refused open changed nothing: the version is still the older one.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil || v != latest-1 {
		t.Errorf("after the refused open: version %d, %v; want %d", v, err, latest-1)
	}
}
