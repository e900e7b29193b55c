package emotion

import (
	"encoding/json"
	"testing"
)

func TestCategoryAndLevelRoundTrip(t *testing.T) {
	for _, c := range Categories {
		got, err := ParseCategory(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %v, %v", c.String(), got, err)
		}
	}
	for l := Calm; l < numLevels; l++ {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, bad := range []string{"", "furious", "Angry"} {
		if _, err := ParseCategory(bad); err == nil {
			t.Errorf("ParseCategory(%q): want error", bad)
		}
		if _, err := ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q): want error", bad)
		}
	}
}

func TestReadingJSON(t *testing.T) {
	r := Reading{Category: Angry, Level: Moderate, Scores: map[Category]float64{Angry: 0.7, Neutral: 0.3}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Reading
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if back.Category != Angry || back.Level != Moderate || back.Scores[Angry] != 0.7 {
		t.Errorf("round trip lost data: %s -> %+v", b, back)
	}
}
