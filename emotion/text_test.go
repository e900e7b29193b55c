package emotion

import (
	"strings"
	"sync"
	"testing"
)

func defaultModel(t testing.TB) *Model {
	t.Helper()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fusedModel is the built-in model with its fusion weights changed by set.
func fusedModel(t testing.TB, set func(*FusionWeights)) *Model {
	t.Helper()
	w := DefaultFusion()
	set(&w)
	m, err := Default(WithFusion(w))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cueOfKind(cs []Cue, kind string) *Cue {
	for i := range cs {
		if cs[i].Kind == kind {
			return &cs[i]
		}
	}
	return nil
}

// TestDenialStart: where the denial of a phrase begins, so the text model can be
// kept from reading the phrase and its negator.
func TestDenialStart(t *testing.T) {
	for _, tc := range []struct {
		before string
		want   int
	}{
		{"i'm not ", 4},
		{"i am not really ", 5},
		{"this is not a ", 8},
		{"i don’t want to ", 2},
		{"我不", 3},
		{"我不是要", 3},
		{"not\u3000", 0},           // an ideographic space is three bytes
		{"no, ", -1},               // "No, cancel it"
		{"still no ", -1},          // "still no refund" is the complaint
		{"there's no need to ", 8}, // "no need to worry" rules it out
		{"you don't need to ", 4},
		{"dont ", 0}, // typed without the apostrophe
		{"不用", 0},
		{"no more ", -1},
		{"i haven't received my ", -1},
		{"", -1},
		{"   ", -1},
	} {
		if got := denialStart(tc.before); got != tc.want {
			t.Errorf("denialStart(%q) = %d, want %d", tc.before, got, tc.want)
		}
	}
}

func TestTextReadings(t *testing.T) {
	m := defaultModel(t)
	tests := []struct {
		text     string
		cat      Category
		minLevel Level
		maxLevel Level
		lang     string
		cues     []string // kinds that must fire
	}{
		{"这个问题已经第三次出现了，你们到底有没有解决方案？", Angry, Moderate, Severe, "zh", []string{CueRepeat, CueIntensifier}},
		{"This is the third time I'm calling, I want to cancel", Angry, Moderate, Severe, "en", []string{CueRepeat, CueThreat}},
		{"你们老是这样，我要打12315投诉你们！！！", Angry, Moderate, Severe, "zh", []string{CueRepeat, CueThreat, CueShouting}},
		{"I still haven't received my refund, this is UNACCEPTABLE", Angry, Mild, Severe, "en", []string{CueRepeat, CueThreat}},
		{"I don't understand what you mean", Confused, Calm, Moderate, "en", []string{CueConfusion}},
		{"我听不懂你说的是什么意思", Confused, Calm, Moderate, "zh", []string{CueConfusion}},
		{"Can I change the time of my delivery slot?", Neutral, Calm, Mild, "en", nil},
		{"请问你们周末上班吗？", Neutral, Calm, Mild, "zh", []string{CuePolite}},
		{"I need the invoice for March, please", Neutral, Calm, Mild, "en", nil},
		{"我想查一下这个月的流量还剩多少", Neutral, Calm, Mild, "zh", nil},
		{"I'm really worried, my card may have been stolen", Anxious, Mild, Severe, "en", []string{CueWorry}},
		{"我的卡被盗刷了，急死我了，怎么办", Anxious, Mild, Severe, "zh", []string{CueWorry}},
		// A feeling the caller rules out is kept from the text model too: it read
		// 生气 and "complaint" and not the denial (angry/mild, angry 43%).
		{"我不生气", Neutral, Calm, Calm, "zh", nil},
		{"我没生气，就是想知道什么时候到。", Neutral, Calm, Calm, "zh", nil},
		{"This is not a complaint, just a question", Neutral, Calm, Calm, "en", nil},
		{"I'm not angry, I'm furious!", Angry, Mild, Severe, "en", []string{CueAnnoyance}}, // the next feeling still counts
		{"I'm not sure I understand what you mean.", Confused, Calm, Moderate, "en", []string{CueConfusion}},
		{"I didn't understand the last part.", Confused, Calm, Moderate, "en", []string{CueConfusion}},
		// Praise said of a problem is irony: the text model read "great", "perfect"
		// and 谢谢 and called all of these satisfied.
		{"Great, another delay. Just perfect.", Angry, Mild, Severe, "en", []string{CueIrony}},
		{"Oh great, the app crashed again.", Angry, Mild, Severe, "en", []string{CueIrony, CueRepeat}},
		{"Thanks for nothing.", Angry, Mild, Moderate, "en", []string{CueIrony}},
		{"Fantastic, I've been on hold for an hour.", Angry, Mild, Severe, "en", []string{CueIrony, CueAnnoyance}},
		{"太好了，又坏了。", Angry, Mild, Severe, "zh", []string{CueIrony, CueRepeat}},
		{"真是谢谢你们了，等了三天还没到。", Angry, Mild, Severe, "zh", []string{CueIrony}},
		{"你们可真行。", Angry, Mild, Severe, "zh", []string{CueIrony}},
		// Irony alone, nothing else said: the model has nothing left to read and
		// abstains (these read neutral/calm, or neutral/mild, while it did not).
		{"Oh great.", Angry, Mild, Severe, "en", []string{CueIrony}},
		{"Just perfect.", Angry, Mild, Severe, "en", []string{CueIrony}},
		{"Great. Just great.", Angry, Mild, Severe, "en", []string{CueIrony}},
		{"服了你们", Angry, Mild, Severe, "zh", []string{CueIrony}},
		{"not angry", Neutral, Calm, Calm, "en", nil}, // a feeling ruled out and nothing else stays neutral
		// It stays praise once the problem is solved, or when none is named.
		{"Great, it was broken but it works now, thank you.", Satisfied, Calm, Mild, "en", []string{CueThanks}},
		{"太好了，问题解决了，谢谢！", Satisfied, Calm, Mild, "zh", []string{CueThanks}},
		{"Thanks, that's great", Satisfied, Calm, Calm, "en", []string{CueThanks}},
		{"Thanks, that is great, but the app still crashes.", Angry, Mild, Severe, "en", []string{CueRepeat}}, // read satisfied 82%
		{"Thank you so much, you have been wonderful", Satisfied, Calm, Mild, "en", nil},
		// "X, but Y" reads as Y: these read angry/calm, satisfied/mild and angry/mild
		// before the contrast was read.
		{"包装很精美，可是里面的东西是坏的", Angry, Mild, Severe, "zh", []string{CueAnnoyance}},
		{"包装很好，但是东西坏了", Angry, Mild, Severe, "zh", []string{CueAnnoyance}},
		{"服务态度不错，不过等了好久", Angry, Mild, Severe, "zh", []string{CueAnnoyance}},
		{"I was annoyed at first but you solved it, thank you", Satisfied, Calm, Mild, "en", []string{CueThanks}},
		// A "still" after the "but" is no fault: the feeling before it stays (dair val).
		{"im feeling quite optimistic but im still keeping my fingers crossed", Satisfied, Calm, Mild, "en", nil},
		{"太好了，非常感谢你们的帮助，很满意", Satisfied, Calm, Mild, "zh", nil},
		// Reassurance and good news said again are no complaint: these read
		// angry/mild, anxious/mild and angry/moderate while a negation ran past its
		// clause, worry ignored "don't need to" and every "again" was a relapse.
		{"Don't worry, I'm fine.", Satisfied, Calm, Mild, "en", nil},
		{"I'm not worried, it's fine.", Neutral, Calm, Calm, "en", nil},
		{"Never mind, it's working.", Neutral, Calm, Calm, "en", nil},
		{"No, that's fine, thanks.", Satisfied, Calm, Calm, "en", []string{CueThanks}},
		{"You don't need to worry.", Neutral, Calm, Calm, "en", nil},
		{"There's no need to worry.", Neutral, Calm, Calm, "en", nil},
		{"不要担心", Neutral, Calm, Calm, "zh", nil},
		{"Great, it's working again.", Satisfied, Calm, Calm, "en", []string{CueThanks}},
		{"It's up and running again.", Satisfied, Calm, Calm, "en", []string{CueThanks}},
		{"又能用了，谢谢", Satisfied, Calm, Calm, "zh", []string{CueThanks}},
		// A bare answer to a yes/no question: the model read these angry/mild
		// (不要 77-91% angry), and the dialog answered a declined offer with an apology.
		{"不需要", Neutral, Calm, Calm, "zh", nil},
		{"不用了", Neutral, Calm, Calm, "zh", nil},
		{"嗯，先不用吧", Neutral, Calm, Calm, "zh", nil},
		{"不是的", Neutral, Calm, Calm, "zh", nil},
		{"不要！！！", Angry, Mild, Severe, "zh", []string{CueShouting}}, // shouted, it is read
		{"不需要你们的道歉", Angry, Mild, Severe, "zh", nil},                // more than an answer
		// What a caller says to an apology or a wait: 没关系 read angry/mild (84%).
		{"没关系", Neutral, Calm, Calm, "zh", nil},
		{"嗯，没关系", Neutral, Calm, Calm, "zh", nil},
		{"不用担心，没事了", Neutral, Calm, Calm, "zh", []string{CueThanks}},
		{"没事，慢慢来", Neutral, Calm, Calm, "zh", nil},
		{"Take your time.", Neutral, Calm, Calm, "en", nil},
		{"No worries, take your time", Neutral, Calm, Calm, "en", nil},
		{"没关系，你们这服务太差了", Angry, Mild, Severe, "zh", []string{CueAnnoyance}}, // more than a calm reply
		// …while a relapse still is one.
		{"It stopped working again.", Angry, Mild, Severe, "en", []string{CueRepeat}},
		{"It's up and running again but it crashed.", Angry, Mild, Severe, "en", []string{CueAnnoyance}},
	}
	for _, tt := range tests {
		r := m.Text(tt.text)
		if r.Category != tt.cat || r.Level < tt.minLevel || r.Level > tt.maxLevel || r.Lang != tt.lang {
			t.Errorf("%q: got %v/%v lang %q (scores %v, cues %v); want %v, level %v..%v, lang %q",
				tt.text, r.Category, r.Level, r.Lang, r.Scores, r.Cues, tt.cat, tt.minLevel, tt.maxLevel, tt.lang)
		}
		for _, k := range tt.cues {
			c := cueOfKind(r.Cues, k)
			if c == nil || c.Weight == 0 || c.Text == "" {
				t.Errorf("%q: cue %q missing or without weight/text: %v", tt.text, k, r.Cues)
			}
		}
		var sum float64
		for _, p := range r.Scores {
			sum += p
		}
		if len(r.Scores) != len(Categories) || sum < 0.999 || sum > 1.001 {
			t.Errorf("%q: scores %v do not form a distribution", tt.text, r.Scores)
		}
		if r.Confidence != round3(r.Scores[r.Category]) {
			t.Errorf("%q: confidence %v is not the category's probability %v", tt.text, r.Confidence, r.Scores[r.Category])
		}
	}
}

func TestCuesEvidenceMoves(t *testing.T) {
	m := defaultModel(t)
	// the same complaint with and without a cue: the cue must push toward its category
	pairs := []struct {
		plain, cued string
		toward      Category
	}{
		{"the internet is down", "the internet is down AGAIN!!!", Angry},
		{"网络断了", "网络又断了，我要投诉", Angry},
		{"what is this charge", "what is this charge, I don't understand", Confused},
		{"这个费用是什么", "这个费用是什么意思，我不明白", Confused},
	}
	for _, p := range pairs {
		a, b := m.Text(p.plain), m.Text(p.cued)
		if b.Scores[p.toward] <= a.Scores[p.toward] {
			t.Errorf("%q -> %q: %v score %.3f did not rise (was %.3f)", p.plain, p.cued, p.toward, b.Scores[p.toward], a.Scores[p.toward])
		}
	}
}

func TestScanCues(t *testing.T) {
	tests := []struct {
		text string
		want map[string]int // kind -> count
	}{
		{"听不懂", map[string]int{CueConfusion: 1}}, // not also 不懂
		{"你们有没有解决方案", map[string]int{}},          // a question, not a denial
		{"问题还是没有解决", map[string]int{CueRepeat: 1, CueNegation: 1}},
		{"it's not working at all", map[string]int{CueNegation: 1, CueIntensifier: 1}},
		{"I was not happy", map[string]int{CueNegation: 1}},
		{"The product stopped working after two days", map[string]int{CueNegation: 1}}, // a good thing ended
		{"你们听不懂吗", map[string]int{CueAnnoyance: 1}},                                    // the agent does not understand: blame
		{"你到底懂不懂", map[string]int{CueAnnoyance: 1, CueIntensifier: 1}},
		{"我听不懂", map[string]int{CueConfusion: 1}}, // the caller does
		{"你说的我不明白", map[string]int{CueConfusion: 1}},
		{"你讲的听不懂", map[string]int{CueConfusion: 1}},
		{"我再问一遍，我的钱什么时候退", map[string]int{CueRepeat: 1}},
		{"我已经说过了", map[string]int{CueRepeat: 1}},
		{"你能再说一遍吗", map[string]int{}}, // asks the agent to repeat
		{"I already explained this to the last agent", map[string]int{CueRepeat: 1}},
		{"my phone quit working", map[string]int{CueNegation: 1}},
		{"Stopped working yesterday", map[string]int{CueNegation: 1}},
		{"你们 听不懂 吗", map[string]int{CueAnnoyance: 1}},                // a recogniser's spaces are no clause break
		{"Stop telling me to wait", map[string]int{CueAnnoyance: 1}}, // no good word after the stopper
		{"WHY IS THIS BROKEN", map[string]int{CueShouting: 1, CueAnnoyance: 1}},
		{"我对结果不满意", map[string]int{CueNegation: 1}},              // not also thanks for 满意
		{"that was not helpful", map[string]int{CueNegation: 1}}, // negated approval is no thanks
		{"我对这个处理不太满意", map[string]int{CueNegation: 1}},           // softened denial: a complaint; 不太 is no intensifier
		{"服务不是很满意", map[string]int{CueNegation: 1}},
		{"这个太慢了", map[string]int{CueAnnoyance: 1, CueIntensifier: 1}},
		{"I really don't understand this", map[string]int{CueConfusion: 1, CueIntensifier: 1}},
		{"谢谢，问题解决了", map[string]int{CueThanks: 2}},
		{"what???", map[string]int{CueShouting: 1}},
		{"I use ATM cards", map[string]int{}},
		{"the issue", map[string]int{}}, // "sue" inside a word is no threat
		{"I will sue you", map[string]int{CueThreat: 1}},
		{"退款申请了三次都被驳回", map[string]int{CueRepeat: 1, CueThreat: 1}}, // a counted repetition
		{"这都第六次了", map[string]int{CueRepeat: 1}},
		{"第三次了", map[string]int{CueRepeat: 1}},       // the lexicon's 第三次, not counted twice
		{"我已经打了好几次电话", map[string]int{CueRepeat: 1}}, // the lexicon's 好几次
		{"扣了我两次钱", map[string]int{}},                 // a double charge told, no count of tries
		{"这是我第一次打电话", map[string]int{}},
		{"I have called three times this week", map[string]int{CueRepeat: 1}},
		{"I asked you several times", map[string]int{CueRepeat: 1}},
		{"how many times do I have to ask", map[string]int{CueRepeat: 1}},
		{"it is three times more expensive", map[string]int{}}, // a multiple
		{"I tried 0 times", map[string]int{}},
		{"你刚才说的流程我没听明白", map[string]int{CueConfusion: 1}}, // not only 没明白 and 听不懂
		{"这个账单我看不明白", map[string]int{CueConfusion: 1}},
		{"我要求赔偿", map[string]int{CueThreat: 1}},
		{"我对处理结果很不满", map[string]int{CueNegation: 1}},
		{"我对结果不满意", map[string]int{CueNegation: 1}},               // not also 不满
		{"保单不满一年可以退吗", map[string]int{}},                          // "less than a year"
		{"我很生气", map[string]int{CueAnnoyance: 1}},                 // not also 生气
		{"I'm not angry, I just want it fixed", map[string]int{}}, // a denied cue is no evidence
		{"This is not a complaint, just a question", map[string]int{}},
		{"I don't want to cancel", map[string]int{}},
		{"我不是要投诉，就是想问一下", map[string]int{CuePolite: 1}},
		{"我不生气，就是想赶紧解决", map[string]int{}},
		{"我不担心", map[string]int{}},
		{"No, cancel it", map[string]int{CueThreat: 1}},                               // "no" ends its own clause
		{"two weeks and still no refund", map[string]int{CueThreat: 1, CueRepeat: 1}}, // "no refund" is the complaint
		{"别拖了", map[string]int{CueAnnoyance: 1}},                                      // 别 is a demand, not a denial
		{"if you don't fix it I will cancel", map[string]int{CueThreat: 1, CueNegation: 1}},
		{"I haven't received my refund", map[string]int{CueThreat: 1, CueNegation: 1}}, // the verb is denied, not the refund
		{"I'm not calling to complain", map[string]int{}},
		{"I am not happy and I want to cancel", map[string]int{CueNegation: 1, CueThreat: 1}},
		{"Great, it crashed again", map[string]int{CueIrony: 1, CueRepeat: 1, CueAnnoyance: 1, CueThanks: 0}},
		{"Oh great, another delay", map[string]int{CueIrony: 1, CueRepeat: 1, CueThanks: 0}}, // not also "great"
		{"Thanks for nothing", map[string]int{CueIrony: 1, CueThanks: 0}},
		{"Great, my refund came through", map[string]int{CueThanks: 1, CueThreat: 1, CueIrony: 0}},                        // a refund request is no problem named
		{"Great, it was broken but it is fixed now", map[string]int{CueThanks: 1, CueAnnoyance: 0, CueIrony: 0}},          // solved: the problem is over
		{"唉，有个好闺蜜真好，不然我又要加班", map[string]int{CueThanks: 1, CueRepeat: 1, CueIrony: 0}},                                    // praise past the first clause
		{"Thanks, that is great, but the app still crashes", map[string]int{CueRepeat: 1, CueAnnoyance: 1, CueThanks: 0}}, // polite, then the problem
		{"谢谢你，但是问题还是没解决", map[string]int{CueRepeat: 1, CueNegation: 1, CueThanks: 0}},
		{"Thanks, but it works now", map[string]int{CueThanks: 2}}, // nothing wrong after the "but"; "works now" approves too
		// "X, but Y" is about Y: praise before a fault is a concession, a fault before
		// thanks or a solution is over; plain approval after a fault solves nothing.
		{"The food was great but the delivery was late", map[string]int{CueAnnoyance: 1, CueThanks: 0, CueIrony: 0}},
		{"The delivery was late but the food was great", map[string]int{CueAnnoyance: 1, CueThanks: 1, CueIrony: 0}},
		{"I was annoyed at first but you solved it, thank you", map[string]int{CueThanks: 2, CueAnnoyance: 0}},
		{"It crashed again but it's fine now", map[string]int{CueRepeat: 0}},
		{"包装很精美，可是里面的东西是坏的", map[string]int{CueAnnoyance: 1}},
		{"把坏的分区删掉", map[string]int{}},              // an adjective, not a complaint
		{"心脏跳得快到不行", map[string]int{}},             // 到不行: "extremely"
		{"这个方案不行", map[string]int{CueNegation: 1}}, // still "no good"
		// a repetition of something good is no complaint; a relapse is
		{"Thanks again for your help", map[string]int{CueThanks: 1}},
		{"Thank you so much again", map[string]int{CueThanks: 1, CueIntensifier: 1}},
		{"Once again, thank you", map[string]int{CueThanks: 1}},
		{"It still works fine", map[string]int{}},
		{"I have always been happy with you", map[string]int{}},
		{"再次感谢", map[string]int{CueThanks: 1}},
		{"我一直很满意", map[string]int{CueThanks: 1}},
		{"It works again", map[string]int{CueThanks: 1}},
		{"It's not working again", map[string]int{CueNegation: 1, CueRepeat: 1}},
		{"It stopped working again", map[string]int{CueNegation: 1, CueRepeat: 1}},
		{"You again?", map[string]int{CueRepeat: 1}},
		{"Again, nothing happened", map[string]int{CueRepeat: 1}},
		{"又坏了", map[string]int{CueRepeat: 1, CueAnnoyance: 1}},
		{"It still doesn't work", map[string]int{CueRepeat: 1, CueNegation: 1}},
		// an outcome asked about, or undone after, is no approval
		{"When will it be working again?", map[string]int{}},
		{"能用了吗", map[string]int{}},
		{"上周就说修好了，今天又坏了", map[string]int{CueRepeat: 1, CueAnnoyance: 1}},
		// a negation ends with its clause; reassurance rules worry out
		{"No, that's fine", map[string]int{}},
		{"Don't worry, I'm fine", map[string]int{}},
		{"dont worry about it", map[string]int{}},
		{"not having to worry", map[string]int{}},
		{"There's no need to worry", map[string]int{}},
		{"别着急", map[string]int{}},
		{"不用担心", map[string]int{}},
		{"it doesnt work", map[string]int{CueNegation: 1}}, // typed without the apostrophe
		{"", map[string]int{}},
	}
	for _, tt := range tests {
		got := map[string]int{}
		for _, c := range scanCues(tt.text, strings.ToLower(tt.text), nil, nil) {
			got[c.Kind]++
		}
		for k, n := range tt.want {
			if got[k] != n {
				t.Errorf("%q: %s fired %d times, want %d (all %v)", tt.text, k, got[k], n, got)
			}
		}
		for k, n := range got {
			if tt.want[k] == 0 && k != CuePolite {
				t.Errorf("%q: unexpected cue %s ×%d", tt.text, k, n)
			}
		}
	}
}

// TestTraditionalReadsLikeSimplified: a transcript in Traditional characters (a
// Whisper-style recogniser, a caller from Taiwan or Hong Kong) reads exactly as its
// Simplified twin, and the cues quote the caller's own characters.
func TestTraditionalReadsLikeSimplified(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct{ trad, simp, cue string }{
		{"這個問題已經第三次出現了，你們到底有沒有解決方案？", "这个问题已经第三次出现了，你们到底有没有解决方案？", "第三次"},
		{"我要投訴你們，服務太差了", "我要投诉你们，服务太差了", "投訴"},
		{"謝謝，問題解決了", "谢谢，问题解决了", "謝謝"},
		{"我不明白你說的是什麼意思", "我不明白你说的是什么意思", "是什麼意思"},
		{"急死了，我的卡被盜刷了，怎麼辦", "急死了，我的卡被盗刷了，怎么办", "怎麼辦"},
	} {
		tr, sr := m.Text(c.trad), m.Text(c.simp)
		if tr.Category != sr.Category || tr.Level != sr.Level || tr.Confidence != sr.Confidence {
			t.Errorf("%q reads %v/%v %.3f, its Simplified twin %v/%v %.3f", c.trad, tr.Category, tr.Level, tr.Confidence, sr.Category, sr.Level, sr.Confidence)
		}
		found := false
		for _, cue := range tr.Cues {
			found = found || cue.Text == c.cue
		}
		if !found {
			t.Errorf("%q: no cue quoting %q in %v", c.trad, c.cue, tr.Cues)
		}
	}
}

func TestDetectLang(t *testing.T) {
	for in, want := range map[string]string{"你好": "zh", "hello there": "en", "我的iPhone坏了": "zh", "": "", "123 !!": "", "OK 好": "zh"} {
		if got := DetectLang(in); got != want {
			t.Errorf("DetectLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextEmptyAndHostile(t *testing.T) {
	m := defaultModel(t)
	for _, in := range []string{"", "   ", "\x00\xff\xfe", strings.Repeat("又", 10000), strings.Repeat("!?", 5000)} {
		r := m.Text(in)
		if len(r.Scores) != len(Categories) {
			t.Errorf("%q...: scores %v", in[:min(len(in), 10)], r.Scores)
		}
	}
	if r := m.Text(""); r.Category != Neutral || r.Level != Calm || r.Lang != "" || r.Evidence != nil {
		t.Errorf("empty text: %+v", r)
	}
}

func TestModelConcurrent(t *testing.T) {
	m := defaultModel(t)
	want := m.Text("我又没收到货，太过分了")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := m.Text("我又没收到货，太过分了"); got.Category != want.Category || got.Scores[Angry] != want.Scores[Angry] {
					t.Errorf("concurrent reading differs: %v vs %v", got.Scores, want.Scores)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWithTextWeightsRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("not gzip"), embeddedTextWeights[:len(embeddedTextWeights)/2]} {
		if _, err := Default(WithTextWeights(b)); err == nil {
			t.Errorf("weights of %d bytes accepted", len(b))
		}
	}
}

func FuzzText(f *testing.F) {
	m := defaultModel(f)
	for _, s := range []string{"第三次了！！！", "I don't understand", "NOT HAPPY", "有没有", "’’’", "\xed\xa0\x80", "Great, thanks, but it still crashes again", "太好了，可是又坏了 but", "I was annoyed but you solved it, thanks", "但是东西坏了", "包装很好 but 但是 谢谢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := m.Text(s)
		if r.Confidence < 0 || r.Confidence > 1 || r.Arousal < 0 || r.Arousal > 1 || r.Valence < -1 || r.Valence > 1 {
			t.Fatalf("%q: out of range reading %+v", s, r)
		}
	})
}

// TestCountedRepeatText: the agent's report quotes the count itself.
func TestCountedRepeatText(t *testing.T) {
	for text, want := range map[string]string{"退款申请了三次都被驳回": "三次", "这都第六次了": "第六次", "三次了还没好": "三次了", "I called 4 times": "4 times"} {
		var got []string
		for _, c := range scanCues(text, strings.ToLower(text), nil, nil) {
			if c.Kind == CueRepeat {
				got = append(got, c.Text)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: repeat cues %q, want [%q]", text, got, want)
		}
	}
}
