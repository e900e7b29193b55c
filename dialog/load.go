package dialog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/calmline/calmline/config"
	"go.yaml.in/yaml/v3"
)

//go:embed packs/*.yaml
var builtinPacks embed.FS

// maxFileBytes bounds one flow or pack file; an operator file is a few kilobytes.
const maxFileBytes = 4 << 20

// Load reads flow files and directories (flows and packs side by side), validates
// everything and returns an engine. Built-in packs (dialog/packs) are always
// available; a pack file in the paths overrides one of the same name. The error joins
// every mistake found, each "file:line: what is wrong; how to fix it".
func Load(paths ...string) (*Engine, error) {
	flows, packs, errs := readAll(paths)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(flows) == 0 {
		return nil, fmt.Errorf("load flows from %v: %w", paths, ErrNoFlow)
	}
	e, errs := build(flows, packs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.paths = append([]string(nil), paths...)
	return e, nil
}

// ValidateFiles checks flow and pack files and returns every mistake, for
// `calmline flow validate`. No errors means the files load.
func ValidateFiles(paths ...string) []error {
	flows, packs, errs := readAll(paths)
	if len(errs) > 0 {
		return errs
	}
	if len(flows) == 0 {
		return []error{fmt.Errorf("validate %v: %w", paths, ErrNoFlow)}
	}
	_, errs = build(flows, packs)
	return errs
}

func readAll(paths []string) ([]*Flow, map[string]*Pack, []error) {
	packs := map[string]*Pack{}
	var errs []error
	ents, _ := fs.ReadDir(builtinPacks, "packs")
	for _, ent := range ents {
		data, err := builtinPacks.ReadFile("packs/" + ent.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("read built-in pack %s: %w", ent.Name(), err))
			continue
		}
		f, p, perrs := parseFile("dialog/packs/"+ent.Name(), data)
		errs = append(errs, perrs...)
		if p != nil && f == nil {
			packs[p.Name] = p
		}
	}
	var flows []*Flow
	for _, path := range paths {
		files, err := expand(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, file := range files {
			data, err := readLimited(file)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			f, p, perrs := parseFile(file, data)
			errs = append(errs, perrs...)
			if f != nil {
				flows = append(flows, f)
			}
			if p != nil {
				packs[p.Name] = p
			}
		}
	}
	return flows, packs, errs
}

func readLimited(file string) ([]byte, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("read flow: %w", err)
	}
	if st.Size() > maxFileBytes {
		return nil, &Error{File: file, Line: 1, Msg: fmt.Sprintf("file is %d bytes", st.Size()), Fix: fmt.Sprintf("split it; a flow file may be at most %d bytes", maxFileBytes)}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read flow: %w", err)
	}
	return data, nil
}

// expand turns a directory into its YAML files (and those of a packs/ subdirectory).
func expand(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open flow path: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	for _, dir := range []string{path, filepath.Join(path, "packs")} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, ent := range ents {
			n := ent.Name()
			if !ent.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
				out = append(out, filepath.Join(dir, n))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// parseFile decodes one YAML document as a flow (top-level flow:) or a pack (pack:).
func parseFile(file string, data []byte) (*Flow, *Pack, []error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			// The decoder's answer to a file with no YAML document in it: "EOF".
			return nil, nil, []error{&Error{File: file, Line: 1, Msg: "the file is empty (or only comments)", Fix: "start a flow with `flow: NAME` or a pack with `pack: NAME`"}}
		}
		return nil, nil, []error{yamlErr(file, err)}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, nil, []error{&Error{File: file, Line: doc.Line, Msg: "the file is not a YAML map", Fix: "start a flow with `flow: NAME` or a pack with `pack: NAME`"}}
	}
	kind := ""
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "flow":
			kind = "flow"
		case "pack":
			if kind == "" {
				kind = "pack"
			}
		}
	}
	var target any
	var f *Flow
	var p *Pack
	switch kind {
	case "flow":
		f = &Flow{File: file, Pos: doc.Line}
		target = f
	case "pack":
		p = &Pack{File: file, Pos: doc.Line}
		target = p
	default:
		return nil, nil, []error{&Error{File: file, Line: doc.Line, Msg: "neither a flow nor a pack", Fix: "add a top-level `flow: NAME` (a call flow) or `pack: NAME` (an industry pack)"}}
	}
	var errs []error
	if err := doc.Decode(target); err != nil {
		var te *yaml.TypeError
		var ve *Error
		switch {
		case errors.As(err, &te):
			for _, m := range te.Errors {
				errs = append(errs, yamlErr(file, errors.New(m)))
			}
		case errors.As(err, &ve):
			ve.File = file
			errs = append(errs, ve)
		default:
			errs = append(errs, yamlErr(file, err))
		}
	}
	walk(file, doc, doc.Line, reflect.ValueOf(target), kind, &errs)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return f, p, nil
}

func yamlErr(file string, err error) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Fix: "check the YAML syntax (indentation, colons, quotes)"}
	}
	n, _ := strconv.Atoi(m[1])
	msg := m[2]
	fix := "check the YAML syntax (indentation, colons, quotes)"
	if strings.Contains(msg, "cannot unmarshal") {
		fix = "give this key a value of the type config/flow.schema.json expects (a number, a string, a list or a map)"
	}
	return &Error{File: file, Line: n, Msg: msg, Fix: fix}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walk rejects keys the Go types do not know (with the nearest known key as the fix)
// and records each element's line in its Pos field.
// pos is the line of the key that holds n, where an operator looks for the element.
func walk(file string, n *yaml.Node, pos int, v reflect.Value, where string, errs *[]error) {
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		// Not followed: the anchor was checked where it was defined, and following
		// aliases would let a "billion laughs" file make this walk exponential.
		return
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if f := v.FieldByName("Pos"); f.IsValid() && f.Kind() == reflect.Int && f.CanSet() {
			f.SetInt(int64(pos))
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		fields, names := yamlFields(v.Type())
		kp := v.FieldByName("KeyPos")
		if kp.IsValid() && kp.CanSet() {
			kp.Set(reflect.ValueOf(map[string]int{}))
			for i := 0; i+1 < len(n.Content); i += 2 {
				kp.SetMapIndex(reflect.ValueOf(n.Content[i].Value), reflect.ValueOf(n.Content[i].Line))
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			idx, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q in %s", k.Value, where), Fix: suggest(k.Value, names)})
				continue
			}
			walk(file, n.Content[i+1], k.Line, v.Field(idx), k.Value, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kv := reflect.ValueOf(n.Content[i].Value)
			if !kv.Type().AssignableTo(v.Type().Key()) {
				return
			}
			ev := v.MapIndex(kv)
			if ev.IsValid() {
				walk(file, n.Content[i+1], n.Content[i].Line, ev, strings.TrimSuffix(where, "s")+" "+strconv.Quote(n.Content[i].Value), errs)
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			if i < v.Len() {
				walk(file, c, c.Line, v.Index(i), where, errs)
			}
		}
	}
}

func yamlFields(t reflect.Type) (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		m[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	return m, names
}

// suggest is the fix sentence for an unknown name: the nearest known one, or the list.
func suggest(got string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := config.EditDistance(got, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && (bestD <= max(2, len(got)/2) || strings.HasPrefix(got, best) || strings.HasPrefix(best, got)) {
		return fmt.Sprintf("did you mean %q? (allowed: %s)", best, strings.Join(known, ", "))
	}
	if len(known) == 0 {
		return "remove it"
	}
	return "remove it or use one of: " + strings.Join(known, ", ")
}
