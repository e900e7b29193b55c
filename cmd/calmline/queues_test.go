package main

import (
	"sort"
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
	var used []string
	for _, name := range eng.Flows() {
		for q := range eng.Flow(name).Queues {
			used = append(used, q)
		}
	}
	sort.Strings(used)
	if len(used) == 0 {
		t.Fatal("the shipped flow names no queues")
	}
	env := func(string) string { return "set" } // secrets present, as in production
	for _, file := range []string{"../../config/calmline.yaml", "../../docker/calmline.yaml"} {
		cfg, err := config.Load(file, env)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, q := range used {
			if _, ok := cfg.Queues[q]; !ok {
				t.Errorf("%s: the flow hands off to queue %q, which the config does not define", file, q)
			}
		}
	}
}
