package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/calmline/calmline/emotion/internal/textmodel"
)

func TestLoadersAndMapping(t *testing.T) {
	dir := t.TempDir()
	dair := filepath.Join(dir, "d.txt")
	os.WriteFile(dair, []byte("text;label_name\ni feel great;joy\ni feel amazed;surprise\ni am furious;anger\ni love it;love\nscared;fear\nbroken line\n"), 0o644)
	ex, err := loadDair(dair)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{textmodel.ClassSatisfied, textmodel.ClassAngry, textmodel.ClassSatisfied, textmodel.ClassAnxious}
	if len(ex) != len(want) {
		t.Fatalf("got %d examples (surprise and broken lines must be dropped): %+v", len(ex), ex)
	}
	for i, e := range ex {
		if e.Class != want[i] || (e.Valence == 1) != (e.Class == textmodel.ClassSatisfied) {
			t.Errorf("row %d: %+v", i, e)
		}
	}
	csvPath := filepath.Join(dir, "c.csv")
	os.WriteFile(csvPath, []byte("label,review\n1,\"好,吃\"\n0,难吃\nx\n"), 0o644)
	rows, err := readCSV(csvPath, 0, 1)
	if err != nil || len(rows) != 2 || rows[0][1] != "好,吃" {
		t.Errorf("readCSV: %v %v", rows, err)
	}
	if _, err := loadDair(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestBalance(t *testing.T) {
	ex := []textmodel.Example{{Class: 1}, {Class: 1}, {Class: 1}, {Class: 1}, {Class: 2}, {Class: -1, Weight: 4}}
	balance(ex)
	if ex[4].Weight <= ex[0].Weight || ex[5].Weight != 4 {
		t.Errorf("rare class not up-weighted or review weight lost: %+v", ex)
	}
}

func TestValenceGridSettings(t *testing.T) {
	g := valenceGrid{opt: "adagrad,sgd", sources: "w", epochs: "10,30", lr: "0.05", l2: "0", nb: "0", waimaiW: "4,8"}
	s, err := g.settings(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2*2*2 || s[0].cfg.Epochs != 10 || s[len(s)-1].waimaiW != 8 || s[len(s)-1].opt != "sgd" {
		t.Errorf("settings = %v", s)
	}
	g.lr = "fast"
	if _, err := g.settings(1); err == nil {
		t.Error("a non-number in the grid was accepted")
	}
}
