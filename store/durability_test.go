package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/telephony"
)

const childEnv = "CALMLINE_STORE_KILL_CHILD"

// TestKillChild is the writer process of TestSurvivesKill; it does nothing in a
// normal run. It writes turns forever, printing "committed N" after each write
// returns, until it is killed.
func TestKillChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper process for TestSurvivesKill")
	}
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: path})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if err := db.StartCall(ctx, Call{ID: "killed", Channel: telephony.ChannelSIP, Started: t0}); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for seq := 1; ; seq++ {
		if err := db.AddTurn(ctx, Turn{CallID: "killed", Seq: seq, Speaker: "caller", Text: fmt.Sprintf("turn %d 第%d次", seq, seq)}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if _, err := db.AddReading(ctx, Reading{CallID: "killed", TurnSeq: seq, Reading: reading(emotion.Angry, emotion.Mild, 0.4)}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("committed %d\n", seq)
	}
}

// TestSurvivesKill writes from a child process, SIGKILLs it mid-stream and checks
// that every write the child saw committed is there after reopening.
func TestSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := t.TempDir() + "/kill.db"
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { cmd.Wait(); close(done) }()

	last := 0
	timeout := time.After(60 * time.Second)
	for last < 50 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child exited after %d commits", last)
			}
			n, err := strconv.Atoi(strings.TrimPrefix(l, "committed "))
			if err != nil {
				t.Fatalf("child said %q", l)
			}
			last = n
		case <-timeout:
			t.Fatalf("child committed only %d turns in 60 s", last)
		}
	}
	// Kill while the child is still writing, then drain what it reported
	// before it died: those are committed too.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	for l := range lines {
		if n, err := strconv.Atoi(strings.TrimPrefix(l, "committed ")); err == nil {
			last = n
		}
	}

	db := openSQLite(t, path, nil)
	c, err := db.Call(context.Background(), "killed")
	if err != nil {
		t.Fatalf("call lost after kill: %v", err)
	}
	if len(c.Turns) < last {
		t.Fatalf("child reported %d committed turns, found %d after kill", last, len(c.Turns))
	}
	for i := 0; i < last; i++ {
		if want := fmt.Sprintf("turn %d 第%d次", i+1, i+1); c.Turns[i].Text != want {
			t.Errorf("turn %d = %q, want %q", i+1, c.Turns[i].Text, want)
		}
	}
	if len(c.Readings) < last {
		t.Errorf("child reported %d committed readings, found %d", last, len(c.Readings))
	}
	t.Logf("child killed after %d reported commits; %d turns on disk", last, len(c.Turns))
}

// TestConcurrentWriters has 50 calls write at once, as 50 live calls would; none
// may fail with "database is locked".
func TestConcurrentWriters(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			db := be.open(t, nil)
			const calls, turns = 50, 20
			var wg sync.WaitGroup
			errs := make(chan error, calls*turns*2)
			for i := 0; i < calls; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					id := fmt.Sprintf("call-%02d", i)
					if err := db.StartCall(ctx, Call{ID: id, Channel: telephony.ChannelWebRTC, Started: t0}); err != nil {
						errs <- err
						return
					}
					for s := 1; s <= turns; s++ {
						if err := db.AddTurn(ctx, Turn{CallID: id, Seq: s, Speaker: "caller", Text: "again!"}); err != nil {
							errs <- err
						}
						if _, err := db.AddReading(ctx, Reading{CallID: id, TurnSeq: s, Reading: reading(emotion.Angry, emotion.Mild, 0.5)}); err != nil {
							errs <- err
						}
						if s%5 == 0 { // the dashboard reads while calls write
							if _, err := db.Calls(ctx, CallFilter{Limit: 10}); err != nil {
								errs <- err
							}
						}
					}
					if err := db.EndCall(ctx, Outcome{CallID: id, Result: "resolved", Resolved: true}); err != nil {
						errs <- err
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent write: %v", err)
			}
			var n int
			if err := db.r.QueryRow("SELECT COUNT(*) FROM turns").Scan(&n); err != nil || n != calls*turns {
				t.Errorf("turns = %d (%v), want %d", n, err, calls*turns)
			}
			if err := db.r.QueryRow("SELECT COUNT(*) FROM outcomes").Scan(&n); err != nil || n != calls {
				t.Errorf("outcomes = %d (%v), want %d", n, err, calls)
			}
		})
	}
}
