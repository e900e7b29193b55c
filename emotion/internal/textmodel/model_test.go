package textmodel

import (
	"errors"
	"testing"
)

func toyData() []Item {
	var ex []Example
	for range 30 {
		ex = append(ex,
			Example{Text: "I am so angry and furious", Class: ClassAngry, Valence: 0},
			Example{Text: "我很开心，谢谢", Class: ClassSatisfied, Valence: 1},
			Example{Text: "how do I reset my password", Class: ClassNeutral, Valence: -1},
			Example{Text: "好评，很好吃", Class: -1, Valence: 1},
			Example{Text: "太难吃了，差评", Class: -1, Valence: 0})
	}
	return Prepare(ex, 100)
}

func TestTrainSeparatesAndRoundTrips(t *testing.T) {
	data := toyData()
	m := Train(data, Config{Bits: 12, Epochs: 5, LR: 1, Seed: 3})
	m.Calibrate(data)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text  string
		class int
		pos   bool
	}{
		{"so angry and furious", ClassAngry, false},
		{"开心，谢谢", ClassSatisfied, true},
		{"reset my password", ClassNeutral, false},
		{"很好吃", -1, true},
		{"难吃，差评", -1, false},
	}
	for _, mm := range []*Model{m, back} {
		for _, tt := range tests {
			var p [NumClasses]float64
			pos := mm.Predict(Features(tt.text, nil), &p)
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			if tt.class >= 0 && best != tt.class {
				t.Errorf("%q: class %d (%v), want %d", tt.text, best, p, tt.class)
			}
			if tt.class < 0 && (pos >= 0.5) != tt.pos {
				t.Errorf("%q: P(positive) %.2f", tt.text, pos)
			}
		}
	}
	// same data, same seed: same model
	m2 := Train(data, Config{Bits: 12, Epochs: 5, LR: 1, Seed: 3})
	for i := range m.Cat {
		if m.Cat[i] != m2.Cat[i] {
			t.Fatalf("training is not reproducible at weight %d", i)
		}
	}
}

func TestFeaturesNoAllocAndStable(t *testing.T) {
	buf := make([]uint32, 0, 256)
	a := Features("Hello WORLD, 你好世界！！", buf)
	b := Features("hello world, 你好世界!!", nil)
	if len(a) != len(b) {
		t.Fatalf("case/width changed the features: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("feature %d differs", i)
		}
	}
	if n := testing.AllocsPerRun(100, func() { buf = Features("this is the third time, 第三次了", buf[:0]) }); n != 0 {
		t.Errorf("Features allocates %v times with a buffer", n)
	}
}

func TestLoadRejects(t *testing.T) {
	good, _ := New(8).MarshalBinary()
	for _, b := range [][]byte{nil, []byte("junk"), good[:len(good)-10]} {
		if _, err := Load(b); !errors.Is(err, ErrBadModel) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
	if _, err := Load(good); err != nil {
		t.Errorf("empty model: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	good, _ := New(6).MarshalBinary()
	f.Add(good)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err == nil {
			var p [NumClasses]float64
			m.Predict(Features("x", nil), &p)
		}
	})
}

func FuzzFeatures(f *testing.F) {
	f.Add("第三次！！ AGAIN??")
	f.Fuzz(func(t *testing.T, s string) {
		_ = Features(s, nil)
	})
}

func TestTrainValenceLeavesCategoryHead(t *testing.T) {
	data := toyData()
	for _, cfg := range []ValenceConfig{
		{Epochs: 5, LR: 0.2, Seed: 1},
		{Epochs: 5, LR: 0.2, Seed: 1, NB: 1, Average: true},
		{Epochs: 5, LR: 0.05, Seed: 1, Hinge: true},
	} {
		m := Train(data, Config{Bits: 12, Epochs: 5, LR: 1, Seed: 3})
		cat := append([]float32(nil), m.Cat...)
		TrainValence(m, data, cfg)
		for i := range cat {
			if cat[i] != m.Cat[i] {
				t.Fatalf("%+v: category weight %d changed", cfg, i)
			}
		}
		var p [NumClasses]float64
		for text, pos := range map[string]bool{"很好吃": true, "好评": true, "难吃，差评": false, "太难吃了": false} {
			if got := m.Predict(Features(text, nil), &p); (got >= 0.5) != pos {
				t.Errorf("%+v: %q P(positive) %.2f", cfg, text, got)
			}
		}
	}
}

func TestValenceFeatures(t *testing.T) {
	// 4 Han characters: 2 skip-bigrams and 1 four-gram; Latin text adds nothing
	if got := ValenceFeatures("一点都不", nil); len(got) != 3 {
		t.Errorf("一点都不: %d features, want 3", len(got))
	}
	if got := ValenceFeatures("not good", nil); len(got) != 0 {
		t.Errorf("Latin text: %d features", len(got))
	}
}
