package emotion

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cue kinds calmline produces. Kinds are stable strings: flows, reports and
// feedback labels refer to them.
const (
	CueRepeat      = "repeat"      // complaint about recurrence: 又, 第三次, again, third time
	CueRepeatSelf  = "repeat_self" // the caller repeats their own words from earlier turns
	CueNegation    = "negation"    // a negated positive: 不满意, not working
	CueIntensifier = "intensifier" // 非常, 到底, really, extremely
	CueShouting    = "shouting"    // ？？？, !!!, ALL CAPS
	CueThreat      = "threat"      // threat to leave or complain: 投诉, 12315, cancel, lawyer
	CueConfusion   = "confusion"   // 什么意思, I don't understand
	CueWorry       = "worry"       // urgency and worry: 着急, 怎么办, urgent, worried
	CuePolite      = "polite"      // a polite request form: 请问, 麻烦, could you, please
	CueAnnoyance   = "annoyance"   // words of annoyance or blame: 太慢, 太差, 受够, so slow, terrible, fed up
	CueThanks      = "thanks"      // thanks and approval: 谢谢, 解决了, thank you, perfect
	CueIrony       = "irony"       // praise said of a problem: "Oh great, it crashed again", 你们可真行
	CueModel       = "model"       // the text model's own judgement
	CueAcoustic    = "acoustic"    // what the voice said (from the acoustic model)
	CueLLM         = "llm"         // an LLM classifier's judgement
)

// cueEffect is what one unit of a cue kind does: logit pushes per category, extra
// arousal and extra level intensity. Fusion scales it by the cue's strength and the
// kind's refittable gain.
type cueEffect struct {
	push    [numCategories]float64
	arousal float64
	level   float64
	note    string
}

// The level effects of shouting, threat, negation, confusion and annoyance were
// fitted on the tune half of testdata/calls.tsv (TestTuneCalls).
var cueEffects = map[string]cueEffect{
	CueRepeat:      {push: catVec(Angry, 1.0, Sad, 0.15, Neutral, -0.8), arousal: 0.05, level: 0.15, note: "the problem keeps coming back"},
	CueRepeatSelf:  {push: catVec(Angry, 0.8, Neutral, -0.5), arousal: 0.03, level: 0.10, note: "the caller is repeating themselves"},
	CueNegation:    {push: catVec(Satisfied, -1.5, Angry, 0.5, Sad, 0.2, Neutral, -0.8), level: 0.09, note: "something positive is denied"},
	CueIntensifier: {arousal: 0.05, level: 0.05, note: "stronger wording"},
	CueShouting:    {push: catVec(Angry, 0.8, Neutral, -0.8), arousal: 0.15, level: 0.17, note: "shouting"},
	CueThreat:      {push: catVec(Angry, 1.2, Neutral, -0.8), arousal: 0.08, level: 0.29, note: "threatens to leave or complain"},
	CueConfusion:   {push: catVec(Confused, 1.0, Neutral, -0.5), level: 0.03, note: "does not understand"},
	CuePolite:      {push: catVec(Neutral, 1.0), level: -0.05, note: "asks politely"},
	CueWorry:       {push: catVec(Anxious, 1.6, Neutral, -0.8), arousal: 0.05, level: 0.06, note: "worried or in a hurry"},
	CueAnnoyance:   {push: catVec(Angry, 1.0, Satisfied, -1.0, Neutral, -0.8), arousal: 0.05, level: 0.1, note: "annoyed or blaming"},
	CueThanks:      {push: catVec(Satisfied, 1.5, Angry, -0.5), level: -0.05, note: "thanks or approval"},
	CueIrony:       {push: catVec(Angry, 1.2, Satisfied, -1.5, Neutral, -0.8), arousal: 0.05, level: 0.12, note: "praise said sarcastically, about a problem"},
}

func catVec(kv ...any) [numCategories]float64 {
	var v [numCategories]float64
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i].(Category)] = kv[i+1].(float64)
	}
	return v
}

// lexEntry is one cue phrase with its strength (logit units before the gain).
type lexEntry struct {
	kind     string
	phrase   string
	strength float64
	word     bool // English: must match at word boundaries
}

// lexicon lists the phrases the cue scanner looks for, longest first within the
// scan so "听不懂" is not also counted as "不懂".
var lexicon = sortLexicon([]lexEntry{
	// repeated complaint words
	{CueRepeat, "又", 1.0, false}, {CueRepeat, "总是", 1.2, false}, {CueRepeat, "老是", 1.2, false},
	{CueRepeat, "一直", 0.9, false}, {CueRepeat, "再次", 0.8, false}, {CueRepeat, "每次", 1.0, false},
	{CueRepeat, "反复", 1.0, false}, {CueRepeat, "多少次", 1.5, false}, {CueRepeat, "好几次", 1.3, false},
	{CueRepeat, "三番五次", 1.5, false}, {CueRepeat, "还是没", 1.0, false}, {CueRepeat, "还是不", 1.0, false},
	{CueRepeat, "第二次", 1.3, false}, {CueRepeat, "第三次", 1.6, false}, {CueRepeat, "第四次", 1.8, false},
	{CueRepeat, "第五次", 1.8, false}, {CueRepeat, "第n次", 1.8, false}, {CueRepeat, "好多次", 1.4, false},
	{CueRepeat, "几次了", 1.4, false}, {CueRepeat, "还是这样", 1.2, false},
	{CueRepeat, "again", 1.1, true}, {CueRepeat, "still", 0.8, true}, {CueRepeat, "every time", 1.2, true},
	{CueRepeat, "third time", 1.6, true}, {CueRepeat, "second time", 1.3, true}, {CueRepeat, "fourth time", 1.8, true},
	{CueRepeat, "fifth time", 1.8, true}, {CueRepeat, "how many times", 1.6, true}, {CueRepeat, "over and over", 1.4, true},
	{CueRepeat, "keeps happening", 1.3, true}, {CueRepeat, "already told", 1.2, true}, {CueRepeat, "i keep", 1.0, true},
	{CueRepeat, "always", 0.7, true}, {CueRepeat, "once again", 1.2, true},
	{CueRepeat, "keeps", 0.8, true}, {CueRepeat, "you keep", 1.0, true}, {CueRepeat, "twice", 0.8, true},
	{CueRepeat, "times already", 1.3, true}, {CueRepeat, "不止一次", 1.3, false}, {CueRepeat, "一次又一次", 1.5, false},
	// saying it again: 遍 counts what was said (我再问一遍; not 再说一遍, which asks the agent to repeat)
	{CueRepeat, "再问一遍", 1.0, false}, {CueRepeat, "多少遍", 1.5, false}, {CueRepeat, "好几遍", 1.3, false},
	{CueRepeat, "几遍了", 1.3, false}, {CueRepeat, "说过了", 1.0, false}, {CueRepeat, "already said", 1.0, true},
	{CueRepeat, "already explained", 1.0, true}, {CueRepeat, "told you before", 1.0, true},
	{CueRepeat, "for the last time", 1.2, true},
	// negated positives
	{CueNegation, "不满意", 1.2, false}, {CueNegation, "不满", 1.2, false}, {CueNegation, "不好", 0.8, false}, {CueNegation, "不行", 0.8, false},
	{CueNegation, "没解决", 1.2, false}, {CueNegation, "没有解决", 1.2, false}, {CueNegation, "不管用", 1.0, false},
	{CueNegation, "没用", 0.9, false}, {CueNegation, "没有用", 0.9, false}, {CueNegation, "不靠谱", 1.0, false},
	{CueNegation, "不合理", 1.0, false}, {CueNegation, "不负责", 1.2, false}, {CueNegation, "不像话", 1.3, false},
	{CueNegation, "没人管", 1.2, false}, {CueNegation, "没收到", 0.8, false}, {CueNegation, "没有收到", 0.8, false},
	{CueNegation, "用不了", 0.8, false}, {CueNegation, "不能用", 0.8, false}, {CueNegation, "没人理", 1.2, false},
	{CueNegation, "没人接", 0.8, false}, {CueNegation, "没人回", 0.9, false}, {CueNegation, "没消息", 0.8, false},
	{CueNegation, "unacceptable", 1.3, true}, {CueNegation, "nobody", 0.7, true}, {CueNegation, "no one", 0.7, true},
	// intensifiers
	{CueIntensifier, "非常", 1, false}, {CueIntensifier, "特别", 1, false}, {CueIntensifier, "太", 1, false},
	{CueIntensifier, "真的", 1, false}, {CueIntensifier, "到底", 1, false}, {CueIntensifier, "根本", 1, false},
	{CueIntensifier, "简直", 1, false}, {CueIntensifier, "实在", 1, false}, {CueIntensifier, "究竟", 1, false},
	{CueIntensifier, "完全", 1, false}, {CueIntensifier, "一点都", 1, false}, {CueIntensifier, "超级", 1, false},
	{CueIntensifier, "very", 1, true}, {CueIntensifier, "really", 1, true}, {CueIntensifier, "extremely", 1, true},
	{CueIntensifier, "totally", 1, true}, {CueIntensifier, "absolutely", 1, true}, {CueIntensifier, "completely", 1, true},
	{CueIntensifier, "seriously", 1, true}, {CueIntensifier, "at all", 1, true}, {CueIntensifier, "so much", 1, true},
	{CueIntensifier, "ridiculous", 1, true}, {CueIntensifier, "on earth", 1, true},
	// threats to leave or complain
	{CueThreat, "投诉", 1.6, false}, {CueThreat, "12315", 1.8, false}, {CueThreat, "退款", 0.4, false},
	{CueThreat, "律师", 1.6, false}, {CueThreat, "起诉", 1.8, false}, {CueThreat, "曝光", 1.5, false},
	{CueThreat, "消协", 1.6, false}, {CueThreat, "举报", 1.5, false}, {CueThreat, "工信部", 1.6, false},
	{CueThreat, "销户", 1.3, false}, {CueThreat, "差评", 1.0, false}, {CueThreat, "换一家", 1.2, false},
	{CueThreat, "cancel", 1.3, true}, {CueThreat, "lawyer", 1.6, true}, {CueThreat, "attorney", 1.6, true},
	{CueThreat, "sue", 1.8, true}, {CueThreat, "refund", 0.4, true}, {CueThreat, "complaint", 1.3, true},
	{CueThreat, "complain", 1.3, true}, {CueThreat, "report you", 1.5, true}, {CueThreat, "close my account", 1.4, true},
	{CueThreat, "switch to another", 1.3, true}, {CueThreat, "chargeback", 1.4, true}, {CueThreat, "your manager", 1.0, true},
	{CueThreat, "supervisor", 0.9, true},
	{CueThreat, "报警", 1.8, false}, {CueThreat, "法院", 1.8, false}, {CueThreat, "媒体", 1.2, false},
	{CueThreat, "reporting you", 1.5, true}, {CueThreat, "legal action", 1.8, true}, {CueThreat, "consumer protection", 1.8, true},
	{CueThreat, "the police", 1.6, true}, {CueThreat, "small claims", 1.8, true}, {CueThreat, "bad review", 1.0, true},
	{CueThreat, "cancelling", 1.3, true}, {CueThreat, "canceling", 1.3, true},
	// a demand for compensation: as weak as a refund request (a question about the policy must stay neutral)
	{CueThreat, "赔偿", 0.4, false}, {CueThreat, "compensation", 0.4, true}, {CueThreat, "compensate", 0.4, true},
	// confusion
	{CueConfusion, "什么意思", 3.0, false}, {CueConfusion, "啥意思", 3.0, false}, {CueConfusion, "不明白", 3.0, false},
	{CueConfusion, "听不懂", 3.0, false}, {CueConfusion, "没听懂", 3.0, false}, {CueConfusion, "搞不懂", 3.0, false},
	{CueConfusion, "看不懂", 3.0, false}, {CueConfusion, "没看懂", 3.0, false}, {CueConfusion, "不懂", 2.5, false},
	{CueConfusion, "不清楚", 2.0, false}, {CueConfusion, "怎么回事", 2.0, false}, {CueConfusion, "什么叫", 2.0, false},
	{CueConfusion, "糊涂", 2.5, false}, {CueConfusion, "不太明白", 3.0, false}, {CueConfusion, "不太懂", 2.5, false},
	{CueConfusion, "没明白", 3.0, false}, {CueConfusion, "不知道怎么", 1.5, false}, {CueConfusion, "是什么意思", 3.0, false},
	{CueConfusion, "没听明白", 3.0, false}, {CueConfusion, "听不明白", 3.0, false}, {CueConfusion, "没太明白", 3.0, false},
	{CueConfusion, "没看明白", 3.0, false}, {CueConfusion, "看不明白", 3.0, false}, {CueConfusion, "没搞明白", 3.0, false},
	{CueConfusion, "搞不明白", 3.0, false}, {CueConfusion, "没弄明白", 3.0, false}, {CueConfusion, "弄不明白", 3.0, false},
	{CueConfusion, "没搞懂", 3.0, false}, {CueConfusion, "没弄懂", 3.0, false}, {CueConfusion, "弄不懂", 3.0, false},
	{CueConfusion, "a bit lost", 2.5, true}, {CueConfusion, "don't follow", 2.5, true}, {CueConfusion, "what is this charge", 1.5, true},
	{CueConfusion, "i don't understand", 3.0, true}, {CueConfusion, "i do not understand", 3.0, true},
	{CueConfusion, "i really don't understand", 3.0, true}, {CueConfusion, "i just don't understand", 3.0, true},
	{CueConfusion, "i still don't understand", 3.0, true}, {CueConfusion, "i really don't get it", 3.0, true},
	{CueConfusion, "don't get it", 3.0, true}, {CueConfusion, "what do you mean", 3.0, true},
	{CueConfusion, "confused", 3.0, true}, {CueConfusion, "confusing", 2.5, true}, {CueConfusion, "makes no sense", 2.5, true},
	{CueConfusion, "doesn't make sense", 2.5, true}, {CueConfusion, "what does that mean", 3.0, true},
	{CueConfusion, "not sure what", 2.0, true}, {CueConfusion, "i'm lost", 2.5, true}, {CueConfusion, "unclear", 2.0, true},
	{CueConfusion, "not sure i understand", 2.5, true}, {CueConfusion, "not sure i follow", 2.5, true},
	{CueConfusion, "don't quite understand", 3.0, true}, {CueConfusion, "don't really understand", 3.0, true},
	{CueConfusion, "didn't understand", 3.0, true}, {CueConfusion, "can't understand", 2.5, true},
	{CueConfusion, "hard to understand", 2.5, true}, {CueConfusion, "not following", 2.5, true},
	// polite request forms
	{CuePolite, "请问", 1.0, false}, {CuePolite, "麻烦", 0.8, false}, {CuePolite, "请帮我", 1.0, false},
	{CuePolite, "想咨询", 1.0, false}, {CuePolite, "想问一下", 1.0, false},
	{CuePolite, "could you", 0.8, true}, {CuePolite, "can you", 0.6, true}, {CuePolite, "would you", 0.8, true},
	{CuePolite, "please", 0.6, true}, {CuePolite, "may i", 0.8, true}, {CuePolite, "i'd like to", 0.8, true},
	{CuePolite, "i would like to", 0.8, true},
	// worry and urgency
	{CueWorry, "着急", 1.3, false}, {CueWorry, "急死", 1.6, false}, {CueWorry, "担心", 1.3, false},
	{CueWorry, "怎么办", 1.2, false}, {CueWorry, "害怕", 1.3, false}, {CueWorry, "急用", 1.2, false},
	{CueWorry, "来不及", 1.2, false},
	{CueWorry, "worried", 1.8, true}, {CueWorry, "worry", 1.5, true}, {CueWorry, "nervous", 1.5, true}, {CueWorry, "urgent", 1.3, true}, {CueWorry, "asap", 1.0, true},
	{CueWorry, "scared", 1.3, true}, {CueWorry, "afraid", 1.0, true}, {CueWorry, "panic", 1.3, true},
	{CueWorry, "emergency", 1.3, true}, {CueWorry, "as soon as possible", 1.0, true},
	{CueWorry, "被盗", 1.4, false}, {CueWorry, "盗刷", 1.4, false}, {CueWorry, "被骗", 1.3, false}, {CueWorry, "丢了", 0.8, false},
	{CueWorry, "stolen", 1.4, true}, {CueWorry, "stole", 1.4, true}, {CueWorry, "hacked", 1.4, true}, {CueWorry, "fraud", 1.2, true},
	// annoyance and blame (a complaint without a threat)
	{CueAnnoyance, "太慢", 1.0, false}, {CueAnnoyance, "这么慢", 1.0, false}, {CueAnnoyance, "好慢", 0.9, false},
	{CueAnnoyance, "太差", 1.2, false}, {CueAnnoyance, "真差", 1.2, false}, {CueAnnoyance, "难用", 0.9, false},
	{CueAnnoyance, "受够", 1.5, false}, {CueAnnoyance, "过分", 1.3, false}, {CueAnnoyance, "垃圾", 1.5, false},
	{CueAnnoyance, "骗子", 1.6, false}, {CueAnnoyance, "诈骗", 1.6, false}, {CueAnnoyance, "糊弄", 1.3, false},
	{CueAnnoyance, "推卸", 1.2, false}, {CueAnnoyance, "敷衍", 1.3, false}, {CueAnnoyance, "什么态度", 1.3, false},
	{CueAnnoyance, "怎么还没", 0.8, false}, {CueAnnoyance, "还没到", 0.5, false}, {CueAnnoyance, "等了半天", 0.8, false}, {CueAnnoyance, "等了好久", 0.9, false}, {CueAnnoyance, "等了这么久", 1.0, false},
	{CueAnnoyance, "凉了", 0.8, false}, {CueAnnoyance, "坏了", 0.6, false}, {CueAnnoyance, "送错", 0.8, false},
	{CueAnnoyance, "是坏的", 0.6, false}, {CueAnnoyance, "碎了", 0.6, false}, {CueAnnoyance, "是碎的", 0.6, false}, {CueAnnoyance, "破损", 0.7, false},
	{CueAnnoyance, "不能用", 0.7, false}, {CueAnnoyance, "用不了", 0.7, false},
	{CueAnnoyance, "不一样", 0.6, false}, {CueAnnoyance, "气死", 1.5, false}, {CueAnnoyance, "生气", 1.2, false},
	{CueAnnoyance, "很生气", 1.5, false}, {CueAnnoyance, "不高兴", 0.9, false}, {CueAnnoyance, "失望", 0.8, false}, {CueAnnoyance, "拖了", 0.8, false}, {CueAnnoyance, "一直拖", 1.0, false},
	{CueAnnoyance, "too slow", 1.0, true}, {CueAnnoyance, "a bit slow", 0.6, true}, {CueAnnoyance, "is slow", 0.6, true},
	{CueAnnoyance, "was slow", 0.6, true}, {CueAnnoyance, "are slow", 0.6, true}, {CueAnnoyance, "arrived late", 0.7, true},
	{CueAnnoyance, "is late", 0.6, true}, {CueAnnoyance, "was late", 0.6, true}, {CueAnnoyance, "delayed", 0.6, true},
	{CueAnnoyance, "annoying", 1.0, true}, {CueAnnoyance, "annoyed", 1.0, true}, {CueAnnoyance, "so slow", 1.0, true},
	{CueAnnoyance, "too long", 0.9, true}, {CueAnnoyance, "taking forever", 1.0, true}, {CueAnnoyance, "terrible", 1.3, true},
	{CueAnnoyance, "awful", 1.3, true}, {CueAnnoyance, "horrible", 1.3, true}, {CueAnnoyance, "worst", 1.4, true},
	{CueAnnoyance, "fed up", 1.5, true}, {CueAnnoyance, "sick of", 1.5, true}, {CueAnnoyance, "ridiculous", 1.2, true},
	{CueAnnoyance, "furious", 1.6, true}, {CueAnnoyance, "angry", 1.3, true}, {CueAnnoyance, "upset", 1.0, true},
	{CueAnnoyance, "scam", 1.5, true}, {CueAnnoyance, "scammers", 1.6, true}, {CueAnnoyance, "useless", 1.3, true},
	{CueAnnoyance, "on hold", 0.7, true}, {CueAnnoyance, "been waiting", 0.8, true}, {CueAnnoyance, "hurry up", 0.9, true},
	{CueAnnoyance, "not what i ordered", 0.9, true}, {CueAnnoyance, "damaged", 0.7, true}, {CueAnnoyance, "broken", 0.7, true},
	{CueAnnoyance, "cracked", 0.6, true}, {CueAnnoyance, "defective", 0.7, true}, {CueAnnoyance, "faulty", 0.7, true},
	{CueAnnoyance, "crashing", 0.7, true}, {CueAnnoyance, "crashed", 0.6, true}, {CueAnnoyance, "crashes", 0.6, true},
	{CueAnnoyance, "is down", 0.6, true}, {CueAnnoyance, "been down", 0.6, true}, {CueAnnoyance, "went down", 0.6, true}, {CueAnnoyance, "keeps dropping", 0.8, true}, {CueAnnoyance, "stop telling", 1.0, true}, {CueAnnoyance, "expected better", 1.0, true},
	{CueAnnoyance, "disappointed", 0.8, true}, {CueAnnoyance, "you people", 1.0, true},
	// thanks and approval
	{CueThanks, "谢谢", 1.0, false}, {CueThanks, "感谢", 1.0, false}, {CueThanks, "解决了", 1.0, false},
	{CueThanks, "挺好", 0.8, false}, {CueThanks, "太好了", 1.0, false}, {CueThanks, "满意", 0.8, false},
	{CueThanks, "thank you", 1.0, true}, {CueThanks, "thanks", 1.0, true}, {CueThanks, "perfect", 0.8, true},
	{CueThanks, "great", 0.6, true}, {CueThanks, "helpful", 0.8, true}, {CueThanks, "solved", 0.8, true},
	{CueThanks, "awesome", 0.8, true}, {CueThanks, "appreciate", 1.0, true},
	{CueThanks, "wonderful", 0.8, true}, {CueThanks, "fantastic", 0.8, true}, {CueThanks, "excellent", 0.8, true},
	{CueThanks, "brilliant", 0.6, true}, {CueThanks, "amazing", 0.6, true}, {CueThanks, "lovely", 0.6, true},
	// the problem is over: approval of the outcome
	{CueThanks, "works now", 0.8, true}, {CueThanks, "working now", 0.8, true}, {CueThanks, "works again", 0.8, true},
	{CueThanks, "working again", 0.8, true}, {CueThanks, "up and running", 0.8, true}, {CueThanks, "back to normal", 0.8, true},
	{CueThanks, "能用了", 0.8, false}, {CueThanks, "正常了", 0.8, false}, {CueThanks, "已经好了", 0.8, false},
	{CueThanks, "修好了", 1.0, false}, {CueThanks, "没事了", 0.8, false},
	{CueThanks, "太棒了", 1.0, false}, {CueThanks, "好极了", 1.0, false}, {CueThanks, "真棒", 0.8, false}, {CueThanks, "真好", 0.6, false}, {CueThanks, "真是谢谢", 1.0, false},
	// irony: set phrases that say the opposite of their words
	{CueIrony, "just perfect", 1.2, true}, {CueIrony, "just great", 1.2, true}, {CueIrony, "just wonderful", 1.2, true},
	{CueIrony, "just fantastic", 1.2, true}, {CueIrony, "just brilliant", 1.2, true}, {CueIrony, "oh great", 1.0, true},
	{CueIrony, "oh perfect", 1.0, true}, {CueIrony, "oh wonderful", 1.0, true}, {CueIrony, "oh fantastic", 1.0, true},
	{CueIrony, "oh brilliant", 1.0, true}, {CueIrony, "oh lovely", 1.0, true}, {CueIrony, "thanks for nothing", 2.0, true},
	{CueIrony, "thanks a lot for nothing", 1.5, true}, {CueIrony, "yeah right", 1.0, true}, {CueIrony, "just what i needed", 1.0, true},
	{CueIrony, "like that's going to happen", 1.2, true}, {CueIrony, "like that will happen", 1.2, true}, {CueIrony, "what a joke", 1.2, true},
	{CueIrony, "how convenient", 1.0, true}, {CueIrony, "可真行", 1.2, false},
	{CueIrony, "真有你们的", 1.2, false}, {CueIrony, "服了你们", 1.2, false}, {CueIrony, "真是服了", 1.0, false},
	// a recurrence or a long wait, said without "again"
	{CueRepeat, "another delay", 1.0, true}, {CueRepeat, "yet another", 1.0, true},
	{CueAnnoyance, "of waiting", 0.6, true},
})

// ironicPraise are the approval words a caller uses sarcastically ("Great, it
// crashed again", 太好了，又坏了): opening an utterance that names a problem and
// does not say it was solved, they are irony. Plain thanks are not among them
// ("Thanks, but it still doesn't work" is a sincere thanks and a complaint); the
// emphatic 真是谢谢 is.
var ironicPraise = map[string]bool{"great": true, "perfect": true, "awesome": true, "wonderful": true,
	"fantastic": true, "excellent": true, "brilliant": true, "amazing": true, "lovely": true,
	"太好了": true, "太棒了": true, "好极了": true, "真棒": true, "真好": true, "真是谢谢": true}

// problemKinds are the cue kinds that name a problem, so praise beside them reads
// as irony. A weak threat (a refund or compensation request) is left out: "Great,
// my refund came through" is sincere.
var problemKinds = map[string]float64{CueAnnoyance: 0, CueRepeat: 0, CueNegation: 0, CueThreat: 0.5, CueIrony: 0}

// resolvedMarkers say the problem is over, so praise beside it is sincere ("Great,
// it was broken but it works now").
var resolvedMarkers = []string{"fixed", "solved", "resolved", "sorted", "works now", "working now", "works again",
	"fine now", "all good", "working again", "running again", "back to normal", "解决了", "修好", "处理好了", "弄好了", "搞定", "没问题了", "可以用了", "能用了", "正常了", "已经好了", "收到了", "已经到了"}

// praiseAt is an approval cue that may turn out ironic: its index in dst and its bytes in lower.
type praiseAt struct {
	i, a, b int
	ironic  bool // a word that can be said in irony (ironicPraise)
}

func sortLexicon(l []lexEntry) []lexEntry {
	// insertion sort by phrase length, longest first (stable, small list, runs once)
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && len(l[j].phrase) > len(l[j-1].phrase); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	return l
}

// englishNegators and englishPositives find "not happy", "doesn't work", "never
// arrived" without listing every phrase.
var englishNegators = map[string]bool{"not": true, "never": true, "no": true, "cannot": true, "can't": true,
	"don't": true, "doesn't": true, "didn't": true, "isn't": true, "wasn't": true, "won't": true, "hasn't": true,
	"haven't": true, "aren't": true, "couldn't": true, "wouldn't": true,
	// typed without the apostrophe, as chat and web forms often are
	"cant": true, "dont": true, "doesnt": true, "didnt": true, "isnt": true, "wasnt": true, "wont": true,
	"hasnt": true, "havent": true, "arent": true, "couldnt": true, "wouldnt": true}

var englishPositives = map[string]bool{"happy": true, "satisfied": true, "good": true, "great": true, "work": true,
	"working": true, "works": true, "worked": true, "helpful": true, "help": true, "helped": true, "fixed": true,
	"resolved": true, "solved": true, "acceptable": true, "fine": true, "ok": true, "okay": true, "arrived": true,
	"received": true, "fair": true, "right": true, "fix": true, "helping": true, "answer": true, "answered": true}

type span struct {
	a, b int
	kind string
}

// overlapsKind reports whether bytes [a, b) overlap a cue of kind already found,
// so one stretch of text is never counted twice as the same kind.
func overlapsKind(spans []span, a, b int, kind string) bool {
	for _, s := range spans {
		if s.kind == kind && a < s.b && b > s.a {
			return true
		}
	}
	return false
}

// scanCues finds the lexical cues in text (already lower-cased in lower) and
// appends them to dst. orig is the original text, for shouting (capitals). denied,
// when not nil, is told the bytes [a, b) of lower of each phrase that does not mean
// what its words say: a feeling the caller rules out ("not angry", 我不生气) and
// praise said in irony ("just perfect"), so the text model can be kept from
// reading it too.
func scanCues(orig, lower string, dst []Cue, denied func(a, b int)) []Cue {
	return scanCuesIn(orig, lower, dst, denied, true)
}

// scanCuesIn is scanCues; contrast says whether to look for a "but" that turns
// the utterance (off when scanning what follows one).
func scanCuesIn(orig, lower string, dst []Cue, denied func(a, b int), contrast bool) []Cue {
	start := len(dst)
	// cue texts are cut from orig at offsets found in lower; lower-casing can change
	// the byte length (invalid UTF-8 becomes U+FFFD, some runes change size), and
	// then only lower itself is safe to cut
	src := orig
	if len(src) != len(lower) {
		src = lower
	}
	var used [16]span
	spans := used[:0]
	var praiseBuf [4]praiseAt
	praise := praiseBuf[:0]
	overlaps := func(a, b int, kind string) bool { return overlapsKind(spans, a, b, kind) }
	for _, e := range lexicon {
		from := 0
		for {
			i := strings.Index(lower[from:], e.phrase)
			if i < 0 {
				break
			}
			a := from + i
			b := a + len(e.phrase)
			from = b
			if e.word && !(wordBoundary(lower, a-1) && wordBoundary(lower, b)) {
				continue
			}
			if overlaps(a, b, e.kind) || e.kind == CueNegation && strings.HasPrefix(e.phrase, "没") && strings.HasSuffix(lower[:a], "有") {
				continue // 有没有… is a question, not a denial
			}
			if e.kind == CueThanks && overlaps(a, b, CueIrony) {
				continue // the "perfect" of "just perfect"
			}
			if e.kind == CueThanks && (overlaps(a, b, CueNegation) || negatedBefore(lower[:a]) || stoppedBefore(lower[:a])) {
				// 不满意, not helpful: no approval. A denied Chinese approval word
				// is a complaint (不满意 is in the lexicon; 不太满意, 不是很满意 and
				// the like cannot all be listed); softened, it weighs two thirds.
				if n := zhNegator(lower[:a]); n != "" && !overlaps(a-len(n), b, CueNegation) {
					w := 1.2
					if n != "不" && n != "没" {
						w = 0.8
					}
					spans = append(spans, span{a - len(n), b, CueNegation})
					dst = append(dst, Cue{Kind: CueNegation, Text: src[a-len(n) : b], Weight: w})
				}
				continue
			}
			if deniable[e.kind] && !strings.HasPrefix(e.phrase, "不") && !strings.HasPrefix(e.phrase, "没") {
				d := denialStart(lower[:a])
				if d < 0 && e.kind == CueWorry {
					d = reassuranceStart(lower[:a])
				}
				if d >= 0 {
					if denied != nil {
						denied(d, b)
					}
					continue // 我不是要投诉, I'm not angry, not worried: the caller rules it out
				}
			}
			if e.kind == CueThanks && outcomes[e.phrase] && (asked(lower[b:]) || problemAfter(lower[b:])) {
				continue // "When will it be working again?" hopes for it; "说修好了，今天又坏了" it did not last
			}
			if e.kind == CueRepeat && repeatsGood(lower[:a], e.phrase, lower[b:], e.word) {
				continue // "thanks again", "it works again", 又能用了: nothing went wrong again
			}
			if e.phrase == "不满" && startsWithCount(lower[b:]) {
				continue // 不满一年, 不满18岁: "less than", not "dissatisfied"
			}
			if e.phrase == "不行" && (strings.HasSuffix(lower[:a], "到") || strings.HasSuffix(lower[:a], "得")) {
				continue // 爽到不行, 好得不行: "extremely", not "no good"
			}
			if e.kind == CueIntensifier && e.phrase == "太" && strings.HasSuffix(lower[:a], "不") {
				continue // 不太 softens ("not quite"), it does not intensify
			}
			if e.kind == CueConfusion && !e.word {
				if y := agentSubject(lower[:a], e.phrase); y >= 0 {
					// 你们听不懂吗, 你到底懂不懂: the caller blames the agent; they are
					// not lost. The span still holds 不懂 inside 听不懂 off.
					spans = append(spans, span{a, b, CueConfusion}, span{y, b, CueAnnoyance})
					dst = append(dst, Cue{Kind: CueAnnoyance, Text: src[y:b], Weight: 1.3})
					continue
				}
			}
			if e.kind == CueThanks {
				praise = append(praise, praiseAt{len(dst), a, b, ironicPraise[e.phrase]})
			}
			if e.kind == CueIrony && denied != nil {
				denied(a, b) // "just perfect" is no praise for the model to read
			}
			spans = append(spans, span{a, b, e.kind})
			dst = append(dst, Cue{Kind: e.kind, Text: src[a:b], Weight: e.strength})
		}
	}
	dst = scanCounts(lower, src, spans, dst)
	dst = scanEnglishNegation(lower, src, spans, dst)
	dst = scanShouting(orig, dst)
	if len(praise) > 0 {
		// Praise beside a problem that is not solved is irony; with a "but" in the
		// utterance only the problems on the praise's own side count ("The food was
		// great, but the delivery was late" is sincere), a solution anywhere ("Great,
		// it was broken, but it is fixed now").
		m, end := -1, -1
		if contrast {
			m, end = contrastAt(lower)
		}
		sides := [2]int{-1, -1} // 1 when that side names a problem, 0 when not
		ironicBeside := func(a int) bool {
			if resolved(lower) {
				return false
			}
			if m <= 0 {
				return namesProblem(dst[start:])
			}
			side, text := 0, lower[:m]
			if a >= m {
				side, text = 1, lower[end:]
			}
			if sides[side] < 0 {
				sides[side] = 0
				if namesProblem(scanCuesIn(text, text, nil, nil, false)) {
					sides[side] = 1
				}
			}
			return sides[side] == 1
		}
		first := firstClauseEnd(lower)
		for _, p := range praise {
			if !p.ironic || p.a >= first {
				continue // praise further on is about something else: "唉，有个好闺蜜真好"
			}
			if !ironicBeside(p.a) {
				continue
			}
			dst[p.i].Kind = CueIrony
			if denied != nil {
				denied(p.a, p.b)
			}
		}
	}
	if contrast {
		dst = concedeBeforeBut(lower, dst, start, spans, praise, denied)
	}
	return dst
}

// contrastMarkers turn a sentence towards what follows them: "Thanks, but it
// still crashes" is about the crash.
var contrastMarkers = []string{" but ", "但是", "可是", "不过", " however", "然而"}

// concedeBeforeBut reads "X, but Y" as Y, the point the caller turned to.
//
// When Y names a problem that is not solved, X is a concession ("包装很精美，可是里面的
// 东西是坏的", "Thanks, but it still crashes"): approval said in X is dropped, and X is
// kept from the model, unless it names a problem of its own ("it broke again, but
// whatever"), which the model should still read.
//
// When Y says the problem is solved or thanks, and names none, X is a problem that is
// over ("I was annoyed at first, but you solved it, thank you"): the problem cues found
// in X are dropped and X is kept from the model. Counted repetitions stay either way;
// they are facts of the call. spans holds the bytes of the lexicon cues dst[start:]
// begins with, in the same order.
func concedeBeforeBut(lower string, dst []Cue, start int, spans []span, praise []praiseAt, denied func(a, b int)) []Cue {
	m, end := contrastAt(lower)
	if m <= 0 {
		return dst
	}
	after := scanCuesIn(lower[end:], lower[end:], nil, nil, false)
	drop := 0
	switch {
	case unresolvedProblem(lower[end:], after):
		for _, p := range praise {
			if p.a < m && dst[p.i].Kind == CueThanks {
				dst[p.i].Kind = ""
				drop++
			}
		}
		// Without approval to drop, only a named fault makes X a concession: "still"
		// or "always" alone ("I'm feeling optimistic, but I'm still keeping my fingers
		// crossed") leaves the feeling in X the caller's own.
		if denied != nil && (drop > 0 || namesFault(after) && !namesProblem(scanCuesIn(lower[:m], lower[:m], nil, nil, false))) {
			denied(0, m)
		}
	case !namesProblem(after) && (gratitude(lower[end:]) || resolved(lower[end:])):
		for k, sp := range spans {
			if _, problem := problemKinds[sp.kind]; problem && sp.a < m && dst[start+k].Kind == sp.kind {
				dst[start+k].Kind = ""
				drop++
			}
		}
		if drop > 0 && denied != nil {
			denied(0, m)
		}
	}
	if drop == 0 {
		return dst
	}
	out := dst[:0]
	for _, c := range dst {
		if c.Kind != "" {
			out = append(out, c)
		}
	}
	return out
}

// goodAfterRepeat are what, right after a repetition word, makes it a good thing
// that goes on or came back ("still works fine", 又能用了, 再次感谢, "always been
// happy with you") rather than a problem that keeps coming back.
var goodAfterRepeat = map[string][]string{
	"still":  {"love", "loves", "like", "likes", "works", "working", "work", "fine", "good", "happy", "valid", "ok", "okay", "great", "grateful", "thankful", "enjoy", "recommend", "trust"},
	"always": {"love", "loved", "loves", "like", "liked", "likes", "been happy", "been satisfied", "been great", "been good", "been helpful", "been a loyal", "helpful", "help", "helped", "enjoy", "enjoyed", "recommend", "trust", "trusted"},
	"又":      {"能用", "可以用", "可以了", "能正常", "正常了", "好了", "恢复", "能上", "通了"},
	"再次":     {"感谢", "谢谢", "表示感谢", "致谢"},
	"一直":     {"很满意", "挺满意", "满意", "很喜欢", "喜欢", "支持", "信任", "很好", "挺好"},
}

// goodBeforeAgain are the words that, right before "again", say what came back is
// good: "thank you again", "it's working again", "up and running again".
var goodBeforeAgain = map[string]bool{"thanks": true, "thank": true, "you": true, "much": true, "lot": true,
	"working": true, "works": true, "work": true, "running": true, "online": true, "fine": true, "happy": true,
	"good": true, "normal": true, "ok": true, "okay": true, "better": true, "great": true, "smoothly": true, "properly": true}

// stoppers, right before a good word, turn it back into the problem: "not working
// again", "stopped working again".
var stoppers = map[string]bool{"stopped": true, "stop": true, "stops": true, "quit": true, "longer": true}

// outcomes are the approval phrases that say a problem is over; asked, they only
// hope it will be.
var outcomes = map[string]bool{"works now": true, "working now": true, "works again": true, "working again": true,
	"up and running": true, "back to normal": true, "能用了": true, "正常了": true, "已经好了": true, "修好了": true, "没事了": true}

// asked reports whether the sentence that goes on with after is a question.
func asked(after string) bool {
	if strings.HasPrefix(after, "吗") || strings.HasPrefix(after, "么") || strings.HasPrefix(after, "没") {
		return true
	}
	i := strings.IndexAny(after, ".!?。！？")
	return i >= 0 && (after[i] == '?' || strings.HasPrefix(after[i:], "？"))
}

// problemAfter reports whether the rest of an utterance after an outcome ("修好了",
// "up and running") names a problem, so the outcome did not last. An "again" right
// after the outcome is its own ("up and running again").
func problemAfter(after string) bool {
	after = strings.TrimPrefix(strings.TrimLeft(after, " "), "again")
	return namesProblem(scanCuesIn(after, after, nil, nil, false))
}

// agentSubject returns where 你 (or 你们, 您) starts when it is the subject of a
// Chinese phrase of understanding (听不懂, 不明白), a few characters before it in the
// same clause: 你们听不懂吗, 你到底懂不懂, 你没听明白吗. It returns -1 when the
// caller is the one who does not understand (我听不懂, 你说的我不明白, 你讲的听不懂).
func agentSubject(before, phrase string) int {
	if !strings.Contains(phrase, "懂") && !strings.Contains(phrase, "明白") {
		return -1
	}
	clause := lastClauseStart(before)
	y := strings.LastIndex(before[clause:], "你")
	if z := strings.LastIndex(before[clause:], "您"); z > y {
		y = z
	}
	if y < 0 {
		return -1
	}
	y += clause
	rest := strings.TrimPrefix(before[y+len("你"):], "们")
	if utf8.RuneCountInString(rest) > 4 || strings.ContainsAny(rest, "我说讲的话") {
		return -1
	}
	return y
}

// stoppedBefore reports whether the word just before a phrase is a stopper.
func stoppedBefore(before string) bool {
	words := strings.Fields(before)
	return len(words) > 0 && stoppers[words[len(words)-1]]
}

// repeatsGood reports whether a repetition word (phrase, between before and after;
// word when it matches at word boundaries) repeats something good: thanks said
// again, a service working again.
func repeatsGood(before, phrase, after string, word bool) bool {
	if phrase == "again" || phrase == "once again" {
		words := strings.Fields(before)
		if phrase == "again" && len(words) > 0 && words[len(words)-1] == "once" {
			words = words[:len(words)-1] // "once again" as a whole
		}
		if len(words) == 0 || strings.ContainsAny(words[len(words)-1], ",.;:!?") {
			// "Again, thank you": the repetition is of the thanks after it
			return strings.HasPrefix(strings.TrimLeft(after, " ,"), "thank")
		}
		w := words[len(words)-1]
		if !goodBeforeAgain[w] {
			return false
		}
		if w == "you" || w == "much" || w == "lot" {
			return strings.Contains(before, "thank") // "thank you again", not "you again"
		}
		head := strings.Join(words[:len(words)-1], " ") // what comes before the good word
		return !negatedBefore(head) && !stoppedBefore(head)
	}
	after = strings.TrimLeft(after, " ")
	for _, g := range goodAfterRepeat[phrase] {
		if strings.HasPrefix(after, g) && (!word || wordBoundary(after, len(g))) {
			return true
		}
	}
	return false
}

// clauseBreaks are the punctuation marks that end a clause, in both languages.
const clauseBreaks = ",.!?;:~，。！？；：～…"

// firstClauseEnd is where the first clause of s ends (its first punctuation), or len(s).
func firstClauseEnd(s string) int {
	if i := strings.IndexAny(s, clauseBreaks); i >= 0 {
		return i
	}
	return len(s)
}

// lastClauseStart is where the last clause of s starts (after its last
// punctuation), or 0.
func lastClauseStart(s string) int {
	i := strings.LastIndexAny(s, clauseBreaks)
	if i < 0 {
		return 0
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return i + n
}

// isProblem reports whether c is of a kind that names a problem, strongly enough.
func isProblem(c Cue) bool {
	min, ok := problemKinds[c.Kind]
	return ok && c.Weight > min
}

// hasKind reports whether any of cues is of kind.
func hasKind(cues []Cue, kind string) bool {
	return slices.ContainsFunc(cues, func(c Cue) bool { return c.Kind == kind })
}

// namesProblem reports whether any of cues names a problem.
func namesProblem(cues []Cue) bool { return slices.ContainsFunc(cues, isProblem) }

// namesFault reports whether cues name a problem by more than a word of
// repetition (still, always, again).
func namesFault(cues []Cue) bool {
	return slices.ContainsFunc(cues, func(c Cue) bool { return c.Kind != CueRepeat && isProblem(c) })
}

// unresolvedProblem reports whether text with these cues names a problem and
// says nothing of it being solved: praise beside it is irony, thanks before a
// "but" that leads to it are politeness.
func unresolvedProblem(lower string, cues []Cue) bool {
	return namesProblem(cues) && !resolved(lower)
}

// resolved reports whether lower says a problem is over (resolvedMarkers).
func resolved(lower string) bool {
	for _, m := range resolvedMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// gratitudeWords thank; plain approval ("the food was great") does not say a
// problem is over.
var gratitudeWords = []string{"thank", "appreciate", "谢"}

// gratitude reports whether lower thanks someone.
func gratitude(lower string) bool {
	for _, w := range gratitudeWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// contrastAt finds the last contrast marker in lower: its first byte and the byte
// after it, or -1, -1.
func contrastAt(lower string) (m, end int) {
	m, end = -1, -1
	for _, c := range contrastMarkers {
		if i := strings.LastIndex(lower, c); i > m {
			m, end = i, i+len(c)
		}
	}
	return m, end
}

// Counted repetition: callers count how often they tried ("打了三次", "退款申请了三次",
// "I've called four times") far more often than they use a fixed phrase, so the
// count is read, not listed. Chinese needs 了/过/第 before the count or 了 after it,
// so "三次元" or "一次性" are not counted and "扣了我两次钱" (a double charge, told)
// is left to the model; English skips multiplication ("three times faster").
var (
	zhCount = regexp.MustCompile(`(?:[了过第])([0-9０-９]+|[两二三四五六七八九十几多好]+)[次遍回]|([0-9０-９]+|[两二三四五六七八九十几多好]+)[次遍回]了`)
	enCount = regexp.MustCompile(`\b(two|three|four|five|six|seven|eight|nine|ten|a dozen|dozens of|several|multiple|many|countless|a few|a couple of|[0-9]+) times\b( (?:more|less|faster|slower|bigger|smaller|higher|lower|larger|as|the|a|an|over)\b)?`)
)

// scanCounts adds a repeat cue for each counted repetition not already covered by a
// lexicon phrase (第三次, how many times). The weight grows with the count, as the
// lexicon's 第二次 < 第三次 < 第四次 do.
func scanCounts(lower, src string, spans []span, dst []Cue) []Cue {
	covered := func(a, b int) bool { return overlapsKind(spans, a, b, CueRepeat) }
	var zh, en [][]int
	if strings.ContainsAny(lower, "次遍回") { // most text has no count: skip the regexps
		zh = zhCount.FindAllStringSubmatchIndex(lower, -1)
	}
	if strings.Contains(lower, " times") {
		en = enCount.FindAllStringSubmatchIndex(lower, -1)
	}
	for _, m := range zh {
		a, b := m[2], m[3] // 了三次, 第六次
		if a < 0 {
			a, b = m[4], m[5] // 三次了
		}
		from := m[0]
		if !strings.HasPrefix(lower[from:], "第") {
			from = a // the agent reads 三次, not 了三次
		}
		if w := countWeight(lower[a:b]); w > 0 && !covered(m[0], m[1]) {
			dst = append(dst, Cue{Kind: CueRepeat, Text: src[from:m[1]], Weight: w})
		}
	}
	for _, m := range en {
		if m[4] >= 0 || covered(m[0], m[1]) {
			continue // "three times faster": a multiple, not a repetition
		}
		if w := countWeight(lower[m[2]:m[3]]); w > 0 {
			dst = append(dst, Cue{Kind: CueRepeat, Text: src[m[0]:m[1]], Weight: w})
		}
	}
	return dst
}

// startsWithCount reports whether s begins with a numeral (一, 两, 十, 半, 3, …).
func startsWithCount(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r >= '0' && r <= '9' || r >= '０' && r <= '９' || strings.ContainsRune("一二两三四五六七八九十百千万几半", r)
}

// countWeight is a counted repetition's strength: twice 1.0, three times 1.3, more
// or an unspecified "several" 1.5; 0 for what is no repetition (0 times, 好次).
func countWeight(n string) float64 {
	switch n {
	case "two", "a couple of", "两", "二":
		return 1.0
	case "three", "a few", "三", "几", "好几":
		return 1.3
	case "好", "好好", "多好":
		return 0
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, n)
	if v, err := strconv.Atoi(digits); err == nil {
		switch {
		case v == 2:
			return 1.0
		case v == 3:
			return 1.3
		case v >= 4 && v < 1000:
			return 1.5
		}
		return 0
	}
	return 1.5 // four… ten, several, many, 四…十, 多, 好多
}

// zhNegators are the Chinese words that deny what follows them, longest first.
var zhNegators = []string{"不是很", "不怎么", "没那么", "不太", "不", "没"}

// zhNegator returns the Chinese negator the text just before a phrase ends with,
// or "".
func zhNegator(before string) string {
	for _, p := range zhNegators {
		if strings.HasSuffix(before, p) {
			return p
		}
	}
	return ""
}

// negatedBefore reports whether the text just before a phrase negates it: 不/没
// (optionally with 太/很/是), or an English negator within the two words before.
func negatedBefore(before string) bool {
	if zhNegator(before) != "" {
		return true
	}
	words := strings.Fields(before)
	for i := len(words) - 1; i >= 0 && i >= len(words)-2; i-- {
		if englishNegators[strings.ReplaceAll(strings.Trim(words[i], ",.!?"), "’", "'")] {
			return true
		}
	}
	return false
}

// deniable are the complaint and worry kinds a caller can rule out ("I'm not angry,
// I just want it fixed", 我不是要投诉): denied, they are no evidence either way.
var deniable = map[string]bool{CueAnnoyance: true, CueThreat: true, CueWorry: true, CueConfusion: true}

// zhDenials are what, besides the negators, rules out the phrase right after it;
// 别 is not one of them (别拖了 is a complaint).
var zhDenials = []string{"不是要", "不是想", "不打算", "用不着", "不是", "不想", "不会", "没有", "不用", "不必", "无需"}

// zhReassurances tell someone not to worry (别担心, 不要着急): said of worry, they
// rule it out; said of a fault they are a demand (别拖了, 不要敷衍我), so only
// worry listens to them.
var zhReassurances = []string{"不要", "别", "甭"}

// reassuranceStart is denialStart for worry: where a reassurance right before the
// phrase starts, or -1.
func reassuranceStart(before string) int {
	for _, r := range zhReassurances {
		if strings.HasSuffix(before, r) {
			return len(before) - len(r)
		}
	}
	return -1
}

// denialStart reports where, in the text just before a phrase, a denial of it
// starts, or -1: a Chinese denial right before it, or an English negator before it
// with at most three linking words between ("not angry", "not a complaint", "don't
// want to cancel", but not "haven't received my refund", where the verb is denied).
// "no" never does: "still no refund" is the complaint itself.
func denialStart(before string) int {
	if n := zhNegator(before); n != "" {
		return len(before) - len(n)
	}
	for _, d := range zhDenials {
		if strings.HasSuffix(before, d) {
			return len(before) - len(d)
		}
	}
	end := len(before)
	next := "" // the word after w, towards the phrase
	for n := 0; n < 4; n++ {
		rest := strings.TrimRightFunc(before[:end], unicode.IsSpace)
		i := 0
		if j := strings.LastIndexFunc(rest, unicode.IsSpace); j >= 0 {
			_, size := utf8.DecodeRuneInString(rest[j:])
			i = j + size
		}
		if i >= len(rest) {
			return -1
		}
		w := strings.ReplaceAll(rest[i:], "’", "'")
		if strings.ContainsAny(w[len(w)-1:], ",.;:!?") {
			return -1 // the clause ended: "No, cancel it"
		}
		switch {
		case englishNegators[w] && (w != "no" || next == "need"):
			return i // "no need to worry" rules it out; "still no refund" does not
		case !denialLinks[w]:
			return -1
		}
		end, next = i, w
	}
	return -1
}

// denialLinks are the words that may stand between an English negator and the
// phrase it rules out.
var denialLinks = map[string]bool{"a": true, "an": true, "the": true, "that": true, "so": true, "very": true,
	"really": true, "too": true, "even": true, "at": true, "all": true, "being": true, "feeling": true,
	"trying": true, "going": true, "to": true, "want": true, "wanting": true, "planning": true, "gonna": true,
	"looking": true, "here": true, "calling": true, "making": true, "filing": true, "asking": true, "for": true, "any": true,
	"need": true, "needs": true, "have": true, "having": true, "has": true}

// wordBoundary reports whether byte i of s is outside a Latin word.
func wordBoundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'')
}

// scanEnglishNegation finds a negator followed within three words by a positive
// word ("not happy", "doesn't really work").
func scanEnglishNegation(lower, orig string, spans []span, dst []Cue) []Cue {
	negAt := -1 // word index of the last negator
	negStart := 0
	negWindow := 3 // how many words after it a good word is still denied
	wi := 0
	start := -1
	for i := 0; i <= len(lower); i++ {
		in := i < len(lower) && !wordBoundary(lower, i)
		if in && start < 0 {
			start = i
		}
		if in {
			continue
		}
		if start >= 0 {
			w := strings.ReplaceAll(lower[start:i], "’", "'")
			switch {
			case englishNegators[w]:
				negAt, negStart, negWindow = wi, start, 3
			case stoppers[w] && w != "longer":
				// "stopped working", "quit working": the good thing right after it has ended
				negAt, negStart, negWindow = wi, start, 1
			case negAt >= 0 && wi-negAt <= negWindow && englishPositives[w]:
				if !overlapsKind(spans, negStart, i, CueNegation) {
					dst = append(dst, Cue{Kind: CueNegation, Text: orig[negStart:i], Weight: 1.0})
				}
				negAt = -1
			}
			wi++
			start = -1
		}
		if i < len(lower) && strings.IndexByte(",.;:!?", lower[i]) >= 0 {
			negAt = -1 // the clause ended: "No, that's fine" and "not worried, it's fine" deny nothing
		}
	}
	return dst
}

// scanShouting finds runs of ?/! and words in capitals.
func scanShouting(orig string, dst []Cue) []Cue {
	run, best := 0, 0
	for _, r := range orig {
		switch r {
		case '?', '？', '!', '！':
			run++
			best = max(best, run)
		default:
			run = 0
		}
	}
	if best >= 2 {
		dst = append(dst, Cue{Kind: CueShouting, Text: fmt.Sprintf("%d× ?/!", best), Weight: 0.4 * float64(min(best, 5))})
	}
	var caps, words, letters, upper int
	inWord := false
	for _, r := range orig {
		if r < 128 && unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
			inWord = true
			continue
		}
		if inWord {
			words++
			if letters >= 3 && upper == letters {
				caps++
			}
		}
		inWord, letters, upper = false, 0, 0
	}
	if inWord {
		words++
		if letters >= 3 && upper == letters {
			caps++
		}
	}
	if caps >= 2 || caps >= 1 && words <= 2 && words > 0 {
		dst = append(dst, Cue{Kind: CueShouting, Text: fmt.Sprintf("%d words in capitals", caps), Weight: 0.5 * float64(min(caps, 4))})
	}
	return dst
}
