package main

import (
	"strings"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

// newSimListener returns the simulator's emotion listener.
//
// Until the emotion package's trained model (emotion.Default) is merged, this is a
// small cue lexicon plus a trajectory tracker: enough to exercise every policy tier
// from a script, not a model of anyone's feelings. Swap it for
// emotion.Default().NewCall() when that lands.
func newSimListener() (listener, error) { return &cueListener{}, nil }

// cueListener reads emotion from a handful of unmistakable cues and the script's
// arousal, and keeps the call's trajectory.
type cueListener struct {
	hist  []emotion.Reading
	tr    emotion.Trajectory
	peak  emotion.Level
	rises int
}

var (
	angryCues = []string{"angry", "ridiculous", "unacceptable", "terrible", "useless", "worst", "complain", "furious", "again", "still",
		"生气", "太差", "投诉", "离谱", "垃圾", "受不了", "又", "还没", "第三次", "什么破"}
	severeCues   = []string{"furious", "worst", "complain", "投诉", "曝光", "受够了", "media", "regulator"}
	confusedCues = []string{"don't understand", "what do you mean", "confused", "how do i", "不明白", "什么意思", "不懂", "怎么弄"}
	anxiousCues  = []string{"worried", "urgent", "scared", "着急", "担心", "急"}
	happyCues    = []string{"thank", "great", "perfect", "谢谢", "太好了", "好的"}
)

func countCues(text string, cues []string) (int, []emotion.Cue) {
	n := 0
	var out []emotion.Cue
	for _, c := range cues {
		if strings.Contains(text, c) {
			n++
			out = append(out, emotion.Cue{Kind: "lexicon", Text: c, Weight: 1})
		}
	}
	return n, out
}

func (l *cueListener) Turn(text string, f *dsp.Features) emotion.Reading {
	t := strings.ToLower(text)
	r := emotion.Reading{Category: emotion.Neutral, Level: emotion.Calm, Confidence: 0.6, Lang: "en"}
	for _, c := range text {
		if c >= 0x4e00 && c <= 0x9fff {
			r.Lang = "zh"
			break
		}
	}
	if text == "" {
		r.Lang = ""
	}
	arousal := 0.3
	if f != nil {
		arousal = min(1, max(0, (f.LoudMeanDB+30)/14))
		if arousal > 0.6 {
			r.Cues = append(r.Cues, emotion.Cue{Kind: "acoustic", Text: "loud, high and fast voice", Weight: arousal})
		}
	}
	r.Arousal = arousal
	na, ca := countCues(t, angryCues)
	ns, cs := countCues(t, severeCues)
	nc, cc := countCues(t, confusedCues)
	nx, cx := countCues(t, anxiousCues)
	nh, ch := countCues(t, happyCues)
	shout := strings.Count(text, "!") + strings.Count(text, "！")
	if shout >= 2 {
		r.Cues = append(r.Cues, emotion.Cue{Kind: "shouting", Text: strings.Repeat("!", shout), Weight: 1})
	}
	switch {
	case na+ns > 0 || (shout >= 2 && arousal > 0.6):
		r.Category, r.Cues = emotion.Angry, append(r.Cues, append(ca, cs...)...)
		score := na + 2*ns
		if shout >= 2 {
			score++
		}
		if arousal > 0.6 {
			score++
		}
		if arousal > 0.85 {
			score++
		}
		r.Level = emotion.Level(min(3, 1+score/2))
		r.Confidence = min(0.95, 0.55+0.1*float64(score))
		r.Valence = -0.3 * float64(r.Level)
	case nc > 0:
		r.Category, r.Level, r.Cues, r.Confidence = emotion.Confused, emotion.Mild, append(r.Cues, cc...), 0.7
	case nx > 0:
		r.Category, r.Level, r.Cues, r.Confidence = emotion.Anxious, emotion.Mild, append(r.Cues, cx...), 0.65
		r.Valence = -0.3
	case nh > 0:
		r.Category, r.Cues, r.Confidence, r.Valence = emotion.Satisfied, append(r.Cues, ch...), 0.7, 0.6
	}
	l.track(r)
	return r
}

func negLevel(r emotion.Reading) int {
	if r.Category == emotion.Angry || r.Category == emotion.Anxious || r.Category == emotion.Sad {
		return int(r.Level) + 1
	}
	return 0
}

func (l *cueListener) track(r emotion.Reading) {
	prev := emotion.Reading{}
	if len(l.hist) > 0 {
		prev = l.hist[len(l.hist)-1]
	}
	l.hist = append(l.hist, r)
	tr := emotion.Trajectory{Turns: len(l.hist), Current: r, From: prev.Category, To: r.Category}
	tr.Switched = len(l.hist) > 1 && prev.Category != r.Category && r.Confidence >= 0.6
	switch d := negLevel(r) - negLevel(prev); {
	case d > 0 && r.Category == emotion.Angry:
		tr.Trend = emotion.Rising
		l.rises++
	case d > 0:
		tr.Trend = emotion.Rising
		l.rises = 0
	case d < 0:
		tr.Trend = emotion.Falling
		l.rises = 0
	default:
		if r.Category != emotion.Angry {
			l.rises = 0
		}
	}
	tr.RisingTurns = l.rises
	if r.Level > l.peak && negLevel(r) > 0 {
		l.peak = r.Level
	}
	tr.Peak = l.peak
	sum, n := 0, 0
	for i := max(0, len(l.hist)-3); i < len(l.hist); i++ {
		if negLevel(l.hist[i]) > 0 {
			sum += int(l.hist[i].Level)
		}
		n++
	}
	tr.Smoothed = emotion.Level((sum + n/2) / n)
	tr.EscalationRisk = min(1, float64(negLevel(r))/4+0.1*float64(l.rises))
	tr.History = append([]emotion.Reading(nil), l.hist...)
	l.tr = tr
}

func (l *cueListener) Trajectory() emotion.Trajectory { return l.tr }
