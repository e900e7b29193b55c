package dialog

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/internal/hanzi"
)

// NodeTypes are the node kinds a flow may use.
var NodeTypes = []string{"say", "ask", "menu", "collect", "transfer", "webhook", "hangup"}

// moneyKinds are compensation kinds that promise money; packs with
// no_money_promises (finance) refuse them.
var moneyKinds = map[string]bool{"coupon": true, "refund_fee": true, "cash": true, "credit": true, "voucher": true}

type checker struct {
	file string
	errs []error
}

func (c *checker) add(line int, fix, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...), Fix: fix})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// build validates the flows against each other and their packs and compiles them.
func build(flows []*Flow, packs map[string]*Pack) (*Engine, []error) {
	var errs []error
	for _, p := range packs {
		errs = append(errs, checkPack(p)...)
	}
	names := map[string]*Flow{}
	defaults := 0
	for _, f := range flows {
		errs = append(errs, checkFlow(f, packs)...)
		if prev, ok := names[f.Name]; ok && f.Name != "" {
			errs = append(errs, &Error{File: f.File, Line: f.Pos, Msg: fmt.Sprintf("flow %q is also defined in %s", f.Name, prev.File), Fix: "give each flow its own name"})
		}
		names[f.Name] = f
		if f.Default {
			defaults++
		}
	}
	if defaults > 1 {
		errs = append(errs, &Error{File: flows[0].File, Line: flows[0].Pos, Msg: fmt.Sprintf("%d flows say default: true", defaults), Fix: "mark exactly one flow default: true"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return newEngine(flows), nil
}

func checkPack(p *Pack) []error {
	c := &checker{file: p.File}
	if p.Name == "" {
		c.add(p.Pos, "name the pack, e.g. pack: ecommerce", "pack has no name")
	}
	if p.Style != "" && !validStyle(p.Style) {
		c.add(p.Pos, "use one of neutral, soothing, urgent, explaining", "unknown style %q", p.Style)
	}
	p.Compensation = present(c, p.Pos, "compensation rule", p.Compensation)
	p.ForcedHuman = present(c, p.Pos, "forced-human topic", p.ForcedHuman)
	for k, l := range p.Lines {
		for _, t := range l.texts() {
			for _, lang := range []string{"zh", "en"} {
				if !t.has(lang) {
					c.add(l.Pos, fmt.Sprintf("add %s: \"...\" to the line", lang), "pack line %q has no %s text", k, lang)
				}
			}
		}
	}
	for _, r := range p.Compensation {
		checkComp(c, r, p.NoMoneyPromises, p.Name)
	}
	for _, t := range p.ForcedHuman {
		checkTopic(c, t, nil)
	}
	return c.errs
}

// present drops the nil entries a bare "- " in a YAML list decodes to, reporting
// each at pos, so the checks and the engine never meet one.
func present[T any](c *checker, pos int, what string, items []*T) []*T {
	out := items[:0]
	for _, it := range items {
		if it == nil {
			c.add(pos, "fill the entry in or remove the empty \"- \"", "empty %s", what)
			continue
		}
		out = append(out, it)
	}
	return out
}

func validStyle(s string) bool {
	switch s {
	case "neutral", "soothing", "urgent", "explaining":
		return true
	}
	return false
}

func checkComp(c *checker, r *CompRule, noMoney bool, pack string) {
	if r.Kind == "" {
		c.add(r.Pos, "add kind: coupon (or points, refund_fee, callback)", "compensation rule has no kind")
	}
	if r.Amount < 0 {
		c.add(r.Pos, "give a positive amount", "compensation amount %v is negative", r.Amount)
	}
	if noMoney && moneyKinds[r.Kind] {
		c.add(r.Pos, "use kind: callback or points, or leave compensation to the human agent", "pack %q forbids promises about money, but this rule offers %q", pack, r.Kind)
	}
	checkCond(c, &r.When)
}

func checkCond(c *checker, w *Cond) {
	if w.Level != "" {
		if _, err := emotion.ParseLevel(w.Level); err != nil {
			c.add(w.Pos, "use one of calm, mild, moderate, severe", "unknown level %q", w.Level)
		}
	}
	if w.Value != "" && w.Value != "high" && w.Value != "normal" {
		c.add(w.Pos, "use value: high or value: normal", "unknown customer value %q", w.Value)
	}
	if w.MinOrders < 0 || w.MinTenureMonths < 0 || w.MinOpenTickets < 0 || w.RenewalWithinDays < 0 {
		c.add(w.Pos, "use zero or a positive number", "a condition has a negative minimum")
	}
}

func checkTopic(c *checker, t *Topic, queues map[string]*Queue) {
	if t.Topic == "" {
		c.add(t.Pos, "name it, e.g. topic: legal", "forced-human topic has no name")
	}
	if len(t.Keywords) == 0 && len(t.Regex) == 0 {
		c.add(t.Pos, "add keywords: {en: [...], zh: [...]} or regex: [...]", "forced-human topic %q can never match", t.Topic)
	}
	if t.Action != "" && t.Action != "handoff" && t.Action != "escalate" {
		c.add(t.Pos, "use action: handoff or action: escalate", "unknown action %q", t.Action)
	}
	if queues != nil && t.Queue != "" && queues[t.Queue] == nil {
		c.add(at(t.KeyPos, "queue", t.Pos), fmt.Sprintf("define it under queues: or use one of: %s", strings.Join(keys(queues), ", ")), "unknown queue %q", t.Queue)
	}
	t.res = compileAll(c, t.Regex, at(t.KeyPos, "regex", t.Pos))
	t.kws = matchKeywords(t.Keywords)
}

func compileAll(c *checker, pats []string, pos int) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range pats {
		// the caller's text is folded to Simplified Chinese before matching (see
		// keyword); fold the pattern too, so a Traditional pattern still matches
		re, err := regexp.Compile("(?i)" + hanzi.Simplify(p))
		if err != nil {
			c.add(pos, "fix the regular expression (Go RE2 syntax: no lookahead or backreferences)", "bad regex %q: %v", p, err)
			continue
		}
		out = append(out, re)
	}
	return out
}

// placeholder finds {name} in a line.
var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// webhookMethods are the methods a webhook node may use (empty means POST).
var webhookMethods = []string{"POST", "PUT", "PATCH"} // the call's variables go as a JSON body

// nearMiss returns the name got is taken to misspell, or "" when got is known or
// may well be a profile note of its own. Only long names count as misspelt: a
// variable the flow collects (order_id) one edit away, or two from eight letters;
// a built-in field one edit away from eight letters (known_issue). Short names
// ({date}, {order}) are too close to each other to tell a typo from a note.
func nearMiss(got string, known, collected []string) string {
	if slices.Contains(known, got) {
		return ""
	}
	for _, k := range known {
		d := config.EditDistance(got, k)
		switch {
		case slices.Contains(collected, k) && len(k) >= 5 && (d == 1 || d == 2 && len(k) >= 8):
			return k
		case d == 1 && len(k) >= 8:
			return k
		}
	}
	return ""
}

// sameKeys reports intents of one list that answer the same key: the caller can
// only ever reach the first.
func sameKeys(c *checker, what string, ins []*Intent) {
	first := map[string]*Intent{}
	for _, in := range ins {
		if in.DTMF == "" {
			continue
		}
		if prev, ok := first[in.DTMF]; ok {
			c.add(at(in.KeyPos, "dtmf", in.Pos), fmt.Sprintf("give it another key; intent %q (line %d) already answers %s", prev.Name, prev.Pos, in.DTMF),
				"%s intent %q uses dtmf %q twice", what, in.Name, in.DTMF)
			continue
		}
		first[in.DTMF] = in
	}
}

func checkFlow(f *Flow, packs map[string]*Pack) []error {
	c := &checker{file: f.File}
	f.Global = present(c, at(f.KeyPos, "global", f.Pos), "global intent", f.Global)
	f.Routing = present(c, at(f.KeyPos, "routing", f.Pos), "routing rule", f.Routing)
	f.Personalize = present(c, at(f.KeyPos, "personalize", f.Pos), "personal line", f.Personalize)
	f.Proactive = present(c, at(f.KeyPos, "proactive", f.Pos), "proactive line", f.Proactive)
	f.Policy.ForcedHuman = present(c, at(f.KeyPos, "policy", f.Pos), "forced-human topic", f.Policy.ForcedHuman)
	if cp := f.Policy.Compensation; cp != nil {
		cp.Rules = present(c, cp.Pos, "compensation rule", cp.Rules)
	}
	for name, q := range f.Queues {
		if q == nil {
			c.add(at(f.KeyPos, "queues", f.Pos), "give it endpoints: [PJSIP/agent1]", "queue %q is empty", name)
			delete(f.Queues, name)
		}
	}
	if f.Name == "" {
		c.add(f.Pos, "write flow: NAME at the top", "flow has no name")
	}
	if len(f.Languages) == 0 {
		f.Languages = []string{"en"}
	}
	if f.Pack != "" {
		p, ok := packs[f.Pack]
		if !ok {
			c.add(at(f.KeyPos, "pack", f.Pos), suggest(f.Pack, keys(packs)), "unknown pack %q", f.Pack)
		}
		f.pack = p
	}
	noMoney := f.pack != nil && f.pack.NoMoneyPromises
	if len(f.Nodes) == 0 {
		c.add(f.Pos, "add nodes: with at least one node", "flow %q has no nodes", f.Name)
		return c.errs
	}
	nodeNames := keys(f.Nodes)
	target := func(pos int, what, name string) {
		if name == "" {
			return
		}
		if _, ok := f.Nodes[name]; !ok {
			c.add(pos, fmt.Sprintf("%s, or define node %q under nodes:", suggest(name, nodeNames), name), "%s goes to unknown node %q", what, name)
		}
	}
	queue := func(pos int, name string) {
		if name == "" {
			return
		}
		if _, ok := f.Queues[name]; !ok {
			c.add(pos, fmt.Sprintf("%s, or define queue %q under queues:", suggest(name, keys(f.Queues)), name), "unknown queue %q", name)
		}
	}
	variants := map[string]bool{}
	for _, v := range f.Variants {
		variants[v] = true
	}
	// Placeholders a line may use: the profile's fields, the compensation line's,
	// and every variable a collect node fills. A profile note may add any name, so
	// only a near miss of a known one is taken for a typo ({ordr_id}).
	known := []string{"name", "tier", "orders", "tenure_months", "known_issue", "renewal_date", "amount", "unit", "kind", "reason"}
	var collected []string
	for _, n := range f.Nodes {
		if n != nil && n.Collect != nil && n.Collect.Var != "" {
			collected = append(collected, n.Collect.Var)
		}
	}
	known = append(known, collected...)
	line := func(l *Line, what string) {
		if l == nil {
			return
		}
		for _, t := range l.texts() {
			for _, str := range t {
				for _, m := range placeholder.FindAllStringSubmatch(str, -1) {
					if near := nearMiss(m[1], known, collected); near != "" {
						c.add(l.Pos, fmt.Sprintf("did you mean {%s}? (a profile note may add other names; rename it if this is one)", near),
							"%s uses unknown placeholder {%s}", what, m[1])
					}
				}
			}
		}
		for name := range l.Variants {
			if !variants[name] {
				c.add(l.Pos, fmt.Sprintf("add it to the flow's variants: list (now %v) or rename it", f.Variants), "%s has variant %q the flow does not declare", what, name)
			}
		}
		for _, t := range l.texts() {
			for _, lang := range f.Languages {
				if !t.has(lang) {
					c.add(l.Pos, fmt.Sprintf("add %s: \"...\" (the flow's languages are %v)", lang, f.Languages), "%s has no %s text", what, lang)
				}
			}
		}
	}
	libKey := func(pos int, key string) {
		if key == "" {
			return
		}
		if f.Lines[key] != nil || (f.pack != nil && f.pack.Lines[key] != nil) {
			return
		}
		known := keys(f.Lines)
		if f.pack != nil {
			known = append(known, keys(f.pack.Lines)...)
		}
		c.add(pos, suggest(key, known)+", or add it under lines:", "unknown script line %q", key)
	}
	if f.Start == "" {
		c.add(f.Pos, fmt.Sprintf("add start: NODE (one of %s)", strings.Join(nodeNames, ", ")), "flow %q has no start node", f.Name)
	}
	target(at(f.KeyPos, "start", f.Pos), "start", f.Start)
	for name, q := range f.Queues {
		if len(q.Endpoints) == 0 {
			c.add(q.Pos, "add endpoints: [PJSIP/agent1]", "queue %q has no endpoints", name)
		}
		if q.Priority < 0 || q.Priority > 10 {
			c.add(at(q.KeyPos, "priority", q.Pos), "use a priority from 0 to 10", "queue %q priority %d is out of range", name, q.Priority)
		}
	}
	for k, l := range f.Lines {
		line(l, "line "+strconvQuote(k))
	}
	checkIntent := func(in *Intent) {
		if in.Name == "" {
			c.add(in.Pos, "name it, e.g. intent: refund", "intent has no name")
		}
		if len(in.Keywords) == 0 && len(in.Regex) == 0 && in.DTMF == "" && (f.LLM == nil || !f.LLM.Enabled) {
			c.add(in.Pos, "add keywords:, regex: or dtmf:", "intent %q can never match", in.Name)
		}
		if in.DTMF != "" && strings.Trim(in.DTMF, "0123456789*#") != "" {
			c.add(at(in.KeyPos, "dtmf", in.Pos), "use digits, * or #", "dtmf %q is not a key", in.DTMF)
		}
		in.res = compileAll(c, in.Regex, at(in.KeyPos, "regex", in.Pos))
		in.kws = matchKeywords(in.Keywords)
		target(at(in.KeyPos, "goto", in.Pos), "intent "+strconvQuote(in.Name), in.Goto)
		line(in.Say, "intent "+strconvQuote(in.Name))
	}
	for _, in := range f.Global {
		checkIntent(in)
	}
	sameKeys(c, "global", f.Global)
	for _, name := range nodeNames {
		n := f.Nodes[name]
		if n == nil {
			c.add(f.Pos, "give the node a type and a say: line", "node %q is empty", name)
			continue
		}
		what := "node " + strconvQuote(name)
		switch n.Type {
		case "":
			c.add(n.Pos, "add type: one of "+strings.Join(NodeTypes, ", "), "%s has no type", what)
		case "say", "webhook":
			if n.Next == "" {
				c.add(n.Pos, "add next: NODE", "%s (type %s) has no next node", what, n.Type)
			}
			if n.Type == "webhook" && (n.Webhook == nil || n.Webhook.URL == "") {
				c.add(n.Pos, "add webhook: {url: https://...}", "%s has no webhook url", what)
			}
			if w := n.Webhook; n.Type == "webhook" && w != nil && w.URL != "" {
				if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					c.add(w.Pos, "use an http(s) URL such as https://crm.example.com/hook", "%s webhook url %q is not an http(s) URL", what, w.URL)
				}
				w.Method = strings.ToUpper(w.Method)
				if w.Method != "" && !slices.Contains(webhookMethods, w.Method) {
					c.add(w.Pos, suggest(w.Method, webhookMethods), "%s webhook method %q is not one calmline sends", what, w.Method)
				}
			}
		case "ask", "menu":
			if len(n.Intents) == 0 && len(f.Global) == 0 {
				c.add(n.Pos, "add intents: the caller's possible answers", "%s listens for nothing", what)
			}
		case "collect":
			if n.Collect == nil || n.Collect.Var == "" {
				c.add(n.Pos, "add collect: {kind: digits, var: order_id, min: 6, max: 12}", "%s does not say what to collect", what)
			} else {
				if n.Collect.Kind != "digits" && n.Collect.Kind != "words" {
					c.add(n.Collect.Pos, "use kind: digits or kind: words", "unknown collect kind %q", n.Collect.Kind)
				}
				if n.Collect.Max > 0 && n.Collect.Min > n.Collect.Max {
					c.add(n.Collect.Pos, "make min no larger than max", "collect min %d > max %d", n.Collect.Min, n.Collect.Max)
				}
			}
			if n.Next == "" {
				c.add(n.Pos, "add next: NODE", "%s has no next node", what)
			}
		case "transfer":
			if n.Queue == "" {
				c.add(n.Pos, "add queue: NAME (one of the flow's queues:)", "%s does not say which queue", what)
			}
		case "hangup":
		default:
			c.add(at(n.KeyPos, "type", n.Pos), suggest(n.Type, NodeTypes), "%s has unknown type %q", what, n.Type)
		}
		queue(at(n.KeyPos, "queue", n.Pos), n.Queue)
		target(at(n.KeyPos, "next", n.Pos), what+" next", n.Next)
		line(n.Say, what+" say")
		line(n.Solution, what+" solution")
		line(n.Explain, what+" explain")
		n.Intents = present(c, at(n.KeyPos, "intents", n.Pos), what+" intent", n.Intents)
		for _, in := range n.Intents {
			checkIntent(in)
		}
		sameKeys(c, what, n.Intents)
		n.Branch = present(c, at(n.KeyPos, "branch", n.Pos), what+" branch", n.Branch)
		for _, b := range n.Branch {
			checkCond(c, &b.When)
			target(at(b.KeyPos, "goto", b.Pos), what+" branch", b.Goto)
		}
		for _, r := range []*Retry{n.NoInput, n.NoMatch} {
			if r == nil {
				continue
			}
			if r.Max < 0 {
				c.add(r.Pos, "use max: 0 or more", "negative retry count")
			}
			target(at(r.KeyPos, "then", r.Pos), what+" retry then", r.Then)
			line(r.Say, what+" retry")
		}
	}
	// Policy: thresholds and tiers.
	p := &f.Policy
	tier := func(t *Tier, name string, def emotion.Level) {
		if t == nil {
			return
		}
		t.level = def
		if t.Level != "" {
			l, err := emotion.ParseLevel(t.Level)
			if err != nil {
				c.add(at(t.KeyPos, "level", t.Pos), "use one of calm, mild, moderate, severe", "policy %s: bad threshold level %q", name, t.Level)
			} else {
				t.level = l
			}
		}
		if t.MinConfidence < 0 || t.MinConfidence > 1 {
			c.add(at(t.KeyPos, "min_confidence", t.Pos), "write a probability between 0 and 1, e.g. min_confidence: 0.6", "policy %s: bad threshold min_confidence %v", name, t.MinConfidence)
		}
		t.cats = map[emotion.Category]bool{}
		for _, s := range t.Categories {
			cat, err := emotion.ParseCategory(s)
			if err != nil {
				c.add(t.Pos, "use neutral, satisfied, confused, anxious, sad or angry", "policy %s: unknown category %q", name, s)
			}
			t.cats[cat] = true
		}
		if len(t.Categories) == 0 {
			t.cats = map[emotion.Category]bool{emotion.Angry: true, emotion.Anxious: true, emotion.Sad: true}
		}
		queue(t.Pos, t.Queue)
		libKey(t.Pos, t.Line)
	}
	if p.Mild == nil {
		p.Mild = &Tier{}
	}
	if p.Moderate == nil {
		p.Moderate = &Tier{}
	}
	if p.Severe == nil {
		p.Severe = &Tier{}
	}
	tier(p.Mild, "mild", emotion.Mild)
	tier(p.Moderate, "moderate", emotion.Moderate)
	tier(p.Severe, "severe", emotion.Severe)
	if p.Mild.level > p.Moderate.level || p.Moderate.level > p.Severe.level {
		c.add(p.Pos, "order the thresholds mild <= moderate <= severe", "policy thresholds are out of order (%v, %v, %v)", p.Mild.level, p.Moderate.level, p.Severe.level)
	}
	if r := p.Rising; r != nil {
		if r.Turns < 2 {
			c.add(at(r.KeyPos, "turns", r.Pos), "use turns: 2 or more (3 is a good start)", "policy rising: bad threshold turns %d", r.Turns)
		}
		if r.Action != "" && r.Action != "escalate" && r.Action != "handoff" {
			c.add(r.Pos, "use action: escalate or action: handoff", "policy rising: unknown action %q", r.Action)
		}
		queue(r.Pos, r.Queue)
		libKey(r.Pos, r.Line)
	}
	for _, t := range p.ForcedHuman {
		checkTopic(c, t, f.Queues)
		libKey(t.Pos, t.Line)
	}
	if cp := p.Compensation; cp != nil {
		for k, v := range cp.Limits {
			if v < 0 {
				c.add(cp.Pos, "use a limit of 0 or more", "compensation limit for %q is negative", k)
			}
			if noMoney && moneyKinds[k] && v > 0 {
				c.add(cp.Pos, "remove the limit or set it to 0", "pack %q forbids promises about money, but limits allow %q", f.Pack, k)
			}
		}
		for _, r := range cp.Rules {
			checkComp(c, r, noMoney, f.Pack)
		}
	}
	for _, r := range f.Routing {
		checkCond(c, &r.When)
		queue(r.Pos, r.Queue)
		if r.Queue == "" {
			c.add(r.Pos, "add queue: NAME", "routing rule has no queue")
		}
		if r.Priority < 0 || r.Priority > 10 {
			c.add(r.Pos, "use a priority from 0 to 10", "routing priority %d is out of range", r.Priority)
		}
	}
	for _, ps := range append(append([]*Personal{}, f.Personalize...), f.Proactive...) {
		checkCond(c, &ps.When)
		line(ps.Say, "personal line")
		if ps.Say == nil {
			c.add(ps.Pos, "add say: {en: ..., zh: ...}", "personal line says nothing")
		}
	}
	checkCond(c, &Cond{Pos: f.CustomerValue.Pos})
	if len(f.Queues) == 0 {
		c.add(f.Pos, "add queues: {agents: {endpoints: [PJSIP/agent1]}}", "flow %q has no queues, so it can never hand a caller to a human", f.Name)
	}
	return c.errs
}

// at is the line of key in an element, or the element's own line.
func at(keyPos map[string]int, key string, pos int) int {
	if l, ok := keyPos[key]; ok {
		return l
	}
	return pos
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
