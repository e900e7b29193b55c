package dialog

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestSchemaMatchesTypes keeps config/flow.schema.json (what editors check) in step
// with the Go types (what the loader accepts).
func TestSchemaMatchesTypes(t *testing.T) {
	data, err := os.ReadFile("../config/flow.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	types := map[string]any{"flow": Flow{}, "pack": Pack{}, "node": Node{}, "intent": Intent{}, "tier": Tier{},
		"topic": Topic{}, "comprule": CompRule{}, "cond": Cond{}, "retry": Retry{}, "personal": Personal{}}
	for def, v := range types {
		_, names := yamlFields(reflect.TypeOf(v))
		var got []string
		for k := range s.Defs[def].Properties {
			got = append(got, k)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("schema %s has %v, Go type has %v", def, got, names)
		}
	}
}
