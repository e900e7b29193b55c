package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem in a YAML file at a known place. Operators fix files by line
// number, so every load error calmline prints has this shape: "file:line: key: message".
type Error struct {
	File string
	Line int
	Key  string // dotted path, e.g. "asr.openai.timeout"; empty for file-level problems
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, so an operator fixes them in one pass.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Doc is a parsed YAML document that remembers where each key was written, so value
// checks after decoding can still point at a line.
type Doc struct {
	File string
	root *yaml.Node // the top mapping, or nil for an empty document
}

// DecodeStrict parses data (named file in messages) into v, a pointer to a struct
// with `yaml` tags. Unknown keys (with a did-you-mean hint), type mismatches and
// syntax errors are reported with file:line. Fields already set in v are defaults
// that the file overrides.
func DecodeStrict(file string, data []byte, v any) (*Doc, error) {
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, &Error{File: file, Line: yamlErrLine(err), Msg: cleanYAMLErr(err)}
	}
	doc := &Doc{File: file}
	if len(top.Content) == 0 {
		return doc, nil // empty file: all defaults
	}
	root := top.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "the file must be a mapping of keys to values"}
	}
	doc.root = root
	var errs Errors
	checkKeys(file, root, reflect.TypeOf(v).Elem(), "", &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	if err := root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, &Error{File: file, Line: lineFromMsg(m), Msg: cleanMsg(m)})
			}
			return nil, errs
		}
		return nil, &Error{File: file, Line: yamlErrLine(err), Msg: cleanYAMLErr(err)}
	}
	return doc, nil
}

// Line returns the line where the dotted key path was written, or 0 when the key is
// absent (the value is a default): errors about defaults then name the key alone.
func (d *Doc) Line(path string) int {
	if d == nil || d.root == nil {
		return 0
	}
	n := d.root
	line := 0
	for _, part := range strings.Split(path, ".") {
		// "webhooks[0]" is the key, then the item of the list under it.
		key, idx, _ := strings.Cut(part, "[")
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
		for idx != "" {
			var num string
			num, idx, _ = strings.Cut(idx, "]")
			idx = strings.TrimPrefix(idx, "[")
			i, err := strconv.Atoi(num)
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}

// Errorf makes an Error for key path, located in the file when it was written there.
func (d *Doc) Errorf(path, format string, args ...any) *Error {
	return &Error{File: d.File, Line: d.Line(path), Key: path, Msg: fmt.Sprintf(format, args...)}
}

// checkKeys walks the YAML tree beside the Go type and reports keys the type does not have.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return // the type parses itself
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // Decode reports the type mismatch with its line
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			f, ok := fields[k.Value]
			key := join(path, k.Value)
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := suggest(k.Value, fields); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				} else {
					msg += fmt.Sprintf("; known keys here: %s", strings.Join(sortedKeys(fields), ", "))
				}
				*errs = append(*errs, &Error{File: file, Line: k.Line, Key: key, Msg: msg})
				continue
			}
			checkKeys(file, val, f, key, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	}
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// suggest returns the known key closest to k when it is close enough to be a typo.
func suggest(k string, fields map[string]reflect.Type) string {
	return closest(k, sortedKeys(fields))
}

// closest returns the name in names nearest to k (case-insensitive), or "" when
// none is within two edits.
func closest(k string, names []string) string {
	best, bestD := "", 3
	for _, name := range names {
		if d := EditDistance(strings.ToLower(k), name); d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b in runes; "did you mean"
// hints in config and flow errors use it to find the key an operator meant.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// yaml.v3 messages look like "yaml: line 3: mapping values are not allowed in this context".
func yamlErrLine(err error) int { return lineFromMsg(err.Error()) }

func lineFromMsg(m string) int {
	i := strings.Index(m, "line ")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range m[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func cleanYAMLErr(err error) string { return cleanMsg(err.Error()) }

// cleanMsg strips the "yaml: line N:" prefix, which Error already shows as file:line.
func cleanMsg(m string) string {
	m = strings.TrimPrefix(m, "yaml: ")
	if strings.HasPrefix(m, "line ") {
		if _, rest, ok := strings.Cut(m, ": "); ok {
			m = rest
		}
	}
	return m
}
