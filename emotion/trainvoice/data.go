package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/calmline/calmline/dsp"
	"github.com/calmline/calmline/emotion"
)

// EmoDB classes in the order the model stores them, with the calmline category each
// maps to and whether it counts as high arousal (the usual EmoDB arousal split:
// anger, happiness, fear high; boredom, sadness, neutral low; disgust is left out of
// the binary arousal metric but trained as low-to-mid arousal "angry" evidence).
var (
	classNames = []string{"anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"}
	classCats  = []emotion.Category{emotion.Angry, emotion.Neutral, emotion.Angry, emotion.Anxious,
		emotion.Satisfied, emotion.Neutral, emotion.Sad}
	classHigh = []bool{true, false, false, true, true, false, false}
	// inArousalMetric excludes disgust from high-vs-low arousal scoring, as the
	// standard EmoDB arousal split does.
	inArousalMetric = []bool{true, true, false, true, true, true, true}
)

func classIndex(name string) int {
	for i, n := range classNames {
		if n == name {
			return i
		}
	}
	return -1
}

// clip is one labelled EmoDB recording and its measured features.
type clip struct {
	File    string       `json:"file"`
	Speaker string       `json:"speaker"`
	Class   int          `json:"class"`
	F       dsp.Features `json:"features"`
	Phone   dsp.Features `json:"phone"` // the same clip through a G.711 phone line
	// Copies holds the clip's training copies (augmentation.copyNames: other
	// speeds, crops), on both channels.
	Copies map[string]measured `json:"copies,omitempty"`
	Test   dsp.Features        `json:"-"` // what the clip is scored on (see applyChannel)
	Copy   string              `json:"-"` // "" for the recording; else the training copy it is (never scored)
}

// readLabels parses labels.csv (file,speaker,gender,age,text_code,emotion_code,emotion,version).
func readLabels(dir string) ([]clip, error) {
	fh, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return nil, fmt.Errorf("open labels: %w", err)
	}
	defer fh.Close()
	r := csv.NewReader(bufio.NewReader(fh))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read labels header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"file", "speaker", "emotion"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("labels.csv: no %q column", need)
		}
	}
	var out []clip
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read labels: %w", err)
		}
		c := classIndex(rec[col["emotion"]])
		if c < 0 {
			return nil, fmt.Errorf("labels.csv: unknown emotion %q", rec[col["emotion"]])
		}
		out = append(out, clip{File: rec[col["file"]], Speaker: rec[col["speaker"]], Class: c})
	}
	if len(out) == 0 {
		return nil, errors.New("labels.csv: no rows")
	}
	return out, nil
}

// extractAll measures every clip and its training copies (two workers: the
// machine is shared), or reads the features from cache when the cache file exists;
// a missing cache is written.
func extractAll(dir string, clips []clip, aug augmentation, cache string) error {
	if cache != "" {
		if b, err := os.ReadFile(cache); err == nil {
			var cached []clip
			if err := json.Unmarshal(b, &cached); err != nil {
				return fmt.Errorf("read feature cache %s: %w", cache, err)
			}
			byFile := map[string]clip{}
			for _, c := range cached {
				byFile[c.File] = c
			}
			for i := range clips {
				c, ok := byFile[clips[i].File]
				if !ok || c.Phone.DurationS == 0 {
					return fmt.Errorf("feature cache %s lacks %s or its phone-band features (delete it to re-extract)", cache, clips[i].File)
				}
				for _, name := range aug.copyNames() {
					if _, ok := c.Copies[name]; !ok {
						return fmt.Errorf("feature cache %s lacks the %q copy of %s (delete it to re-extract)", cache, name, clips[i].File)
					}
				}
				clips[i].F, clips[i].Phone, clips[i].Copies = c.F, c.Phone, c.Copies
			}
			return nil
		}
	}
	workers := min(2, runtime.NumCPU())
	var wg sync.WaitGroup
	errs := make([]error, len(clips))
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var rec measured
				rec, clips[i].Copies, errs[i] = features(filepath.Join(dir, clips[i].File), aug)
				clips[i].F, clips[i].Phone = rec.Wide, rec.Phone
			}
		}()
	}
	for i := range clips {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if cache != "" {
		b, err := json.Marshal(clips)
		if err != nil {
			return fmt.Errorf("encode feature cache: %w", err)
		}
		if err := os.WriteFile(cache, b, 0o644); err != nil {
			return fmt.Errorf("write feature cache: %w", err)
		}
	}
	return nil
}
