package sphinx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Speak to an Agent!", []string{"speak", "to", "an", "agent"}},
		{"press 42", []string{"press", "four", "two"}},
		{"don't cancel", []string{"don't", "cancel"}},
		{"  ", nil},
		{"退款 refund", []string{"退款", "refund"}},
	}
	for _, tt := range tests {
		if got := normalise(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuildGrammar(t *testing.T) {
	dict := map[string]bool{"refund": true, "speak": true, "to": true, "an": true, "agent": true, "one": true}
	known := func(w string) bool { return dict[w] }
	g, err := buildGrammar([]string{"Refund", "refund", "speak to an agent", "1", "unknownword here", ""}, known)
	if err != nil {
		t.Fatal(err)
	}
	wantPhrases := map[string]string{"refund": "Refund", "speak to an agent": "speak to an agent", "one": "1"}
	if !reflect.DeepEqual(g.phrases, wantPhrases) {
		t.Errorf("phrases %v, want %v", g.phrases, wantPhrases)
	}
	if !reflect.DeepEqual(g.dropped, []string{"unknownword here"}) {
		t.Errorf("dropped %q", g.dropped)
	}
	if !strings.Contains(g.jsgf, "<phrase> = refund | speak to an agent | one;") {
		t.Errorf("jsgf:\n%s", g.jsgf)
	}
	if _, err := buildGrammar([]string{"xyzzy"}, known); !errors.Is(err, ErrNoPhrases) {
		t.Errorf("all unknown: %v", err)
	}
}

// FuzzBuildGrammar: whatever a flow's phrases hold, the grammar is built or
// refused cleanly and contains only dictionary words and JSGF syntax.
func FuzzBuildGrammar(f *testing.F) {
	f.Add("speak to an agent|refund|3")
	f.Add("<utt> = ; | /1/ #JSGF")
	f.Fuzz(func(t *testing.T, s string) {
		known := func(w string) bool { return !strings.ContainsAny(w, "<>;|/#=()*+[]{}\"") }
		g, err := buildGrammar(strings.Split(s, "|"), known)
		if err != nil {
			return
		}
		for key := range g.phrases {
			for _, w := range strings.Fields(key) {
				if !known(w) || isPhoneWord(w) {
					t.Fatalf("grammar holds %q", w)
				}
			}
		}
	})
}
