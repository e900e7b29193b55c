// Package emotion judges how a caller feels from what they say (text, Chinese and
// English), how they say it (acoustic features from dsp) and how that changes over
// the call, and explains every judgement with the cues that produced it.
package emotion

// Reading is one judgement of the caller's emotion. It is what the dialog policy acts
// on and what a human agent sees in the handoff report, so every reading carries the
// cues that produced it.
type Reading struct {
	Category   Category             `json:"category"`
	Level      Level                `json:"level"`
	Confidence float64              `json:"confidence"` // probability of Category, 0..1
	Arousal    float64              `json:"arousal"`    // probability of high arousal, 0..1
	Valence    float64              `json:"valence"`    // -1 (negative) .. 1 (positive)
	Scores     map[Category]float64 `json:"scores"`     // probability per category, sums to 1
	Cues       []Cue                `json:"cues"`       // what fired, strongest first
	Lang       string               `json:"lang"`       // "zh", "en" or "" when there was no text

	// Intensity is the negative intensity (0..1) behind Level: negative probability
	// mass × arousal plus cue boosts. The tracker smooths it over turns.
	Intensity float64 `json:"intensity"`
	// Evidence is the text side before fusion, kept so a stored reading can be
	// re-fused and fusion re-fitted from feedback labels; nil when there was no text.
	Evidence *TextEvidence `json:"evidence,omitempty"`
}

// Cue is one piece of evidence behind a reading, in words an agent understands.
type Cue struct {
	Kind   string  `json:"kind"`   // "repeat", "negation", "intensifier", "shouting", "threat", "confusion", "acoustic", "model", ...
	Text   string  `json:"text"`   // what was heard or measured, e.g. "第三次" or "pitch +4.1 st above baseline"
	Weight float64 `json:"weight"` // contribution to the decision; positive pushes toward the reading
	Note   string  `json:"note,omitempty"`
}
