package dialog

import (
	"hash/fnv"
	"regexp"

	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/internal/hanzi"
)

// Engine holds validated flows and hands out one Conversation per call. It is safe
// for concurrent use; conversations are not.
type Engine struct {
	flows    map[string]*Flow
	order    []*Flow
	def      *Flow
	recorder ABRecorder
	now      func() time.Time
	llm      IntentClassifier
	paths    []string
	mu       sync.Mutex
}

func newEngine(flows []*Flow) *Engine {
	e := &Engine{flows: map[string]*Flow{}, order: flows, now: time.Now}
	for _, f := range flows {
		e.flows[f.Name] = f
		if f.Default {
			e.def = f
		}
	}
	if e.def == nil {
		e.def = flows[0]
	}
	return e
}

// Validate re-checks the files the engine was loaded from, e.g. before a reload,
// without touching the flows that running conversations use.
func (e *Engine) Validate() []error {
	return ValidateFiles(e.paths...)
}

// SetRecorder sends A/B assignments and outcomes to r (the store, or ABStats).
func (e *Engine) SetRecorder(r ABRecorder) {
	e.mu.Lock()
	e.recorder = r
	e.mu.Unlock()
}

// SetClock replaces time.Now, for proactive lines in tests and simulations. Call it
// before conversations start.
func (e *Engine) SetClock(now func() time.Time) { e.now = now }

// SetIntentClassifier enables LLM intent matching for flows with llm: {enabled: true}.
// Call it before conversations start.
func (e *Engine) SetIntentClassifier(c IntentClassifier) { e.llm = c }

// Flow returns a loaded flow by name, for tools that show it.
func (e *Engine) Flow(name string) *Flow { return e.flows[name] }

// Flows lists the loaded flow names.
func (e *Engine) Flows() []string { return keys(e.flows) }

// Caller is what the call layer knows about the call when it starts.
type Caller struct {
	CallID, CallerID, Lang, Channel string
	Called                          string // the number or line dialled; picks the flow
	Profile                         *Profile
}

// Input is one caller turn as the call layer heard it.
type Input struct {
	Text       string
	DTMF       string
	NoInput    bool
	NoMatch    bool
	ASRFailed  bool
	Reading    emotion.Reading
	Trajectory emotion.Trajectory
}

// Outcome is how the call ended, for the A/B record.
type Outcome struct {
	Reason      string
	HandedOff   bool
	Queue       string
	FinalLevel  emotion.Level
	PeakLevel   emotion.Level
	EmotionFell bool
}

// Conversation is one call's walk through a flow. Not safe for concurrent use.
type Conversation struct {
	e        *Engine
	f        *Flow
	caller   Caller
	lang     string
	variant  string
	node     string
	strategy string
	issue    string
	vars     map[string]string
	retries  map[string]int
	turn     int
	done     *Action
	trans    []Utterance
	last     emotion.Trajectory
	lastRead emotion.Reading
	// feltThisTurn: this turn's reply answers how the caller feels (a soothing or
	// explaining line), so an unmatched answer does not also get "sorry, I didn't
	// catch that": the caller was heard.
	feltThisTurn bool
	// prompt is the index in this turn's parts of the question the caller now
	// answers (the waiting node's say), -1 if none: lines added after the flow's
	// step (a solution, an explanation) go before it, so the turn ends on the question.
	prompt int

	// A/B: a variant line was spoken and awaits the next reading.
	abPending bool
	abBefore  int
	// variedLine is the first line with variant text said in the reply being built.
	variedLine string
	ab         ABResult
	handedOff  bool
	ended      bool
	// waitNode is the last node that waits for the caller's answer, where a failed
	// transfer takes the call back to; noAgentTurn is the turn of the last failed
	// transfer (0: none), which holds off automatic handoffs for a few turns.
	waitNode    string
	noAgentTurn int
	holding     bool // this turn falls in the hold after a failed transfer
}

// handoffHold is how many caller turns after a failed transfer the emotion policy
// and forced topics do not ask for another one: the queue was just found empty, and
// a caller told "experts are busy" every turn never gets their problem handled. A
// caller who asks for a person again is still put through at once.
const handoffHold = 3

// NewConversation starts a call on the flow for the called line (or the default
// flow) and assigns its A/B variant from the call ID, so a replayed call hears the
// same script.
func (e *Engine) NewConversation(c Caller) *Conversation {
	f := e.def
	for _, fl := range e.order {
		for _, l := range fl.Called {
			if l != "" && (l == c.Called || l == c.Channel) {
				f = fl
			}
		}
	}
	lang := c.Lang
	if !contains(f.Languages, lang) {
		lang = f.Languages[0]
	}
	v := ""
	if len(f.Variants) > 0 {
		h := fnv.New32a()
		h.Write([]byte(f.Name + "\x00" + c.CallID))
		v = f.Variants[int(h.Sum32()%uint32(len(f.Variants)))]
	}
	conv := &Conversation{e: e, f: f, caller: c, lang: lang, variant: v, strategy: "normal",
		vars: map[string]string{}, retries: map[string]int{}}
	conv.ab = ABResult{CallID: c.CallID, Flow: f.Name, Variant: v}
	return conv
}

// Variant is the A/B variant this call was assigned ("" when the flow has none).
func (c *Conversation) Variant() string { return c.variant }

// Lang is the language the bot speaks on this call.
func (c *Conversation) Lang() string { return c.lang }

// Node is the node the conversation waits at.
func (c *Conversation) Node() string { return c.node }

// Start greets the caller: the start node's lines, then personal and proactive lines
// from the profile, ending at the first node that waits for the caller.
func (c *Conversation) Start() Action {
	var parts []string
	var personal []string
	p := c.caller.Profile
	if p != nil {
		for _, ps := range c.f.Personalize {
			if c.match(&ps.When, emotion.Calm) {
				personal = append(personal, c.say(ps.Say, "personal"))
				break
			}
		}
		for _, ps := range c.f.Proactive {
			if c.match(&ps.When, emotion.Calm) {
				personal = append(personal, c.say(ps.Say, "personal"))
			}
		}
	}
	act := c.enter(c.f.Start, &parts, personal, "")
	return c.finish(act, parts)
}

// Expect lists the phrases the current node listens for in the call's language, so
// a grammar-mode recogniser can be built from them.
func (c *Conversation) Expect() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ins []*Intent) {
		for _, in := range ins {
			for _, lang := range []string{c.lang, "*"} {
				for _, k := range in.Keywords[lang] {
					if !seen[k] {
						seen[k] = true
						out = append(out, k)
					}
				}
			}
		}
	}
	if n := c.f.Nodes[c.node]; n != nil {
		add(n.Intents)
		if n.Type == "collect" && n.Collect != nil && n.Collect.Kind == "digits" {
			words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
			if c.lang == "zh" {
				words = []string{"零", "一", "幺", "二", "两", "三", "四", "五", "六", "七", "八", "九"}
			}
			out = append(out, words...)
		}
	}
	add(c.f.Global)
	return out
}

// NumberKeys is the most keys the current node takes as one answer when it
// collects a number (collect kind digits: its max, or 20 when unbounded), and 0
// elsewhere, where one key chooses.
func (c *Conversation) NumberKeys() int {
	n := c.f.Nodes[c.node]
	if n == nil || n.Type != "collect" || n.Collect == nil || n.Collect.Kind != "digits" {
		return 0
	}
	if n.Collect.Max > 0 {
		return n.Collect.Max
	}
	return 20
}

// End records the call's outcome for the A/B results.
func (c *Conversation) End(o Outcome) {
	if c.ended {
		return
	}
	c.ended = true
	c.ab.Turns = c.turn
	c.ab.HandedOff = o.HandedOff || c.handedOff
	c.ab.EndedWithoutHandoff = !c.ab.HandedOff
	c.ab.Reason = o.Reason
	c.e.mu.Lock()
	r := c.e.recorder
	c.e.mu.Unlock()
	if r != nil && c.variant != "" {
		r.RecordAB(c.ab)
	}
}

// ABResult reports this call's A/B record so far.
func (c *Conversation) ABResult() ABResult { return c.ab }

// Turn decides what to do with one caller turn: the emotion policy first (forced
// topics, severe, rising, moderate), then the flow, softened or explained as the
// caller's state needs.
func (c *Conversation) Turn(in Input) Action {
	c.turn++
	if c.done != nil {
		// Handed over: the bot says nothing more.
		a := *c.done
		a.Reply = ""
		a.Report = nil
		return a
	}
	r := in.Reading
	tr := in.Trajectory
	if tr.Turns == 0 {
		tr.Current = r
	}
	rd := r
	c.trans = append(c.trans, Utterance{Turn: c.turn, Who: "caller", Text: callerText(in), Reading: &rd})
	if c.caller.Lang == "" && r.Lang != "" && contains(c.f.Languages, r.Lang) {
		c.lang = r.Lang
	}
	c.abCheck(r)
	c.last, c.lastRead = tr, r
	text := normalize(hanzi.Simplify(in.Text))
	pol := &c.f.Policy
	// Just after a failed transfer the policy soothes rather than transferring again.
	c.holding = c.noAgentTurn > 0 && c.turn-c.noAgentTurn <= handoffHold

	// Forced-human topics, whatever the emotion.
	if t := c.forcedTopic(text); t != nil && !c.holding {
		typ := Handoff
		if t.Action == "escalate" {
			typ = Escalate
		}
		key := t.Line
		if key == "" {
			key = "forced_human"
		}
		return c.handover(typ, "forced:"+t.Topic, t.Queue, t.Priority, key, "forced-human topic: "+t.Topic, false)
	}
	neg := func(t *Tier) bool {
		return t.cats[r.Category] && r.Level >= t.level && r.Confidence >= t.MinConfidence
	}
	// Severe complaint: emergency path.
	if neg(pol.Severe) && !c.holding {
		return c.handover(Escalate, "severe", pol.Severe.Queue, pol.Severe.Priority, orDefault(pol.Severe.Line, "escalate"), "severe "+r.Category.String(), false)
	}
	// Anger rising over N turns, below severe.
	if rs := pol.Rising; rs != nil && tr.RisingTurns >= rs.Turns && r.Category == emotion.Angry && !c.holding {
		typ := Escalate
		if rs.Action == "handoff" {
			typ = Handoff
		}
		return c.handover(typ, "rising", rs.Queue, 0, orDefault(rs.Line, "escalate"), "anger rising for "+strconv.Itoa(tr.RisingTurns)+" turns", false)
	}
	// Moderate anger: hand off with a report and a compensation offer.
	if neg(pol.Moderate) && !c.holding {
		comp := pol.Moderate.Compensate == nil || *pol.Moderate.Compensate
		return c.handover(Handoff, "moderate", pol.Moderate.Queue, pol.Moderate.Priority, orDefault(pol.Moderate.Line, "handoff"), "moderate "+r.Category.String(), comp)
	}
	c.updateStrategy(r, tr)
	tierName := ""
	var pre []string
	if neg(pol.Mild) {
		tierName = "mild"
		c.strategy = "soothing"
		pre = append(pre, c.lib(orDefault(pol.Mild.Line, "soothe")))
	}
	c.feltThisTurn = text != "" && (len(pre) > 0 || c.strategy == "explaining")
	var parts []string
	c.prompt = -1
	act := c.step(in, text, &parts)
	post := []string{}
	if n := c.f.Nodes[c.node]; n != nil && act.Type == Say {
		if tierName == "mild" && n.Solution != nil {
			post = append(post, c.say(n.Solution, c.node+".solution"))
		}
		if c.strategy == "explaining" {
			if n.Explain != nil {
				post = append(post, c.say(n.Explain, c.node+".explain"))
			} else {
				pre = append(pre, c.lib("explain"))
			}
		}
	}
	if c.prompt >= 0 && c.prompt == len(parts)-1 {
		// "…退款会在三个工作日内到账。需要现在办理吗？": the question comes last.
		post = append(post, parts[c.prompt])
		parts = parts[:c.prompt]
	}
	all := append(append(pre, parts...), post...)
	act.Tier = tierName
	return c.finish(act, all)
}

func callerText(in Input) string {
	switch {
	case in.DTMF != "":
		return "[dtmf " + in.DTMF + "]"
	case in.NoInput:
		return "[silence]"
	case in.ASRFailed:
		return "[not recognised]"
	}
	return in.Text
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// updateStrategy switches style on tracker transitions: angry → confused explains,
// falling anger returns to normal.
func (c *Conversation) updateStrategy(r emotion.Reading, tr emotion.Trajectory) {
	switch {
	case tr.Switched && tr.From == emotion.Angry && tr.To == emotion.Confused:
		c.strategy = "explaining"
	case r.Category == emotion.Confused && r.Level >= emotion.Mild:
		c.strategy = "explaining"
	case c.strategy != "normal" && (tr.Trend == emotion.Falling || r.Level == emotion.Calm) && r.Category != emotion.Angry && r.Category != emotion.Confused:
		c.strategy = "normal"
	}
}

// step moves the flow on with the caller's input.
func (c *Conversation) step(in Input, text string, parts *[]string) Action {
	n := c.f.Nodes[c.node]
	if n == nil {
		return c.enter(c.f.Start, parts, nil, "")
	}
	if in.NoInput {
		return c.retry(n, n.NoInput, "no_input", parts)
	}
	// DTMF works everywhere: node intents, then global ones.
	if in.DTMF != "" {
		if n.Type == "collect" && n.Collect != nil && n.Collect.Kind == "digits" {
			return c.collect(n, in.DTMF, parts)
		}
		for _, ins := range [][]*Intent{n.Intents, c.f.Global} {
			for _, it := range ins {
				if it.DTMF != "" && it.DTMF == in.DTMF {
					return c.take(it, parts)
				}
			}
		}
		return c.retry(n, n.NoMatch, "no_match", parts)
	}
	if in.ASRFailed || (in.NoMatch && text == "") {
		return c.retry(n, n.NoMatch, "no_match", parts)
	}
	// The intent whose keyword matched the most of what was said wins: "没有了"
	// holds the 有 of "还有" (more) but says 没有了 (done); "a real person please"
	// holds the "please" of a yes but asks for an agent. Ties go to the node's
	// own intents, then to the order they are written in.
	var best *Intent
	bestLen := 0
	for _, ins := range [][]*Intent{n.Intents, c.f.Global} {
		for _, it := range ins {
			if l := matchLen(it.kws, it.res, text); l > bestLen {
				best, bestLen = it, l
			}
		}
	}
	if best != nil {
		return c.take(best, parts)
	}
	if presenceCheck(text) && c.retries[c.node+"/here"] < maxPresence {
		// "Hello?", 喂，听得到吗: the caller checks the line (often because the
		// greeting reached them late), they did not fail to answer. They hear that
		// the bot is there and the question again, and no try is spent.
		c.retries[c.node+"/here"]++
		if l := c.lib("here"); l != "" {
			*parts = append(*parts, l)
		}
		if n.Say != nil {
			*parts = append(*parts, c.say(n.Say, c.node))
			c.prompt = len(*parts) - 1
		}
		return Action{Type: Say}
	}
	if n.Type == "collect" && n.Collect != nil {
		v := text
		if n.Collect.Kind == "digits" {
			v = digits(text)
		}
		return c.collect(n, v, parts)
	}
	if it := c.classify(n, in.Text); it != nil {
		return c.take(it, parts)
	}
	return c.retry(n, n.NoMatch, "no_match", parts)
}

func (c *Conversation) collect(n *Node, v string, parts *[]string) Action {
	cl := n.Collect
	l := len([]rune(v))
	if v == "" || (cl.Min > 0 && l < cl.Min) || (cl.Max > 0 && l > cl.Max) {
		return c.retry(n, n.NoMatch, "no_match", parts)
	}
	c.vars[cl.Var] = v
	return c.enter(n.Next, parts, nil, "caller gave "+cl.Var)
}

func (c *Conversation) take(it *Intent, parts *[]string) Action {
	if it.Issue != "" {
		c.issue = it.Issue
	}
	if it.Say != nil {
		*parts = append(*parts, c.say(it.Say, "intent "+it.Name))
	}
	if it.Goto == "" {
		return Action{Type: Say}
	}
	return c.enter(it.Goto, parts, nil, "caller asked for "+it.Name)
}

// retry handles silence and unrecognised answers: a retry line and the question
// again, then the node's fallback after max tries.
func (c *Conversation) retry(n *Node, r *Retry, kind string, parts *[]string) Action {
	key := c.node + "/" + kind
	c.retries[key]++
	maxTries, then := 2, ""
	if r != nil {
		if r.Max > 0 {
			maxTries = r.Max
		}
		then = r.Then
	}
	if c.retries[key] > maxTries && c.holding && (then == "" || c.f.Nodes[then] != nil && c.f.Nodes[then].Type == "transfer") {
		c.retries[key] = 1 // a transfer just found no one: ask again rather than try another
	}
	if c.retries[key] > maxTries && then != "" {
		c.retries[key] = 0
		return c.enter(then, parts, nil, retryReason(kind, maxTries))
	}
	if c.retries[key] > maxTries {
		// No fallback node: a human takes over rather than looping forever.
		return c.handover(Handoff, "", "", 0, "handoff", retryReason(kind, maxTries), false)
	}
	switch {
	case kind == "no_match" && c.feltThisTurn:
		// The soothing or explaining line already answers the caller.
	case r != nil && r.Say != nil:
		*parts = append(*parts, c.say(r.Say, c.node+"."+kind))
	default:
		*parts = append(*parts, c.lib(kind))
	}
	if n.Say != nil {
		*parts = append(*parts, c.say(n.Say, c.node))
		c.prompt = len(*parts) - 1
	}
	return Action{Type: Say}
}

// transferReason is the report's reason for a transfer node reached from first
// because of why: the agent reads what happened, not only the node's name.
func transferReason(why, first, node string) string {
	switch {
	case why == "":
		return "the call flow reached " + node
	case first == node:
		return why
	}
	return why + "; the call flow went on to " + node
}

// maxPresence is how often one node answers "hello?" before hearing it as an
// answer that did not match: a recogniser that hears every noise as "hello" must
// not keep the caller from the fallback.
const maxPresence = 2

// presencePhrases check that the line works; an utterance made only of them is
// a presence check (presenceCheck).
var presencePhrases = []string{"can you hear me", "are you there", "is anyone there", "is anybody there",
	"anyone there", "hello there", "hi there", "hello", "hi", "hey", "听得到吗", "听得见吗", "能听到吗", "能听见吗", "听到了吗", "在不在",
	"有人吗", "在吗", "你好", "您好", "喂", "哈喽"}

// presenceCheck reports whether normalised text is only a presence check: "hello
// hello", "hello can you hear me", 喂 你好 听得到吗.
func presenceCheck(text string) bool {
	rest, found := text, false
	for _, p := range presencePhrases {
		for {
			i := strings.Index(rest, p)
			if i < 0 {
				break
			}
			if isASCII(p) && !(i == 0 || rest[i-1] == ' ') || isASCII(p) && i+len(p) < len(rest) && rest[i+len(p)] != ' ' {
				break // "this", "high": not a whole word
			}
			rest, found = rest[:i]+" "+rest[i+len(p):], true
		}
	}
	return found && strings.TrimSpace(rest) == ""
}

// retryReason is why retries handed the call on, as the agent's report says it.
func retryReason(kind string, tries int) string {
	if kind == "no_input" {
		return "caller did not answer after " + strconv.Itoa(tries) + " prompts"
	}
	return "caller not understood after " + strconv.Itoa(tries) + " tries"
}

// enter walks from node name through say/webhook/branch nodes to the next node that
// waits for the caller or ends the bot's part. why is what led there (the caller's
// intent, retries run out), for the report of a transfer it reaches.
func (c *Conversation) enter(name string, parts *[]string, afterFirst []string, why string) Action {
	first := name
	var hook *WebhookCall
	for range 32 {
		n := c.f.Nodes[name]
		if n == nil {
			break
		}
		c.node = name
		if n.Issue != "" {
			c.issue = n.Issue
		}
		jumped := false
		for _, b := range n.Branch {
			if c.match(&b.When, c.lastRead.Level) {
				name, jumped = b.Goto, true
				break
			}
		}
		if jumped {
			continue
		}
		c.prompt = -1
		if n.Say != nil {
			*parts = append(*parts, c.say(n.Say, c.node))
			c.prompt = len(*parts) - 1
		}
		if afterFirst != nil {
			*parts = append(*parts, afterFirst...)
			afterFirst = nil
		}
		switch n.Type {
		case "say":
			name = n.Next
			continue
		case "webhook":
			hook = &WebhookCall{Name: name, URL: n.Webhook.URL, Method: orDefault(n.Webhook.Method, "POST"), Vars: copyVars(c.vars)}
			name = n.Next
			continue
		case "transfer":
			a := c.handover(Handoff, "", n.Queue, n.Priority, "", transferReason(why, first, name), false)
			a.Webhook = hook
			return a
		case "hangup":
			a := Action{Type: Hangup, Webhook: hook}
			c.done = &Action{Type: Hangup}
			return a
		}
		c.waitNode = name
		return Action{Type: Say, Webhook: hook}
	}
	return Action{Type: Say, Webhook: hook}
}

// TransferFailed takes the call back after the handoff it asked for found no one
// (every expert busy, nobody answered): the caller hears the flow's no_agent line
// and the question they were answering, and the flow goes on from there. For the
// next few turns the emotion policy soothes instead of trying another transfer.
func (c *Conversation) TransferFailed() Action {
	c.done, c.handedOff = nil, false
	c.noAgentTurn = max(c.turn, 1)
	c.strategy = "soothing"
	line := c.lib("no_agent")
	if line == "" {
		line = defaultNoAgent[c.lang]
		if line == "" {
			line = defaultNoAgent["en"]
		}
	}
	parts := []string{line}
	c.prompt = -1
	if c.waitNode != "" {
		c.node = c.waitNode
		if n := c.f.Nodes[c.node]; n != nil && n.Say != nil {
			parts = append(parts, c.say(n.Say, c.node))
		}
	}
	return c.finish(Action{Type: Say}, parts)
}

// defaultNoAgent is the no_agent line of a flow and pack without one.
var defaultNoAgent = map[string]string{
	"en": "I'm sorry, all our experts are busy right now. I'll stay with you, and an expert will call you back as soon as one is free.",
	"zh": "非常抱歉，专家暂时都在忙。我会继续为您处理，专家有空后会尽快给您回电。",
}

func copyVars(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// handover builds a Handoff or Escalate: queue by routing, the report, compensation.
func (c *Conversation) handover(typ ActionType, tier, queue string, prio int, lineKey, reason string, compensate bool) Action {
	r := c.lastRead
	rq, rp, routed := c.route(r.Level)
	if routed && (typ == Handoff || queue == "") {
		queue, prio = rq, max(prio, rp)
	}
	if typ == Escalate && routed && rp > prio {
		prio = rp
	}
	if queue == "" {
		queue = c.defaultQueue(typ)
	}
	q := c.f.Queues[queue]
	if q != nil && prio == 0 {
		prio = q.Priority
	}
	if typ == Escalate && prio < 9 {
		prio = 9
	}
	a := Action{Type: typ, Queue: queue, Priority: prio, Tier: tier, Issue: c.issue}
	if q != nil {
		a.Endpoints = append([]string(nil), q.Endpoints...)
	}
	var parts []string
	if lineKey != "" {
		parts = append(parts, c.lib(lineKey))
	}
	if compensate {
		if comp := c.compensation(r.Level); comp != nil {
			a.Compensation = comp
			line := c.lib("compensation_" + comp.Kind) // a sentence made for the kind reads best
			if line == "" {
				line = c.lib("compensation")
			}
			parts = append(parts, c.template(line, map[string]string{
				"{amount}": strconv.FormatFloat(comp.Amount, 'f', -1, 64), "{unit}": spokenWord(c.lang, comp.Unit),
				"{kind}": spokenWord(c.lang, comp.Kind), "{reason}": comp.Reason}))
		}
	}
	a.Report = c.report(reason, tier, a.Compensation)
	switch typ {
	case Escalate:
		c.strategy = "emergency"
	default:
		c.strategy = "handoff"
	}
	c.handedOff = true
	done := a
	c.done = &done
	return c.finish(a, parts)
}

func (c *Conversation) defaultQueue(typ ActionType) string {
	if typ == Escalate {
		if _, ok := c.f.Queues["expert"]; ok {
			return "expert"
		}
	}
	for _, name := range []string{"agents", "general", "default"} {
		if _, ok := c.f.Queues[name]; ok {
			return name
		}
	}
	ks := keys(c.f.Queues)
	if len(ks) > 0 {
		return ks[0]
	}
	return ""
}

// route picks queue and priority by level × issue × customer value; first rule wins.
func (c *Conversation) route(l emotion.Level) (string, int, bool) {
	for _, rt := range c.f.Routing {
		if c.match(&rt.When, l) {
			return rt.Queue, rt.Priority, true
		}
	}
	return "", 0, false
}

// compensation picks the first matching rule (flow, then pack) and caps it by the
// operator's limits; kinds without a limit are not offered.
func (c *Conversation) compensation(l emotion.Level) *Compensation {
	cp := c.f.Policy.Compensation
	rules := []*CompRule{}
	if cp != nil {
		rules = append(rules, cp.Rules...)
	}
	noMoney := false
	if c.f.pack != nil {
		rules = append(rules, c.f.pack.Compensation...)
		noMoney = c.f.pack.NoMoneyPromises
	}
	for _, r := range rules {
		if !c.match(&r.When, l) || (noMoney && moneyKinds[r.Kind]) {
			continue
		}
		amount := r.Amount
		if cp != nil && cp.Limits != nil {
			lim, ok := cp.Limits[r.Kind]
			if !ok {
				continue
			}
			if amount > lim {
				amount = lim
			}
		}
		return &Compensation{Kind: r.Kind, Amount: amount, Unit: r.Unit, Reason: r.Reason}
	}
	return nil
}

// spokenWords are how a caller hears the compensation kinds and units the flows
// and packs use: a rule says "points" and "CNY", a Chinese caller hears 积分 and 元.
var spokenWords = map[string]map[string]string{
	"zh": {"coupon": "优惠券", "points": "积分", "refund_fee": "手续费退还", "callback": "优先回电", "voucher": "代金券",
		"CNY": "元", "RMB": "元", "USD": "美元", "EUR": "欧元", "HKD": "港元", "GBP": "英镑", "JPY": "日元"},
	"en": {"refund_fee": "refund of the fee", "callback": "priority call back"},
}

// spokenWord is word as a caller of lang hears it; words no table knows are said
// as written, with underscores as spaces.
func spokenWord(lang, word string) string {
	if w, ok := spokenWords[lang][word]; ok {
		return w
	}
	return strings.ReplaceAll(word, "_", " ")
}

func (c *Conversation) report(reason, tier string, comp *Compensation) *Report {
	tr := c.last
	var cues []emotion.Cue
	cues = append(cues, c.lastRead.Cues...)
	sum := reason
	if c.issue != "" {
		sum += "; issue " + c.issue
	}
	if p := c.caller.Profile; p != nil {
		sum += "; customer " + p.Name + " (" + p.Tier + ", " + strconv.Itoa(p.Orders) + " orders)"
	}
	return &Report{Reason: reason, Tier: tier, Issue: c.issue, Trajectory: tr, Cues: cues,
		Transcript: append([]Utterance(nil), c.trans...), Profile: c.caller.Profile, Compensation: comp,
		Vars: copyVars(c.vars), Summary: sum, At: c.e.now()}
}

// finish fills the common fields and records the bot's line in the transcript.
func (c *Conversation) finish(a Action, parts []string) Action {
	a.Reply = joinParts(c.lang, parts)
	a.Lang = c.lang
	a.Variant = c.variant
	a.Line, c.variedLine = c.variedLine, ""
	a.Node = c.node
	if a.Issue == "" {
		a.Issue = c.issue
	}
	if a.Strategy == "" {
		a.Strategy = c.strategy
	}
	a.Vars = copyVars(c.vars)
	switch a.Strategy {
	case "soothing", "handoff":
		a.Style = "soothing"
	case "explaining":
		a.Style = "explaining"
	case "emergency":
		a.Style = "urgent"
	default:
		a.Style = "neutral"
		if c.f.pack != nil && c.f.pack.Style != "" {
			a.Style = c.f.pack.Style
		}
	}
	if a.Reply != "" {
		c.trans = append(c.trans, Utterance{Turn: c.turn, Who: "bot", Text: a.Reply})
		if a.Report != nil {
			a.Report.Transcript = append(a.Report.Transcript, Utterance{Turn: c.turn, Who: "bot", Text: a.Reply})
		}
	}
	return a
}

// say renders a line in the call's language and variant, with profile and collected
// values filled in.
// say renders a line in the call's variant and language. name is what the A/B
// report calls the line when it has variant text (a library key such as
// "soothe", a node, or node.solution): the first such line of a reply is the
// reply's Action.Line.
func (c *Conversation) say(l *Line, name string) string {
	s, varied := l.render(c.variant, c.lang, c.f.Languages[0])
	if varied {
		c.ab.Lines++
		c.abPending = true
		c.abBefore = negativity(c.lastRead)
		if c.variedLine == "" {
			c.variedLine = name
		}
	}
	return c.template(s, nil)
}

// lib speaks a library line: the flow's own, else the pack's.
func (c *Conversation) lib(key string) string {
	if l := c.f.Lines[key]; l != nil {
		return c.say(l, key)
	}
	if c.f.pack != nil {
		if l := c.f.pack.Lines[key]; l != nil {
			return c.say(l, key)
		}
	}
	return ""
}

func (c *Conversation) template(s string, extra map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var kv []string
	for k, v := range extra {
		kv = append(kv, k, v)
	}
	if p := c.caller.Profile; p != nil {
		kv = append(kv, "{name}", p.Name, "{tier}", p.Tier, "{orders}", strconv.Itoa(p.Orders),
			"{tenure_months}", strconv.Itoa(p.TenureMonths), "{known_issue}", p.KnownIssue)
		if !p.RenewalDue.IsZero() {
			kv = append(kv, "{renewal_date}", p.RenewalDue.Format("2006-01-02"))
		}
		for k, v := range p.Notes {
			kv = append(kv, "{"+k+"}", v)
		}
	}
	for k, v := range c.vars {
		kv = append(kv, "{"+k+"}", v)
	}
	return strings.NewReplacer(kv...).Replace(s)
}

// match evaluates a condition against the profile, the level and the issue.
func (c *Conversation) match(w *Cond, l emotion.Level) bool {
	p := c.caller.Profile
	needsProfile := len(w.Tier) > 0 || w.MinOrders > 0 || w.MinTenureMonths > 0 || w.MinOpenTickets > 0 ||
		w.Value != "" || w.RenewalWithinDays > 0 || w.KnownIssue
	if needsProfile && p == nil {
		return w.Value == "normal" && len(w.Tier) == 0 && w.MinOrders == 0 && w.MinTenureMonths == 0 &&
			w.MinOpenTickets == 0 && w.RenewalWithinDays == 0 && !w.KnownIssue
	}
	if len(w.Tier) > 0 && !contains(w.Tier, p.Tier) {
		return false
	}
	if p != nil && (p.Orders < w.MinOrders || p.TenureMonths < w.MinTenureMonths || p.OpenTickets < w.MinOpenTickets) {
		return false
	}
	if w.Value != "" && c.value() != w.Value {
		return false
	}
	if w.RenewalWithinDays > 0 {
		if p.RenewalDue.IsZero() {
			return false
		}
		d := p.RenewalDue.Sub(c.e.now())
		if d < 0 || d > time.Duration(w.RenewalWithinDays)*24*time.Hour {
			return false
		}
	}
	if w.KnownIssue && p.KnownIssue == "" {
		return false
	}
	if w.Level != "" {
		want, _ := emotion.ParseLevel(w.Level)
		if l < want {
			return false
		}
	}
	if len(w.Issue) > 0 && !contains(w.Issue, c.issue) {
		return false
	}
	return true
}

// value is the customer's value class by the flow's customer_value rule.
func (c *Conversation) value() string {
	p := c.caller.Profile
	if p == nil {
		return "normal"
	}
	v := c.f.CustomerValue
	if contains(v.HighTiers, p.Tier) || (v.HighMinOrders > 0 && p.Orders >= v.HighMinOrders) {
		return "high"
	}
	return "normal"
}

func (c *Conversation) forcedTopic(text string) *Topic {
	if text == "" {
		return nil
	}
	topics := c.f.Policy.ForcedHuman
	if c.f.pack != nil {
		topics = append(append([]*Topic{}, topics...), c.f.pack.ForcedHuman...)
	}
	for _, t := range topics {
		if matchLen(t.kws, t.res, text) > 0 {
			return t
		}
	}
	return nil
}

// matchKeywords is every language's keywords (callers mix languages) as
// the caller's text is matched, made once when the flow loads.
func matchKeywords(kw map[string][]string) []string {
	var out []string
	for _, lang := range keys(kw) {
		for _, k := range kw[lang] {
			if k = keyword(k); k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// matchLen is how much of text, in characters, the longest keyword (kws, from
// matchKeywords) or regex match covers; 0 when none matches. ASCII keywords match
// whole words, others as substrings.
func matchLen(kws []string, res []*regexp.Regexp, text string) int {
	if text == "" {
		return 0
	}
	padded := " " + text + " "
	best := 0
	for _, k := range kws {
		if isASCII(k) && strings.Contains(padded, " "+k+" ") || !isASCII(k) && strings.Contains(text, k) {
			best = max(best, utf8.RuneCountInString(k))
		}
	}
	for _, re := range res {
		if loc := re.FindStringIndex(text); loc != nil {
			best = max(best, utf8.RuneCountInString(text[loc[0]:loc[1]]), 1)
		}
	}
	return best
}

// keyword is k as the caller's text is matched: normalised and, when it has
// Traditional characters, folded to Simplified like the text (so a flow written in
// either script hears callers in both). Plain keywords cost no conversion.
func keyword(k string) string {
	return normalize(hanzi.Simplify(k))
}

// normalize lower-cases and turns punctuation into single spaces.
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var zhDigits = map[rune]byte{'零': '0', '〇': '0', '一': '1', '幺': '1', '二': '2', '两': '2', '三': '3', '四': '4', '五': '5', '六': '6', '七': '7', '八': '8', '九': '9'}

var enDigits = map[string]byte{"zero": '0', "oh": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5', "six": '6', "seven": '7', "eight": '8', "nine": '9'}

// digits pulls the digits out of a spoken answer ("one two 3", "幺二三").
func digits(s string) string {
	var b strings.Builder
	for _, w := range strings.Fields(s) {
		if d, ok := enDigits[w]; ok {
			b.WriteByte(d)
			continue
		}
		for _, r := range w {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else if d, ok := zhDigits[r]; ok {
				b.WriteByte(d)
			}
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// negativity orders readings for the A/B "did the emotion fall" check.
func negativity(r emotion.Reading) int {
	switch r.Category {
	case emotion.Angry, emotion.Anxious, emotion.Sad, emotion.Confused:
		return int(r.Level) + 1
	}
	return 0
}

func (c *Conversation) abCheck(r emotion.Reading) {
	if !c.abPending {
		return
	}
	c.abPending = false
	c.ab.Checked++
	if negativity(r) < c.abBefore {
		c.ab.Fell++
	}
}
