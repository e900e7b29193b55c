package main

import (
	"slices"
	"testing"

	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/dialog"
)

// The shipped configurations must define every queue the shipped flow hands
// callers to; a missing one rings nobody on a real line.
func TestShippedConfigsDefineTheFlowsQueues(t *testing.T) {
	eng, err := dialog.Load("../../config/flows")
	if err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "set" } // secrets present, as in production
	for _, file := range []string{"../../config/calmline.yaml", "../../docker/calmline.yaml"} {
		cfg, err := config.Load(file, env)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if missing := undefinedQueues(eng, cfg.Queues); len(missing) > 0 {
			t.Errorf("%s: the flow hands off to queues %v, which the config does not define", file, missing)
		}
	}
	// What serve warns about when one is missing.
	got := undefinedQueues(eng, map[string]config.QueueConfig{"agents": {}, "vip": {}})
	if !slices.Equal(got, []string{"expert", "legal"}) {
		t.Errorf("undefinedQueues = %v, want [expert legal]", got)
	}
}
