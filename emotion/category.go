package emotion

import "fmt"

// Category is the kind of emotion; the dialog picks its strategy by it.
type Category int

// Categories. The zero value is Neutral: with no evidence calmline assumes a calm caller.
const (
	Neutral Category = iota
	Satisfied
	Confused
	Anxious
	Sad
	Angry
	numCategories
)

// Categories lists every category in order, for loops and score tables.
var Categories = [...]Category{Neutral, Satisfied, Confused, Anxious, Sad, Angry}

var categoryNames = [...]string{"neutral", "satisfied", "confused", "anxious", "sad", "angry"}

func (c Category) String() string {
	if c < 0 || c >= numCategories {
		return fmt.Sprintf("Category(%d)", int(c))
	}
	return categoryNames[c]
}

// ParseCategory is the inverse of String, for flows, stored readings and feedback labels.
func ParseCategory(s string) (Category, error) {
	for i, n := range categoryNames {
		if n == s {
			return Category(i), nil
		}
	}
	return Neutral, fmt.Errorf("emotion: unknown category %q (want one of %v)", s, categoryNames)
}

// MarshalText makes a Category appear by name in JSON (also as a map key).
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a category name.
func (c *Category) UnmarshalText(b []byte) error {
	v, err := ParseCategory(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Level is how strong the emotion is; the policy tiers of the product brief key on it.
type Level int

// Levels, ordered so that comparisons (level >= Moderate) read naturally.
const (
	Calm Level = iota
	Mild
	Moderate
	Severe
	numLevels
)

var levelNames = [...]string{"calm", "mild", "moderate", "severe"}

func (l Level) String() string {
	if l < 0 || l >= numLevels {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel is the inverse of String, for flow thresholds and stored readings.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), nil
		}
	}
	return Calm, fmt.Errorf("emotion: unknown level %q (want one of %v)", s, levelNames)
}

// MarshalText makes a Level appear by name in JSON.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
