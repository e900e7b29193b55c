package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/emotion/internal/textmodel"
)

// calibrationSplit loads the shared data sets and returns them with the shipped
// text model's calibration tenth (trainModel's split at seed 1): rows the model did
// not train on, where the fusion knobs are chosen. It skips without the data.
func calibrationSplit(t *testing.T) (*datasets, []textmodel.Example) {
	t.Helper()
	o := options{data: filepath.Join("..", "..", "..", "shared", "datasets"), neutral: "neutral.txt"}
	o.cfg.Seed = 1
	ds, err := loadAll(o)
	if err != nil {
		t.Skipf("shared data sets: %v", err)
	}
	dev, _ := splitDev(ds.trainingSet(nil), o.cfg.Seed)
	return ds, dev
}

// modelWith is the built-in model with its fusion weights changed by set.
func modelWith(t *testing.T, set func(*emotion.FusionWeights)) *emotion.Model {
	t.Helper()
	w := emotion.DefaultFusion()
	set(&w)
	m, err := emotion.Default(emotion.WithFusion(w))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTuneValence chooses fusion's per-language valence shares
// (emotion.FusionWeights.ValenceCategory) on the rows the shipped text model did
// not train on (trainModel's calibration tenth, seed 1), prints the table, then
// scores the choice once on the open held-out splits: waimai fold 0 and dair_emotion
// val. It fails when the built-in shares are not the ones the table picks.
//
//	VALENCE_TUNE=1 go test ./emotion/train -run TuneValence -v
func TestTuneValence(t *testing.T) {
	if os.Getenv("VALENCE_TUNE") == "" {
		t.Skip("set VALENCE_TUNE=1 to choose the valence shares (needs ../shared/datasets)")
	}
	ds, dev := calibrationSplit(t)
	byLang := map[string][]textmodel.Example{}
	for _, e := range dev {
		if e.Valence >= 0 {
			l := emotion.DetectLang(e.Text)
			byLang[l] = append(byLang[l], e)
		}
	}
	model := func(share map[string]float64) *emotion.Model {
		return modelWith(t, func(w *emotion.FusionWeights) { w.ValenceCategory = share })
	}
	langs := []string{"zh", "en"}
	best := map[string]float64{}
	bestAcc := map[string]float64{}
	var meanBest float64
	t.Logf("calibration split, sign of the reading's valence (zh %d rows, en %d rows):", len(byLang["zh"]), len(byLang["en"]))
	for i := 0; i <= 10; i++ {
		a := float64(i) / 10
		m := model(map[string]float64{"zh": a, "en": a, "": a})
		line := fmt.Sprintf("share %.1f:", a)
		var mean float64
		for _, l := range langs {
			acc := valenceSignAccuracy(m, byLang[l])
			line += fmt.Sprintf("  %s %.1f%%", l, 100*acc)
			mean += acc / float64(len(langs))
			if acc > bestAcc[l] {
				best[l], bestAcc[l] = a, acc
			}
		}
		if mean > meanBest {
			best[""], meanBest = a, mean
		}
		t.Log(line + fmt.Sprintf("  mean %.1f%%", 100*mean))
	}
	t.Logf("chosen: zh %.1f, en %.1f, other %.1f", best["zh"], best["en"], best[""])
	chosen, before := model(best), model(map[string]float64{"zh": 0.7, "en": 0.7, "": 0.7})
	for _, s := range []struct {
		name string
		ex   []textmodel.Example
	}{{"waimai fold 0", ds.waimaiHeld}, {"dair_emotion val (joy and love positive)", ds.dairVal}} {
		t.Logf("%s: %.1f%% (0.7 in every language, as before: %.1f%%)", s.name, 100*valenceSignAccuracy(chosen, s.ex), 100*valenceSignAccuracy(before, s.ex))
	}
	if got := emotion.DefaultFusion().ValenceCategory; fmt.Sprint(got) != fmt.Sprint(best) {
		t.Errorf("built-in valence shares %v, the table picks %v", got, best)
	}
}
