package emotion

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmline/calmline/internal/repo"
)

// sharedDatasets finds ../shared/datasets beside the module root, or skips.
func sharedDatasets(t *testing.T) string {
	t.Helper()
	p, err := repo.Shared("datasets")
	if err != nil {
		t.Skip(err)
	}
	return p
}

// TestDairValSample checks the shipped model on every 4th row of dair_emotion val
// (the full figure comes from `go run ./emotion/train -eval`).
func TestDairValSample(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedDatasets(t), "dair_emotion", "val.txt"))
	if err != nil {
		t.Skipf("dair_emotion val: %v", err)
	}
	defer f.Close()
	want := map[string]Category{"joy": Satisfied, "love": Satisfied, "anger": Angry, "fear": Anxious, "sadness": Sad}
	m := defaultModel(t)
	sc := bufio.NewScanner(f)
	var n, ok int
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		j := strings.LastIndexByte(line, ';')
		c, known := want[line[j+1:]]
		if i == 0 || j < 0 || !known || i%4 != 0 {
			continue
		}
		n++
		if m.Text(line[:j]).Category == c {
			ok++
		}
	}
	if acc := float64(ok) / float64(n); n < 300 || acc < 0.88 {
		t.Errorf("dair val sample: %d/%d = %.3f, want >= 0.88", ok, n, acc)
	} else {
		t.Logf("dair val sample: %d/%d = %.3f", ok, n, acc)
	}
}
