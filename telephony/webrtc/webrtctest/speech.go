package webrtctest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Speech makes text into speech with espeak-ng and converts it with sox to a mono
// 16-bit WAV at rate, padded with padSec of silence at the end. It returns the WAV path
// (in t.TempDir) and its samples. It skips the test when espeak-ng or sox is missing.
func Speech(t testing.TB, text string, rate int, padSec float64) (string, []int16) {
	t.Helper()
	return SpeechVoice(t, "", text, rate, padSec)
}

// SpeechVoice is Speech with an espeak-ng voice ("cmn" for Mandarin, "en-us", ...; "" for the default).
func SpeechVoice(t testing.TB, voice, text string, rate int, padSec float64) (string, []int16) {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "espeak.wav")
	args0 := []string{"-w", raw}
	if voice != "" {
		args0 = append(args0, "-v", voice)
	}
	if out, err := exec.Command("espeak-ng", append(args0, text)...).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	wav := filepath.Join(dir, "speech-"+strconv.Itoa(rate)+".wav")
	args := []string{raw, "-r", strconv.Itoa(rate), "-c", "1", "-b", "16", "-e", "signed-integer", wav}
	if padSec > 0 {
		args = append(args, "pad", "0", strconv.FormatFloat(padSec, 'f', 2, 64))
	}
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v: %s", err, out)
	}
	b, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := wavPCM(b)
	if err != nil {
		t.Fatalf("read %s: %v", wav, err)
	}
	return wav, pcm
}

// wavPCM finds the data chunk of a 16-bit PCM WAV written by sox.
func wavPCM(b []byte) ([]int16, error) {
	if len(b) < 12 || !bytes.Equal(b[:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WAVE")) {
		return nil, errNotWAV
	}
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		p += 8
		if size < 0 || p+size > len(b) {
			size = len(b) - p
		}
		if id == "data" {
			out := make([]int16, size/2)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(b[p+2*i:]))
			}
			return out, nil
		}
		p += size + size%2
	}
	return nil, errNotWAV
}

type wavError string

func (e wavError) Error() string { return string(e) }

const errNotWAV = wavError("not a 16-bit PCM WAV with a data chunk")
