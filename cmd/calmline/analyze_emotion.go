package main

import (
	"sync"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

// voiceEmotion is analyze's emotion hook: a recording has no transcript, so each
// utterance is judged by the voice model against the speaker's own earlier
// utterances (as in a live call), and the file's reading is where the speaker ended
// up. With sameCaller the earlier utterances include the previous files' (one
// caller's recordings: --one-caller). The model loads on first use so other
// commands do not pay for it.
func voiceEmotion() emotionHook {
	var once sync.Once
	var model *emotion.Model
	var loadErr error
	var c *emotion.Call
	return func(r *dsp.Result, sameCaller bool) any {
		once.Do(func() {
			voice, err := emotion.DefaultVoice()
			if err != nil {
				loadErr = err
				return
			}
			model, loadErr = emotion.Default(emotion.WithVoice(voice))
		})
		if loadErr != nil {
			return map[string]string{"error": "emotion model: " + loadErr.Error()}
		}
		if c == nil || !sameCaller {
			c = model.NewCall()
		}
		var last emotion.Reading
		utts := r.Utterances
		if len(utts) == 0 {
			// No endpointed turn (a clip that is all speech): judge the whole file.
			utts = []dsp.Utterance{{Features: r.Features}}
		}
		for i := range utts {
			last = c.Turn("", &utts[i].Features)
		}
		out := analyzedEmotion{emotionLine: toEmotionLine("", last)}
		if v := c.Voice(); v.Voiced {
			out.Voice = &voiceLine{Class: v.Class, Confidence: round(v.Classes[v.Class], 3),
				Classes: roundScores(v.Classes), Arousal: round(v.Arousal, 3)}
		}
		return out
	}
}

// analyzedEmotion is a recording's reading: the keys `calmline emotion` prints, plus
// what the voice model said in its own classes.
type analyzedEmotion struct {
	emotionLine
	Voice *voiceLine `json:"voice,omitempty"` // absent when the last utterance had too little voiced speech
}

// voiceLine is the voice model's verdict on the file's last utterance in the labels
// it was trained on (EmoDB's seven), so labelled recordings can be scored on them
// directly rather than through calmline's pooled categories.
type voiceLine struct {
	Class      string             `json:"class"`
	Confidence float64            `json:"confidence"`
	Classes    map[string]float64 `json:"classes"`
	Arousal    float64            `json:"arousal"`
}

// toEmotionLine gives a reading the keys `calmline emotion` prints.
func toEmotionLine(text string, r emotion.Reading) emotionLine {
	out := emotionLine{Text: text, Category: r.Category, Level: r.Level, Confidence: round(r.Confidence, 3),
		Arousal: round(r.Arousal, 3), Valence: round(r.Valence, 3), Scores: roundScores(r.Scores), Cues: r.Cues, Lang: r.Lang}
	if out.Cues == nil {
		out.Cues = []emotion.Cue{}
	}
	return out
}
