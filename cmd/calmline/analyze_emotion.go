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
		return toEmotionLine("", last)
	}
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
