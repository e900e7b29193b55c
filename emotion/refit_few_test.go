package emotion

import "testing"

// TestRefitFewLabelsNudge: a handful of corrections must not bend ordinary lines.
// An operator trial labelled five refund and delay lines angry; the refit then read
// a thank-you line as angry too.
func TestRefitFewLabelsNudge(t *testing.T) {
	m := defaultModel(t)
	corrections := []string{
		"I want a refund for my order", "where is my parcel, it's late", "the app keeps logging me out",
		"我要退款", "快递怎么还没到",
	}
	var labels []Label
	for _, s := range corrections {
		labels = append(labels, Label{Reading: m.Text(s), Category: Angry})
	}
	w, rep, err := m.Refit(labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report %+v", rep)
	m2, err := Default(WithFusion(w))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want Category
	}{
		{"thank you so much, that solved it", Satisfied},
		{"thanks, have a nice day", Satisfied},
		{"谢谢，问题解决了", Satisfied},
		{"what time do you open tomorrow", Neutral},
		{"我想查一下我的订单", Neutral},
	} {
		before, after := m.Text(tt.text), m2.Text(tt.text)
		t.Logf("%q: %v %.2f -> %v %.2f", tt.text, before.Category, before.Confidence, after.Category, after.Confidence)
		if before.Category == tt.want && after.Category != tt.want {
			t.Errorf("%q read %v before the refit and %v after", tt.text, before.Category, after.Category)
		}
	}
}
