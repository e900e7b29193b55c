package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/audio"
	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/webrtc/webrtctest"
)

// TestBrowserCallFullPipeline is the softphone as a caller uses it: headless Chromium
// with a fake microphone calls calmline, and the page must show what calmline heard,
// how the caller felt, and receive the spoken reply — through the real pipeline.
func TestBrowserCallFullPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	tests := []struct{ lang, voice, text string }{
		{"en", "en-us", "I want a refund"},
		{"zh", "cmn", "我的快递又没到，这已经是第三次了"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			s := testServer(t, "")
			// The fake microphone loops its file: leave a second and a half of silence
			// after the sentence so the caller's turn ends.
			pcm := append(speech(t, tt.voice, tt.text), make([]int16, 3*telephony.SampleRate/2)...)
			wav := filepath.Join(t.TempDir(), "caller.wav")
			f, err := os.Create(wav)
			if err != nil {
				t.Fatal(err)
			}
			if err := audio.WriteWAV(f, pcm, telephony.SampleRate); err != nil {
				t.Fatal(err)
			}
			f.Close()
			res := webrtctest.BrowserCall(t, s.handleCall, webrtctest.BrowserOptions{WAV: wav, Lang: tt.lang, Timeout: 90 * time.Second})
			if res.Call.Lang != tt.lang {
				t.Errorf("server got language %q, want %q", res.Call.Lang, tt.lang)
			}
			if len(res.Meters) == 0 || res.Packets == 0 {
				t.Fatalf("page showed turns %q meters %q and got %d reply packets", res.Turns, res.Meters, res.Packets)
			}
			var caller, bot int
			for _, turn := range res.Turns {
				switch {
				case strings.HasPrefix(turn, "caller:"):
					caller++
				case strings.HasPrefix(turn, "bot:"):
					bot++
				}
			}
			if caller == 0 || bot == 0 {
				t.Errorf("page turns %q: want caller and bot lines", res.Turns)
			}
			t.Logf("%s: turns %q, meters %q, %d reply packets", tt.lang, res.Turns, res.Meters, res.Packets)
		})
	}
}

// TestBrowserKeypad is a browser caller who keys instead of speaking (an order
// number the offline recogniser cannot take down): the softphone's keypad reaches
// the flow's menu like a phone's keys, and the page shows the keys and the answer.
func TestBrowserKeypad(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	s := testServer(t, "")
	wav := filepath.Join(t.TempDir(), "silence.wav")
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := audio.WriteWAV(f, make([]int16, 2*telephony.SampleRate), telephony.SampleRate); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := webrtctest.BrowserCall(t, s.handleCall, webrtctest.BrowserOptions{WAV: wav, Lang: "en", Keys: "1", Timeout: 90 * time.Second})
	t.Logf("turns %q", res.Turns)
	keyed := -1
	for i, turn := range res.Turns {
		if turn == "caller: Keys 1" {
			keyed = i
		}
	}
	if keyed < 0 || keyed+1 >= len(res.Turns) || !strings.Contains(res.Turns[keyed+1], "order number") {
		t.Errorf("page turns %q: want the keys, then the delivery menu's question for the order number", res.Turns)
	}
}
