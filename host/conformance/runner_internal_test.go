package conformance

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"
)

const runnerFeature = `Feature: runner
  Background:
    Given a counter

  Rule: steps run in order

    @ok
    Scenario: all steps pass
      When it is increased by "2"
      Then it is "2"

    Scenario: a failing step skips the rest
      When it is increased by "1"
      Then it is "5"
      And it is "1"

    Scenario: an undefined step fails the scenario
      When something nobody defined happens
      Then it is "0"

    Scenario: an ambiguous step fails the scenario
      When it is twice defined
`

// TestRunnerIsStrict: the gate's runner passes, fails, skips and refuses
// undefined and ambiguous steps like a strict godog run.
func TestRunnerIsStrict(t *testing.T) {
	fsys := fstest.MapFS{"runner.feature": {Data: []byte(runnerFeature)}, "notes.txt": {Data: []byte("not a feature")}}
	init := func(sc StepRegistrar) {
		n := 0 // fresh per scenario
		sc.Step(`^a counter$`, func() {})
		sc.Step(`^it is increased by "(\d+)"$`, func(by string) error { n += len(by) * int(by[0]-'0'); return nil })
		sc.Step(`^it is "(\d+)"$`, func(want string) error {
			if got := string(rune('0' + n)); got != want {
				return errors.New("it is " + got + ", not " + want)
			}
			return nil
		})
		sc.Step(`^it is twice defined$`, func() {})
		sc.Step(`^it is twice (defined)$`, func(string) {})
	}
	var progress strings.Builder
	fs, err := runFeatures(fsys, init, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || len(fs[0].Scenarios) != 4 {
		t.Fatalf("features: %+v", fs)
	}
	want := []struct {
		status string
		steps  []string
	}{
		{"passed", []string{"passed", "passed", "passed"}},
		{"failed", []string{"passed", "passed", "failed", "skipped"}},
		{"failed", []string{"passed", "undefined", "skipped"}},
		{"failed", []string{"passed", "ambiguous"}},
	}
	for i, sc := range fs[0].Scenarios {
		var got []string
		for _, st := range sc.Steps {
			got = append(got, st.Status)
		}
		if sc.Status() != want[i].status || strings.Join(got, ",") != strings.Join(want[i].steps, ",") {
			t.Errorf("scenario %q: %s %v, want %s %v", sc.Name, sc.Status(), got, want[i].status, want[i].steps)
		}
	}
	if s := fs[0].Scenarios[0]; s.Steps[0].Keyword != "Given" || s.Steps[0].Line != 3 || s.Line != 8 || len(s.Tags) != 1 || s.Tags[0] != "@ok" {
		t.Errorf("keywords, lines or tags lost: %+v", s)
	}
	if e := fs[0].Scenarios[1].Steps[2].Error; e != "it is 1, not 5" {
		t.Errorf("failure message %q", e)
	}
	if got := progress.String(); !strings.HasPrefix(got, "...") || !strings.Contains(got, "F-") || !strings.Contains(got, "U") || !strings.Contains(got, "A") {
		t.Errorf("progress %q", got)
	}
}

// TestRunnerRejectsBadStepFunctions: a step function of the wrong shape is
// reported, not called.
func TestRunnerRejectsBadStepFunctions(t *testing.T) {
	fsys := fstest.MapFS{"x.feature": {Data: []byte("Feature: x\n  Scenario: s\n    Given a step\n")}}
	fs, err := runFeatures(fsys, func(sc StepRegistrar) {
		sc.Step(`^a step$`, func(n int) {})
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st := fs[0].Scenarios[0].Steps[0]
	if st.Status != "failed" || !strings.Contains(st.Error, "must take 0 string(s)") {
		t.Fatalf("step %+v", st)
	}
}

// TestSimilarFailuresAreCapped: failures that differ only in numbers are
// listed MaxSimilarFailures times; the rest are counted on the first, and a
// failure repeated word for word is still listed once.
func TestSimilarFailuresAreCapped(t *testing.T) {
	g := newGate(nil, Options{}, subject{})
	for i := 0; i < 10; i++ {
		for range 2 {
			g.fail(Failure{Check: "abi", Plugin: "p", Message: "alloc(" + strings.Repeat("7", i+1) + "): unreachable"})
		}
	}
	g.fail(Failure{Check: "abi", Plugin: "q", Message: "alloc(7): unreachable"})
	g.fail(Failure{Check: "answer", Plugin: "p", Message: "alloc(7): unreachable"})
	if len(g.failures) != MaxSimilarFailures+2 {
		t.Fatalf("%d failures listed, want %d: %v", len(g.failures), MaxSimilarFailures+2, g.failures)
	}
	if g.failures[0].Similar != 10-MaxSimilarFailures || g.failures[1].Similar != 0 || g.failures[3].Similar != 0 {
		t.Fatalf("similar counts %d, %d, %d; want %d on the first only", g.failures[0].Similar, g.failures[1].Similar, g.failures[3].Similar, 10-MaxSimilarFailures)
	}
	if s := g.failures[0].String(); !strings.Contains(s, "and 7 more failure(s) like this one") {
		t.Fatalf("the first failure does not say how many were left out:\n%s", s)
	}
}
