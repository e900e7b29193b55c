package dialog

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/calmline/calmline/emotion"
	"go.yaml.in/yaml/v3"
)

// Flow is one call flow as an operator writes it in YAML. Fields named Pos hold the
// line the element started on, so validation can point at it.
type Flow struct {
	Name        string   `yaml:"flow"`
	Description string   `yaml:"description"`
	Default     bool     `yaml:"default"`   // serves calls whose called line matches no flow
	Called      []string `yaml:"called"`    // called numbers / channels this flow answers
	Languages   []string `yaml:"languages"` // first is the default language
	Pack        string   `yaml:"pack"`      // industry pack whose lines and rules fill the gaps
	Start       string   `yaml:"start"`
	Variants    []string `yaml:"variants"` // A/B variant names; lines may have text per variant

	Queues        map[string]*Queue `yaml:"queues"`
	Lines         map[string]*Line  `yaml:"lines"`  // script library; overrides the pack's lines
	Global        []*Intent         `yaml:"global"` // intents heard at every node (e.g. 0 = agent)
	Nodes         map[string]*Node  `yaml:"nodes"`
	Policy        Policy            `yaml:"policy"`
	Routing       []*Route          `yaml:"routing"`
	CustomerValue ValueRule         `yaml:"customer_value"`
	Personalize   []*Personal       `yaml:"personalize"` // lines added to the greeting for matching profiles
	Proactive     []*Personal       `yaml:"proactive"`   // suggestions offered before the caller asks
	LLM           *LLMConfig        `yaml:"llm"`

	Pos    int            `yaml:"-"`
	KeyPos map[string]int `yaml:"-"` // line of each key, for precise errors
	File   string         `yaml:"-"`

	pack *Pack
}

// Queue is a group of human agents the bot can hand a caller to.
type Queue struct {
	Endpoints []string       `yaml:"endpoints"` // dial strings, e.g. PJSIP/expert1
	Priority  int            `yaml:"priority"`  // default priority of calls sent here
	Pos       int            `yaml:"-"`
	KeyPos    map[string]int `yaml:"-"` // line of each key, for precise errors
}

// Node is one step of a flow.
type Node struct {
	Type     string         `yaml:"type"` // say, ask, menu, collect, transfer, webhook, hangup
	Say      *Line          `yaml:"say"`
	Solution *Line          `yaml:"solution"` // the concrete fix offered to a mildly upset caller here
	Explain  *Line          `yaml:"explain"`  // a slower, step-by-step version for a confused caller
	Issue    string         `yaml:"issue"`    // issue type for routing and compensation (refund, delivery, ...)
	Next     string         `yaml:"next"`
	Intents  []*Intent      `yaml:"intents"`
	Branch   []*Branch      `yaml:"branch"` // profile-based jumps taken when the node is entered
	Collect  *Collect       `yaml:"collect"`
	Queue    string         `yaml:"queue"`
	Priority int            `yaml:"priority"`
	Webhook  *Webhook       `yaml:"webhook"`
	NoInput  *Retry         `yaml:"no_input"`
	NoMatch  *Retry         `yaml:"no_match"`
	Pos      int            `yaml:"-"`
	KeyPos   map[string]int `yaml:"-"` // line of each key, for precise errors
}

// Intent is something the caller may want, recognised by keywords, regular
// expressions, a DTMF key, or (optionally) an LLM.
type Intent struct {
	Name     string              `yaml:"intent"`
	Keywords map[string][]string `yaml:"keywords"` // per language; "*" applies to all
	Regex    []string            `yaml:"regex"`
	DTMF     string              `yaml:"dtmf"`
	Goto     string              `yaml:"goto"`
	Say      *Line               `yaml:"say"`
	Issue    string              `yaml:"issue"`
	Pos      int                 `yaml:"-"`
	KeyPos   map[string]int      `yaml:"-"` // line of each key, for precise errors

	res []*regexp.Regexp
	kws []string // Keywords of every language as the caller's text is matched (keyword)
}

// Branch jumps elsewhere when the caller's profile matches, so a loyal customer can
// hear a different script.
type Branch struct {
	When   Cond           `yaml:"when"`
	Goto   string         `yaml:"goto"`
	Pos    int            `yaml:"-"`
	KeyPos map[string]int `yaml:"-"` // line of each key, for precise errors
}

// Collect gathers digits (DTMF or spoken) or a free answer into a variable.
type Collect struct {
	Kind string `yaml:"kind"` // digits or words
	Var  string `yaml:"var"`
	Min  int    `yaml:"min"`
	Max  int    `yaml:"max"`
	Pos  int    `yaml:"-"`
}

// Webhook is an operator endpoint the call layer calls when the node is entered.
type Webhook struct {
	URL    string `yaml:"url"`
	Method string `yaml:"method"`
	Pos    int    `yaml:"-"`
}

// Retry says what happens when the caller says nothing or nothing recognisable.
type Retry struct {
	Say    *Line          `yaml:"say"`
	Max    int            `yaml:"max"`  // retries before Then
	Then   string         `yaml:"then"` // node to go to after Max retries
	Pos    int            `yaml:"-"`
	KeyPos map[string]int `yaml:"-"` // line of each key, for precise errors
}

// Cond is a condition on the call: the customer profile, the emotion level and the
// issue type. Every field set must hold.
type Cond struct {
	Tier              []string `yaml:"tier"`
	MinOrders         int      `yaml:"min_orders"`
	MinTenureMonths   int      `yaml:"min_tenure_months"`
	MinOpenTickets    int      `yaml:"min_open_tickets"`
	Value             string   `yaml:"value"` // high or normal, by customer_value
	RenewalWithinDays int      `yaml:"renewal_within_days"`
	KnownIssue        bool     `yaml:"known_issue"`
	Level             string   `yaml:"level"` // at least this emotion level
	Issue             []string `yaml:"issue"`
	Pos               int      `yaml:"-"`
}

// Policy is the emotion policy: the tiers of the product brief.
type Policy struct {
	Mild         *Tier       `yaml:"mild"`
	Moderate     *Tier       `yaml:"moderate"`
	Severe       *Tier       `yaml:"severe"`
	Rising       *Rising     `yaml:"rising"`
	ForcedHuman  []*Topic    `yaml:"forced_human"`
	Compensation *CompPolicy `yaml:"compensation"`
	Pos          int         `yaml:"-"`
}

// Tier is one emotion threshold and what to do past it.
type Tier struct {
	Level         string         `yaml:"level"`          // calm, mild, moderate, severe
	MinConfidence float64        `yaml:"min_confidence"` // 0..1; readings less sure than this do not trigger the tier
	Categories    []string       `yaml:"categories"`     // which emotions count (default angry, anxious, sad)
	Line          string         `yaml:"line"`           // library line spoken when the tier fires
	Queue         string         `yaml:"queue"`
	Priority      int            `yaml:"priority"`
	Compensate    *bool          `yaml:"compensate"`
	Pos           int            `yaml:"-"`
	KeyPos        map[string]int `yaml:"-"` // line of each key, for precise errors

	level emotion.Level
	cats  map[emotion.Category]bool
}

// Rising escalates a caller whose anger keeps rising, even below the severe tier.
type Rising struct {
	Turns  int            `yaml:"turns"`  // consecutive rising turns that trigger it
	Action string         `yaml:"action"` // escalate (default) or handoff
	Queue  string         `yaml:"queue"`
	Line   string         `yaml:"line"`
	Pos    int            `yaml:"-"`
	KeyPos map[string]int `yaml:"-"` // line of each key, for precise errors
}

// Topic is a subject the bot must never handle alone (legal dispute, fraud).
type Topic struct {
	Topic    string              `yaml:"topic"`
	Keywords map[string][]string `yaml:"keywords"`
	Regex    []string            `yaml:"regex"`
	Action   string              `yaml:"action"` // handoff (default) or escalate
	Queue    string              `yaml:"queue"`
	Priority int                 `yaml:"priority"`
	Line     string              `yaml:"line"`
	Pos      int                 `yaml:"-"`
	KeyPos   map[string]int      `yaml:"-"` // line of each key, for precise errors

	res []*regexp.Regexp
	kws []string // Keywords of every language as the caller's text is matched (keyword)
}

// CompPolicy bounds automatic compensation: rules choose an offer, limits cap it.
type CompPolicy struct {
	Limits map[string]float64 `yaml:"limits"` // kind -> maximum amount; kinds not listed are not offered
	Rules  []*CompRule        `yaml:"rules"`
	Pos    int                `yaml:"-"`
}

// CompRule offers one kind of compensation when its condition holds.
type CompRule struct {
	When   Cond    `yaml:"when"`
	Kind   string  `yaml:"kind"`
	Amount float64 `yaml:"amount"`
	Unit   string  `yaml:"unit"`
	Reason string  `yaml:"reason"`
	Pos    int     `yaml:"-"`
}

// Route picks the handoff queue and priority.
type Route struct {
	When     Cond   `yaml:"when"`
	Queue    string `yaml:"queue"`
	Priority int    `yaml:"priority"`
	Pos      int    `yaml:"-"`
}

// ValueRule says which customers count as high value for routing and compensation.
type ValueRule struct {
	HighTiers     []string `yaml:"high_tiers"`
	HighMinOrders int      `yaml:"high_min_orders"`
	Pos           int      `yaml:"-"`
}

// Personal is a line for callers whose profile matches.
type Personal struct {
	When Cond  `yaml:"when"`
	Say  *Line `yaml:"say"`
	Pos  int   `yaml:"-"`
}

// LLMConfig turns on intent classification by an OpenAI-compatible model when
// keywords and regexes find nothing. Off unless enabled here and a client is given.
type LLMConfig struct {
	Enabled bool   `yaml:"enabled"`
	Model   string `yaml:"model"`
	Pos     int    `yaml:"-"`
}

// Pack is an industry pack: tone, script lines and compensation rules for one trade.
type Pack struct {
	Name            string           `yaml:"pack"`
	Description     string           `yaml:"description"`
	Style           string           `yaml:"style"`             // default speaking style
	NoMoneyPromises bool             `yaml:"no_money_promises"` // refuse compensation that promises money
	Lines           map[string]*Line `yaml:"lines"`
	Compensation    []*CompRule      `yaml:"compensation"`
	ForcedHuman     []*Topic         `yaml:"forced_human"`
	Pos             int              `yaml:"-"`
	File            string           `yaml:"-"`
}

// Text is one line in several languages. In YAML it is either a plain string (all
// languages) or a map of language code to string.
type Text map[string]string

// Line is a script line: a Text, or variants of it for A/B tests.
type Line struct {
	Text     Text
	Variants map[string]Text
	Pos      int
}

var langKey = regexp.MustCompile(`^(\*|[a-z]{2,3}(-[A-Za-z]{2,4})?)$`)

// UnmarshalYAML accepts a string, a language map, or {variants: {name: text}}.
func (l *Line) UnmarshalYAML(n *yaml.Node) error {
	l.Pos = n.Line
	if n.Kind == yaml.MappingNode && len(n.Content) >= 2 && n.Content[0].Value == "variants" {
		if len(n.Content) > 2 {
			return &Error{Line: n.Content[2].Line, Msg: fmt.Sprintf("key %q next to variants", n.Content[2].Value),
				Fix: "put the text of each language inside each variant, e.g. variants: {a: {en: ..., zh: ...}}"}
		}
		v := n.Content[1]
		if v.Kind != yaml.MappingNode {
			return &Error{Line: v.Line, Msg: "variants must be a map of variant name to text", Fix: "write variants: {a: {en: ...}, b: {en: ...}}"}
		}
		l.Variants = map[string]Text{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			var t Text
			if err := t.UnmarshalYAML(v.Content[i+1]); err != nil {
				return err
			}
			l.Variants[v.Content[i].Value] = t
		}
		return nil
	}
	return l.Text.UnmarshalYAML(n)
}

// UnmarshalYAML accepts a string or a map of language code to string.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = Text{"*": n.Value}
		return nil
	case yaml.MappingNode:
		m := Text{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !langKey.MatchString(k.Value) {
				return &Error{Line: k.Line, Msg: fmt.Sprintf("%q is not a language code", k.Value),
					Fix: "use language codes such as en and zh as keys of a line (or variants: for A/B text)"}
			}
			if v.Kind != yaml.ScalarNode {
				return &Error{Line: v.Line, Msg: fmt.Sprintf("text for %q is not a string", k.Value), Fix: "write the line as a quoted string"}
			}
			m[k.Value] = v.Value
		}
		*t = m
		return nil
	}
	return &Error{Line: n.Line, Msg: "a line must be a string or a map of language to string", Fix: `write say: "text" or say: {en: "...", zh: "..."}`}
}

// pick returns the text for lang, falling back to "*" and then the first language.
func (t Text) pick(lang, fallback string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	if s, ok := t["*"]; ok {
		return s
	}
	if s, ok := t[fallback]; ok {
		return s
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return t[keys[0]]
	}
	return ""
}

func (t Text) has(lang string) bool {
	if _, ok := t["*"]; ok {
		return true
	}
	_, ok := t[lang]
	return ok
}

// render picks the variant (if any) and language.
func (l *Line) render(variant, lang, fallback string) (string, bool) {
	if l == nil {
		return "", false
	}
	if len(l.Variants) > 0 {
		t, ok := l.Variants[variant]
		if !ok {
			names := make([]string, 0, len(l.Variants))
			for k := range l.Variants {
				names = append(names, k)
			}
			sort.Strings(names)
			t = l.Variants[names[0]]
		}
		return t.pick(lang, fallback), true
	}
	return l.Text.pick(lang, fallback), false
}

func (l *Line) texts() []Text {
	if l == nil {
		return nil
	}
	if len(l.Variants) > 0 {
		out := make([]Text, 0, len(l.Variants))
		for _, t := range l.Variants {
			out = append(out, t)
		}
		return out
	}
	return []Text{l.Text}
}

func joinParts(lang string, parts []string) string {
	sep := " "
	if lang == "zh" || lang == "ja" {
		sep = ""
	}
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}
