package dialog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calmline/calmline/emotion"
)

func loadSupport(t *testing.T) *Engine {
	t.Helper()
	e, err := Load("../config/flows/support.yaml")
	if err != nil {
		t.Fatalf("load default flow: %v", err)
	}
	return e
}

func rd(cat emotion.Category, lvl emotion.Level, conf float64) emotion.Reading {
	return emotion.Reading{Category: cat, Level: lvl, Confidence: conf}
}

// turn is one caller turn and what the engine must do with it.
type turn struct {
	in         Input
	typ        ActionType
	tier       string
	queue      string
	priority   int
	strategy   string
	style      string
	node       string
	replyHas   []string
	replyLacks []string
	comp       string // compensation kind, "-" for none
	compAmount float64
	report     bool
	soothed    bool // reply starts with the flow's soothe line for this call's variant
	replyEnds  string
	reason     string // the handoff report's reason
}

func say(text string, r emotion.Reading) Input {
	return Input{Text: text, Reading: r, Trajectory: emotion.Trajectory{Turns: 1, Current: r, To: r.Category}}
}

// TestKeywordScripts: a flow's keywords and the caller's text meet in Simplified
// Chinese, whichever script either was written in.
func TestKeywordScripts(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"律師", "律师"}, {"律师", "律师"}, {"Legal Action", "legal action"}, {"轉人工！", "转人工"},
	} {
		if got := keyword(c.in); got != c.want {
			t.Errorf("keyword(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestConversationTable(t *testing.T) {
	calm := rd(emotion.Neutral, emotion.Calm, 0.8)
	gold := &Profile{CustomerID: "c1", Name: "Li Lei", Tier: "gold", Orders: 12, TenureMonths: 30}
	cases := []struct {
		name    string
		lang    string
		profile *Profile
		turns   []turn
	}{
		{"en calm caller follows the menu", "en", nil, []turn{
			{in: say("where is my parcel", calm), typ: Say, node: "ask_order", strategy: "normal", style: "neutral", replyHas: []string{"order number"}, comp: "-"},
			{in: Input{DTMF: "12345678", Reading: calm}, typ: Say, node: "delivery_status", replyHas: []string{"Order 12345678 left our warehouse"}},
			{in: say("yes please", calm), typ: Say, node: "anything_else", replyHas: []string{"link is on its way", "anything else"}},
			{in: say("no that's it", calm), typ: Hangup, node: "bye", replyHas: []string{"Goodbye"}},
		}},
		{"zh mild anger gets a soothing line and the node's solution", "zh", nil, []turn{
			{in: say("我要退款，太慢了", rd(emotion.Angry, emotion.Mild, 0.7)), typ: Say, tier: "mild", node: "refund", strategy: "soothing", style: "soothing",
				soothed: true, replyHas: []string{"发起退款", "三个工作日内到账"}, replyEnds: "需要现在办理吗？"}, // the question last
		}},
		{"en mild anger gets a soothing line and the node's solution", "en", nil, []turn{
			{in: say("I want a refund, this is annoying", rd(emotion.Angry, emotion.Mild, 0.7)), typ: Say, tier: "mild", node: "refund", style: "soothing",
				soothed: true, replyHas: []string{"start a refund", "three working days"}},
		}},
		{"zh mild complaint that matches no intent is soothed, not told it was not heard", "zh", nil, []turn{
			{in: say("怎么这么慢", rd(emotion.Angry, emotion.Mild, 0.7)), typ: Say, tier: "mild", node: "main", style: "soothing",
				soothed: true, replyHas: []string{"请问有什么可以帮您"}, replyLacks: []string{"没有听清"}},
			{in: say("嗯嗯", calm), typ: Say, node: "main", replyHas: []string{"没有听清"}},
		}},
		{"en confused caller gets an explanation, not a no-match apology", "en", nil, []turn{
			{in: say("refund", calm), typ: Say, node: "refund"},
			{in: say("what do you mean", rd(emotion.Confused, emotion.Mild, 0.8)), typ: Say, node: "refund", style: "explaining",
				replyHas: []string{"works like this"}, replyLacks: []string{"didn't catch"}, replyEnds: "Shall I go ahead?"},
		}},
		{"en moderate anger hands off with report and points", "en", nil, []turn{
			{in: say("I want a refund", calm), typ: Say, node: "refund"},
			{in: say("this is ridiculous, you people never help", rd(emotion.Angry, emotion.Moderate, 0.8)), typ: Handoff, tier: "moderate", queue: "agents", priority: 6,
				comp: "points", compAmount: 500, report: true, style: "soothing", replyHas: []string{"connecting you to a colleague", "added 500 points to your account"}, replyLacks: []string{"a points"}},
			{in: say("hello?", calm), typ: Handoff, queue: "agents", replyLacks: []string{"connecting"}},
		}},
		{"zh moderate anger of a gold customer goes to vip with a capped coupon", "zh", gold, []turn{
			{in: say("你们的服务太差了", rd(emotion.Angry, emotion.Moderate, 0.9)), typ: Handoff, tier: "moderate", queue: "vip", priority: 8,
				comp: "coupon", compAmount: 50, report: true, replyHas: []string{"转接专人", "50元的优惠券"}, replyLacks: []string{"CNY", "coupon"}},
		}},
		{"moderate anger below min_confidence stays with the bot", "en", nil, []turn{
			{in: say("refund", rd(emotion.Angry, emotion.Moderate, 0.3)), typ: Say, node: "refund"},
		}},
		{"zh severe complaint escalates to the expert queue, no more bot turns", "zh", nil, []turn{
			{in: say("我要投诉你们！！！", rd(emotion.Angry, emotion.Severe, 0.9)), typ: Escalate, tier: "severe", queue: "expert", priority: 10, style: "urgent", strategy: "emergency",
				report: true, replyHas: []string{"高级专员"}},
			{in: say("喂？", calm), typ: Escalate, queue: "expert", replyLacks: []string{"专员"}},
		}},
		{"en severe sadness escalates too", "en", nil, []turn{
			{in: say("I just can't cope with this anymore", rd(emotion.Sad, emotion.Severe, 0.8)), typ: Escalate, tier: "severe", queue: "expert", report: true},
		}},
		{"en legal topic goes to a human even when calm", "en", nil, []turn{
			{in: say("I'm going to talk to my lawyer about this order", calm), typ: Handoff, tier: "forced:legal", queue: "legal", priority: 8, report: true},
		}},
		{"zh fraud topic escalates even when calm", "zh", nil, []turn{
			{in: say("我的卡被盗刷了", calm), typ: Escalate, tier: "forced:fraud", queue: "expert", report: true},
		}},
		{"zh in Traditional characters: the flow's Simplified keywords still hear it", "zh", nil, []turn{
			{in: say("我的包裹還沒到", calm), typ: Say, node: "ask_order"},
			{in: say("我已經找了律師", calm), typ: Handoff, tier: "forced:legal", queue: "legal", report: true},
		}},
		{"zh fraud topic in Traditional characters escalates", "zh", nil, []turn{
			{in: say("我的卡被盜刷了", calm), typ: Escalate, tier: "forced:fraud", queue: "expert", report: true},
		}},
		{"en angry to confused switches to explaining, falling anger returns to normal", "en", nil, []turn{
			{in: say("where is my parcel", calm), typ: Say, node: "ask_order"},
			{in: Input{DTMF: "87654321", Reading: rd(emotion.Angry, emotion.Mild, 0.7)}, typ: Say, tier: "mild", node: "delivery_status", strategy: "soothing"},
			{in: Input{Text: "what do you mean by courier scan", Reading: rd(emotion.Confused, emotion.Mild, 0.7),
				Trajectory: emotion.Trajectory{Turns: 3, From: emotion.Angry, To: emotion.Confused, Switched: true}},
				typ: Say, strategy: "explaining", style: "explaining", replyHas: []string{"Here is what happens next"}},
			{in: Input{Text: "ok yes", Reading: calm, Trajectory: emotion.Trajectory{Turns: 4, From: emotion.Confused, To: emotion.Neutral, Trend: emotion.Falling}},
				typ: Say, strategy: "normal", style: "neutral", node: "anything_else"},
		}},
		{"zh angry to confused switches to explaining with the node's explanation", "zh", nil, []turn{
			{in: say("退款", rd(emotion.Angry, emotion.Mild, 0.7)), typ: Say, node: "refund", strategy: "soothing"},
			{in: Input{Text: "什么意思", Reading: rd(emotion.Confused, emotion.Mild, 0.7),
				Trajectory: emotion.Trajectory{Turns: 2, From: emotion.Angry, To: emotion.Confused, Switched: true}},
				typ: Say, strategy: "explaining", replyHas: []string{"退款流程是这样的"}},
		}},
		{"en anger rising for 3 turns escalates below severe", "en", nil, []turn{
			{in: Input{Text: "refund", Reading: rd(emotion.Angry, emotion.Mild, 0.5), Trajectory: emotion.Trajectory{Turns: 1, RisingTurns: 1, Trend: emotion.Rising}}, typ: Say, tier: "mild"},
			{in: Input{Text: "hmm", Reading: rd(emotion.Angry, emotion.Mild, 0.5), Trajectory: emotion.Trajectory{Turns: 2, RisingTurns: 2, Trend: emotion.Rising}}, typ: Say, tier: "mild"},
			{in: Input{Text: "hmm", Reading: rd(emotion.Angry, emotion.Mild, 0.5), Trajectory: emotion.Trajectory{Turns: 3, RisingTurns: 3, Trend: emotion.Rising}}, typ: Escalate, tier: "rising", queue: "expert", report: true},
		}},
		{"zh anger rising for 3 turns escalates below severe; 2 turns do not", "zh", nil, []turn{
			{in: Input{Text: "退款", Reading: rd(emotion.Angry, emotion.Mild, 0.5), Trajectory: emotion.Trajectory{Turns: 1, RisingTurns: 1}}, typ: Say, tier: "mild"},
			{in: Input{Text: "怎么还没好", Reading: rd(emotion.Angry, emotion.Mild, 0.6), Trajectory: emotion.Trajectory{Turns: 2, RisingTurns: 2}}, typ: Say, tier: "mild"},
			{in: Input{Text: "又是这样", Reading: rd(emotion.Angry, emotion.Mild, 0.7), Trajectory: emotion.Trajectory{Turns: 3, RisingTurns: 3}}, typ: Escalate, tier: "rising", queue: "expert", priority: 9, style: "urgent", report: true, replyHas: []string{"高级专员"}},
		}},
		{"zh no answer three times goes to an agent", "zh", nil, []turn{
			{in: Input{NoInput: true}, typ: Say, node: "main", replyHas: []string{"请问您还在吗", "请问有什么可以帮您"}},
			{in: Input{NoInput: true}, typ: Say, node: "main"},
			{in: Input{NoInput: true}, typ: Handoff, queue: "agents", priority: 3, reason: "caller did not answer after 2 prompts"},
		}},
		// The report tells the agent why the call came: it said "caller asked for
		// transfer_agent" for every one of these.
		{"en not understood three times goes to an agent, and the report says so", "en", nil, []turn{
			{in: say("up and running again", calm), typ: Say, node: "main", replyHas: []string{"didn't catch that"}},
			{in: say("my router lights are blinking", calm), typ: Say, node: "main"},
			{in: say("the modem is fine", calm), typ: Handoff, queue: "agents", reason: "caller not understood after 2 tries"},
		}},
		{"en asking for a person is what the report says", "en", nil, []turn{
			{in: say("a real person please", calm), typ: Handoff, queue: "agents", reason: "caller asked for agent"},
		}},
		// The longest keyword wins: 没有了 holds the 有 of "more", "a real person
		// please" the "please" of a yes.
		{"zh 没有了 after anything else ends the call", "zh", nil, []turn{
			{in: say("退款", calm), typ: Say, node: "refund"},
			{in: say("好的", calm), typ: Say, node: "anything_else"},
			{in: say("没有了", calm), typ: Hangup, node: "bye"},
		}},
		{"zh 还有一个问题 after anything else goes back to the menu", "zh", nil, []turn{
			{in: say("退款", calm), typ: Say, node: "refund"},
			{in: say("不需要", calm), typ: Say, node: "anything_else"},
			{in: say("还有一个问题", calm), typ: Say, node: "main"},
		}},
		{"en a person asked for at a yes/no question", "en", nil, []turn{
			{in: say("refund", calm), typ: Say, node: "refund"},
			{in: say("a real person please", calm), typ: Handoff, queue: "agents", reason: "caller asked for agent"},
		}},
		{"en okay accepts, thanks a lot closes", "en", nil, []turn{
			{in: say("where is my parcel", calm), typ: Say, node: "ask_order"},
			{in: Input{DTMF: "12345678", Reading: calm}, typ: Say, node: "delivery_status"},
			{in: say("okay thanks", calm), typ: Say, node: "anything_else", replyHas: []string{"link is on its way"}},
			{in: say("thanks a lot", calm), typ: Hangup, node: "bye"},
		}},
		{"en DTMF 0 reaches an agent from anywhere", "en", nil, []turn{
			{in: Input{DTMF: "2"}, typ: Say, node: "refund"},
			{in: Input{DTMF: "0"}, typ: Handoff, queue: "agents", reason: "caller asked for agent"},
		}},
		// "Hello?" after the greeting checks the line: it is answered and spends no
		// try, twice per node; then it counts like any answer that matched nothing.
		{"en hello? is answered and spends no try", "en", nil, []turn{
			{in: say("Hello?", calm), typ: Say, node: "main", replyHas: []string{"I can hear you", "How can I help"}, replyLacks: []string{"didn't catch"}},
			{in: say("hello, can you hear me?", calm), typ: Say, node: "main", replyHas: []string{"I can hear you"}},
			{in: say("hello", calm), typ: Say, node: "main", replyHas: []string{"didn't catch"}},
			{in: say("hmm", calm), typ: Say, node: "main", replyHas: []string{"didn't catch"}},
			{in: say("hmm", calm), typ: Handoff, queue: "agents", reason: "caller not understood after 2 tries"},
		}},
		{"zh 喂，听得到吗 is answered; at a collect node too", "zh", nil, []turn{
			{in: say("喂，你好", calm), typ: Say, node: "main", replyHas: []string{"我在听", "请问有什么可以帮您"}, replyLacks: []string{"没有听清"}},
			{in: say("我的快递到哪了", calm), typ: Say, node: "ask_order"},
			{in: say("喂？听得到吗？", calm), typ: Say, node: "ask_order", replyHas: []string{"我在听", "订单号"}},
		}},
		{"en a greeting with a request is the request", "en", nil, []turn{
			{in: say("hi, I want a refund", calm), typ: Say, node: "refund"},
		}},
		{"en garbled speech is a no-match", "en", nil, []turn{
			{in: Input{ASRFailed: true}, typ: Say, node: "main", replyHas: []string{"didn't catch that"}},
		}},
	}
	e := loadSupport(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.NewConversation(Caller{CallID: "call-" + tc.name, CallerID: "+8613800000000", Lang: tc.lang, Profile: tc.profile})
			if a := c.Start(); a.Type != Say || a.Node != "main" || a.Lang != tc.lang {
				t.Fatalf("Start = %+v", a)
			}
			for i, tu := range tc.turns {
				a := c.Turn(tu.in)
				where := fmt.Sprintf("turn %d (%q): %+v", i+1, tu.in.Text, a)
				if a.Type != tu.typ {
					t.Errorf("%s: type %v, want %v", where, a.Type, tu.typ)
				}
				if tu.tier != "" && a.Tier != tu.tier {
					t.Errorf("%s: tier %q, want %q", where, a.Tier, tu.tier)
				}
				if tu.queue != "" && a.Queue != tu.queue {
					t.Errorf("%s: queue %q, want %q", where, a.Queue, tu.queue)
				}
				if tu.priority != 0 && a.Priority != tu.priority {
					t.Errorf("%s: priority %d, want %d", where, a.Priority, tu.priority)
				}
				if tu.strategy != "" && a.Strategy != tu.strategy {
					t.Errorf("%s: strategy %q, want %q", where, a.Strategy, tu.strategy)
				}
				if tu.style != "" && a.Style != tu.style {
					t.Errorf("%s: style %q, want %q", where, a.Style, tu.style)
				}
				if tu.node != "" && a.Node != tu.node {
					t.Errorf("%s: node %q, want %q", where, a.Node, tu.node)
				}
				if tu.soothed {
					want, _ := e.Flow("support").Lines["soothe"].render(c.Variant(), tc.lang, "")
					if want == "" || !strings.HasPrefix(a.Reply, want) {
						t.Errorf("%s: reply does not start with the soothe line %q of variant %s", where, want, c.Variant())
					}
				}
				for _, s := range tu.replyHas {
					if !strings.Contains(a.Reply, s) {
						t.Errorf("%s: reply lacks %q", where, s)
					}
				}
				for _, s := range tu.replyLacks {
					if strings.Contains(a.Reply, s) {
						t.Errorf("%s: reply has %q", where, s)
					}
				}
				if !strings.HasSuffix(a.Reply, tu.replyEnds) {
					t.Errorf("%s: reply %q does not end with %q", where, a.Reply, tu.replyEnds)
				}
				switch {
				case tu.comp == "-" && a.Compensation != nil:
					t.Errorf("%s: unexpected compensation %+v", where, a.Compensation)
				case tu.comp != "" && tu.comp != "-" && (a.Compensation == nil || a.Compensation.Kind != tu.comp || a.Compensation.Amount != tu.compAmount):
					t.Errorf("%s: compensation %+v, want %s %v", where, a.Compensation, tu.comp, tu.compAmount)
				}
				if tu.report {
					if a.Report == nil {
						t.Fatalf("%s: no report", where)
					}
					if len(a.Report.Transcript) < i+1 || a.Report.Transcript[0].Who != "bot" {
						t.Errorf("%s: report transcript %+v misses the conversation", where, a.Report.Transcript)
					}
					if len(a.Endpoints) == 0 {
						t.Errorf("%s: no endpoints for queue %q", where, a.Queue)
					}
				}
				if tu.reason != "" && (a.Report == nil || a.Report.Reason != tu.reason) {
					t.Errorf("%s: report %+v, want reason %q", where, a.Report, tu.reason)
				}
				if a.Type == Handoff || a.Type == Escalate {
					if tu.in.Text != "" && tu.report && !strings.Contains(transcriptText(a.Report), tu.in.Text) {
						t.Errorf("%s: report transcript lacks the caller's words", where)
					}
				}
			}
		})
	}
}

func transcriptText(r *Report) string {
	var b strings.Builder
	for _, u := range r.Transcript {
		b.WriteString(u.Text + "\n")
	}
	return b.String()
}

func TestPersonalisationAndProactive(t *testing.T) {
	e := loadSupport(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	e.SetClock(func() time.Time { return now })
	loyal := &Profile{Name: "Wang Fang", Tier: "regular", Orders: 35, TenureMonths: 40}
	issue := &Profile{Name: "Sam", Orders: 2, KnownIssue: "your parcel is held at customs", RenewalDue: now.Add(5 * 24 * time.Hour)}
	farRenewal := &Profile{Name: "Ann", Orders: 2, RenewalDue: now.Add(60 * 24 * time.Hour)}
	cases := []struct {
		name  string
		lang  string
		p     *Profile
		has   []string
		lacks []string
	}{
		{"en loyal customer line", "en", loyal, []string{"Welcome back, Wang Fang", "40 months", "How can I help"}, []string{"renews"}},
		{"zh loyal customer line", "zh", loyal, []string{"Wang Fang，欢迎回来", "40个月"}, nil},
		{"en proactive known issue and renewal", "en", issue, []string{"held at customs", "renews on 2026-11-29"}, []string{"Welcome back"}},
		{"zh proactive known issue", "zh", issue, []string{"我注意到your parcel is held at customs", "2026-11-29"}, nil},
		{"renewal far away is not mentioned", "en", farRenewal, nil, []string{"renews", "Welcome back"}},
		{"no profile, plain greeting", "en", nil, []string{"Hello, thanks for calling"}, []string{"Welcome back", "renews"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.NewConversation(Caller{CallID: tc.name, Lang: tc.lang, Profile: tc.p}).Start()
			for _, s := range tc.has {
				if !strings.Contains(a.Reply, s) {
					t.Errorf("reply %q lacks %q", a.Reply, s)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(a.Reply, s) {
					t.Errorf("reply %q has %q", a.Reply, s)
				}
			}
		})
	}
}

func TestRoutingPriority(t *testing.T) {
	e := loadSupport(t)
	cases := []struct {
		name     string
		p        *Profile
		first    string
		r        emotion.Reading
		queue    string
		priority int
	}{
		{"severe beats everything", &Profile{Tier: "gold"}, "refund", rd(emotion.Angry, emotion.Severe, 0.9), "expert", 10},
		{"high value moderate goes vip", &Profile{Tier: "platinum"}, "delivery", rd(emotion.Angry, emotion.Moderate, 0.9), "vip", 8},
		{"many orders count as high value", &Profile{Tier: "regular", Orders: 60}, "delivery", rd(emotion.Angry, emotion.Moderate, 0.9), "vip", 8},
		{"refund issue moderate", nil, "refund", rd(emotion.Angry, emotion.Moderate, 0.9), "agents", 6},
		{"other issue moderate", nil, "delivery", rd(emotion.Angry, emotion.Moderate, 0.9), "agents", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.NewConversation(Caller{CallID: tc.name, Lang: "en", Profile: tc.p})
			c.Start()
			c.Turn(say(tc.first, rd(emotion.Neutral, emotion.Calm, 0.9)))
			a := c.Turn(say("this is unacceptable", tc.r))
			if a.Queue != tc.queue || a.Priority != tc.priority {
				t.Errorf("got queue %q priority %d, want %q %d", a.Queue, a.Priority, tc.queue, tc.priority)
			}
		})
	}
}

func TestABAssignmentAndOutcome(t *testing.T) {
	e := loadSupport(t)
	stats := &ABStats{}
	e.SetRecorder(stats)
	counts := map[string]int{}
	for i := range 400 {
		id := fmt.Sprintf("call-%d", i)
		v1 := e.NewConversation(Caller{CallID: id}).Variant()
		v2 := e.NewConversation(Caller{CallID: id}).Variant()
		if v1 != v2 {
			t.Fatalf("call %s assigned %q then %q", id, v1, v2)
		}
		counts[v1]++
	}
	if len(counts) != 2 || counts["a"] < 150 || counts["b"] < 150 {
		t.Errorf("assignment is lopsided: %v", counts)
	}
	// Find one call per variant and check the spoken line and the recorded outcome.
	want := map[string]string{"a": "I understand why you're upset", "b": "You're right to expect better"}
	done := map[string]bool{}
	for i := 0; len(done) < 2; i++ {
		c := e.NewConversation(Caller{CallID: fmt.Sprintf("ab-%d", i), Lang: "en"})
		if done[c.Variant()] {
			continue
		}
		done[c.Variant()] = true
		if g := c.Start(); g.Line != "" {
			t.Errorf("the greeting has no variant text but names line %q", g.Line)
		}
		a := c.Turn(say("refund", rd(emotion.Angry, emotion.Mild, 0.7)))
		if !strings.Contains(a.Reply, want[c.Variant()]) || a.Variant != c.Variant() || a.Line != "soothe" {
			t.Errorf("variant %s said %q (line %q)", c.Variant(), a.Reply, a.Line)
		}
		// Emotion falls on the next turn for variant b only.
		next := rd(emotion.Angry, emotion.Mild, 0.7)
		if c.Variant() == "b" {
			next = rd(emotion.Neutral, emotion.Calm, 0.7)
		}
		if a := c.Turn(say("yes", next)); c.Variant() == "b" && a.Line != "" {
			t.Errorf("a calm turn's reply has no variant text but names line %q", a.Line)
		}
		c.End(Outcome{Reason: "caller_hangup"})
		c.End(Outcome{Reason: "caller_hangup"}) // recorded once
		r := c.ABResult()
		if r.Lines < 1 || r.Checked != 1 || !r.EndedWithoutHandoff {
			t.Errorf("variant %s result %+v", c.Variant(), r)
		}
	}
	rates := stats.Rates()
	if len(rates) != 2 {
		t.Fatalf("rates %+v", rates)
	}
	for _, r := range rates {
		wantFell := 0
		if r.Variant == "b" {
			wantFell = 1
		}
		if r.Calls != 1 || r.Fell != wantFell || r.EndedWithoutHandoff != 1 {
			t.Errorf("rate %+v, want 1 call, fell %d", r, wantFell)
		}
	}
	// A handed-off call is not a success.
	c := e.NewConversation(Caller{CallID: "ab-handoff", Lang: "en"})
	c.Start()
	c.Turn(say("agent", rd(emotion.Neutral, emotion.Calm, 0.9)))
	c.End(Outcome{Reason: "transferred"})
	if c.ABResult().EndedWithoutHandoff {
		t.Errorf("handoff counted as resolved: %+v", c.ABResult())
	}
}

func TestExpectAndLanguage(t *testing.T) {
	e := loadSupport(t)
	c := e.NewConversation(Caller{CallID: "x", Lang: "en"})
	c.Start()
	exp := strings.Join(c.Expect(), "|")
	for _, w := range []string{"delivery", "refund", "agent", "goodbye"} {
		if !strings.Contains(exp, w) {
			t.Errorf("Expect() = %q lacks %q", exp, w)
		}
	}
	if strings.Contains(exp, "退款") {
		t.Errorf("Expect() for en has zh words: %q", exp)
	}
	if n := c.NumberKeys(); n != 0 {
		t.Errorf("menu NumberKeys() = %d, want 0 (one key chooses)", n)
	}
	c.Turn(Input{DTMF: "1"})
	if exp := strings.Join(c.Expect(), " "); !strings.Contains(exp, "seven") || !strings.Contains(exp, "agent") {
		t.Errorf("collect node Expect() = %q, want digit words and global intents", exp)
	}
	if n := c.NumberKeys(); n != 12 {
		t.Errorf("order-number NumberKeys() = %d, want the collect's max 12", n)
	}
	// No language given: follow the caller's.
	c = e.NewConversation(Caller{CallID: "y"})
	c.Start()
	zh := rd(emotion.Neutral, emotion.Calm, 0.9)
	zh.Lang = "zh"
	if a := c.Turn(say("我想退款", zh)); a.Lang != "zh" || !strings.Contains(a.Reply, "退款") {
		t.Errorf("zh caller got %+v", a)
	}
}

func TestDigits(t *testing.T) {
	for in, want := range map[string]string{"one two 3 four": "1234", "幺二三四五六": "123456", "order 12-34": "1234", "nothing": ""} {
		if got := digits(normalize(in)); got != want {
			t.Errorf("digits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActionTypeRoundTrip(t *testing.T) {
	for ty := Say; ty < numActionTypes; ty++ {
		got, err := ParseActionType(ty.String())
		if err != nil || got != ty {
			t.Errorf("ParseActionType(%q) = %v, %v", ty, got, err)
		}
	}
	for _, bad := range []string{"", "Say", "transfer"} {
		if _, err := ParseActionType(bad); err == nil {
			t.Errorf("ParseActionType(%q): want error", bad)
		}
	}
	if ActionType(9).String() != "ActionType(9)" {
		t.Errorf("out of range String = %q", ActionType(9).String())
	}
}

type fakeClassifier struct {
	got   []string
	reply string
}

func (f *fakeClassifier) Classify(_ context.Context, text string, intents []string) (string, error) {
	f.got = intents
	return f.reply, nil
}

func TestLLMIntentFallback(t *testing.T) {
	body := strings.Replace(base, "start: hello", "start: hello\nllm: {enabled: true, model: gpt-4o-mini}", 1)
	body = strings.Replace(body, "        dtmf: \"1\"\n        goto: bye", "        keywords: {en: [one]}\n        goto: bye\n      - intent: two\n        goto: bye", 1)
	e, err := Load(writeFlow(t, "llm.yaml", body))
	if err != nil {
		t.Fatal(err)
	}
	c := e.NewConversation(Caller{CallID: "l"})
	c.Start()
	if a := c.Turn(Input{Text: "the second thing please"}); a.Node != "menu" {
		t.Fatalf("without a classifier the LLM must stay off: %+v", a)
	}
	fc := &fakeClassifier{reply: "two"}
	e.SetIntentClassifier(fc)
	c = e.NewConversation(Caller{CallID: "l2"})
	c.Start()
	if a := c.Turn(Input{Text: "one"}); a.Node != "bye" || fc.got != nil {
		t.Errorf("keywords must win before the LLM: %+v, asked %v", a, fc.got)
	}
	c = e.NewConversation(Caller{CallID: "l3"})
	c.Start()
	if a := c.Turn(Input{Text: "the second thing please"}); a.Node != "bye" || strings.Join(fc.got, ",") != "one,two" {
		t.Errorf("LLM fallback: %+v, asked %v", a, fc.got)
	}
	if errs := e.Validate(); len(errs) != 0 {
		t.Errorf("Validate of a loaded engine: %v", errs)
	}
}

// TestConcurrentConversations runs calls side by side on one engine (go test -race).
func TestConcurrentConversations(t *testing.T) {
	e := loadSupport(t)
	stats := &ABStats{}
	e.SetRecorder(stats)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 20 {
				c := e.NewConversation(Caller{CallID: fmt.Sprintf("g%d-%d", g, i), Lang: []string{"zh", "en"}[i%2]})
				c.Start()
				c.Turn(say("refund", rd(emotion.Angry, emotion.Mild, 0.7)))
				c.Turn(say("yes", rd(emotion.Angry, emotion.Moderate, 0.9)))
				c.End(Outcome{Reason: "transferred", HandedOff: true})
			}
		}()
	}
	for range 8 {
		<-done
	}
	total := 0
	for _, r := range stats.Rates() {
		total += r.Calls
		if r.EndedWithoutHandoff != 0 {
			t.Errorf("handed-off calls counted as resolved: %+v", r)
		}
	}
	if total != 160 {
		t.Errorf("recorded %d calls, want 160", total)
	}
}

// TestSpokenWord: compensation kinds and units reach a Chinese caller in Chinese,
// and unknown words as written.
func TestSpokenWord(t *testing.T) {
	for _, tt := range []struct{ lang, word, want string }{
		{"zh", "points", "积分"}, {"zh", "CNY", "元"}, {"zh", "coupon", "优惠券"}, {"zh", "miles", "miles"},
		{"en", "refund_fee", "refund of the fee"}, {"en", "CNY", "CNY"}, {"en", "gift_card", "gift card"}, {"fr", "points", "points"},
	} {
		if got := spokenWord(tt.lang, tt.word); got != tt.want {
			t.Errorf("spokenWord(%q, %q) = %q, want %q", tt.lang, tt.word, got, tt.want)
		}
	}
}

// TestTransferFailed: when nobody takes the handoff, the caller hears that experts
// are busy and the question they were answering, the policy soothes instead of
// transferring again for handoffHold turns, a caller who asks for a person is
// still put through, and after the hold an angry caller may be handed off again.
func TestTransferFailed(t *testing.T) {
	e := loadSupport(t)
	angry := rd(emotion.Angry, emotion.Moderate, 0.8)
	calm := rd(emotion.Neutral, emotion.Calm, 0.8)
	c := e.NewConversation(Caller{CallID: "tf", Lang: "en"})
	c.Start()
	if a := c.Turn(say("I want a refund", calm)); a.Type != Say || a.Node != "refund" {
		t.Fatalf("refund: %v at %q", a.Type, a.Node)
	}
	if a := c.Turn(say("this is ridiculous, you people never help", angry)); a.Type != Handoff {
		t.Fatalf("moderate anger: %v, want a handoff", a.Type)
	}
	a := c.TransferFailed()
	if a.Type != Say || a.Node != "refund" || !strings.Contains(a.Reply, "experts are busy") || !strings.HasSuffix(a.Reply, "Shall I go ahead?") {
		t.Fatalf("after the failed transfer: %v at %q: %q; want the busy line, then the refund question", a.Type, a.Node, a.Reply)
	}
	for i := 1; i <= handoffHold; i++ {
		a := c.Turn(say("this is ridiculous, you people never help", angry))
		if a.Type != Say || a.Style != "soothing" || strings.Contains(a.Reply, "busy") {
			t.Fatalf("turn %d of the hold: %v %s %q; want a soothing line, no new transfer", i, a.Type, a.Style, a.Reply)
		}
	}
	if a := c.Turn(say("this is ridiculous, you people never help", angry)); a.Type != Handoff {
		t.Errorf("after the hold: %v, want the moderate handoff again", a.Type)
	}

	c = e.NewConversation(Caller{CallID: "tf2", Lang: "en"})
	c.Start()
	c.Turn(say("this is ridiculous, you people never help", angry))
	if a := c.TransferFailed(); a.Node != "main" || !strings.Contains(a.Reply, "How can I help?") {
		t.Fatalf("failed transfer from the menu: %q at %q, want the menu question", a.Reply, a.Node)
	}
	if a := c.Turn(say("agent", angry)); a.Type != Handoff {
		t.Errorf("caller asks for an agent during the hold: %v, want a handoff", a.Type)
	}
}

func TestPresenceCheck(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"hello", true},
		{"hello hello", true},
		{"hello can you hear me", true},
		{"hi there", true},
		{"喂 你好 听得到吗", true},
		{"喂", true},
		{"", false},
		{"this", false}, // holds "hi", not as a word
		{"hi i want a refund", false},
		{"hello i need help", false},
		{"喂 我要退款", false},
		{"high", false},
	} {
		if got := presenceCheck(tc.text); got != tc.want {
			t.Errorf("presenceCheck(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
