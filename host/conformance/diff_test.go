package conformance_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// diffManifest writes a manifest running session-key with config, then
// the plugins named by more.
func diffManifest(t *testing.T, name string, config string, more ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	body := "version: 1\nplugins:\n  - name: session-key\n    path: " + catalog.MustPath(t, "session-key") + "\n    config: " + config + "\n"
	for _, m := range more {
		body += "  - path: " + catalog.MustPath(t, m) + "\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDiffOfTwinPluginsIsEmpty: the Go session-key and its AssemblyScript
// twin, set to replace the key (so both really shape every request), answer
// every case alike: the diff compares every case and lists none.
func TestDiffOfTwinPluginsIsEmpty(t *testing.T) {
	rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, "session-key-as"), Baseline: catalog.MustPath(t, "session-key"),
		Config: map[string]any{"replace": true}, Cases: 10})
	d := rep.Diff
	if d == nil {
		t.Fatal("no diff in the report")
	}
	if len(d.Cases) != 13 || d.Differs() || len(d.Changed()) != 0 {
		t.Fatalf("cases %d (want 3 contract contexts + 10 generated), changed %v", len(d.Cases), d.Changed())
	}
	requests := 0
	for _, c := range d.Cases {
		if c.Old.Kind == "request" {
			requests++
		}
	}
	if requests < 5 {
		t.Errorf("only %d cases were shaped into requests: %+v", requests, d.Cases)
	}
	if len(d.Plugins) != 1 || d.Plugins[0].Name != "session-key-as" || d.Plugins[0].SHA256 == rep.Plugins[0].SHA256 {
		t.Errorf("baseline plugins %+v: want the baseline's own sha256 under the plugin's name", d.Plugins)
	}
	// the twins are built by different compilers: their fuel differs on
	// every case they are called on, and that is listed, not a difference
	fuelChanged := 0
	for _, c := range d.Cases {
		if len(c.Fuel) == 1 && c.Fuel[0].Plugin == "session-key-as" && c.Fuel[0].Old > 0 && c.Fuel[0].New > 0 && c.Fuel[0].Old != c.Fuel[0].New {
			fuelChanged++
		}
	}
	if fuelChanged != len(d.Cases) || len(d.Listed()) != len(d.Cases) {
		t.Errorf("fuel changes listed on %d of %d cases: %+v", fuelChanged, len(d.Cases), d.Cases)
	}
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if !strings.Contains(txt.String(), "no differences in 13 cases; fuel changed in 13 case(s)") || !strings.Contains(txt.String(), "fuel session-key-as: ") {
		t.Errorf("text report:\n%s", txt.String())
	}
}

// TestDiffOfAPluginWithItselfListsNothing: fuel is deterministic, so the
// same module as its own baseline changes neither an answer nor any fuel.
func TestDiffOfAPluginWithItselfListsNothing(t *testing.T) {
	p := catalog.MustPath(t, "context-vars")
	rep := run(t, conformance.Options{Plugin: p, Baseline: p, Cases: 10})
	if rep.Diff == nil || len(rep.Diff.Cases) != 13 || len(rep.Diff.Listed()) != 0 {
		t.Fatalf("diff of a plugin with itself: %+v", rep.Diff)
	}
}

// TestDiffListsEveryChangedField: wrong-field adds userId to the request
// endpoint would have passed on; every case lists that one field, old and
// new value, in every report format; --fail-on-diff makes them failures.
func TestDiffListsEveryChangedField(t *testing.T) {
	for _, failOnDiff := range []bool{false, true} {
		rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, "testdata/broken/wrong-field"), Baseline: catalog.MustPath(t, "endpoint"),
			Cases: 4, FailOnDiff: failOnDiff})
		d := rep.Diff
		if d == nil || len(d.Cases) != 7 {
			t.Fatalf("diff %+v", d)
		}
		for i, c := range d.Cases {
			// each differing case comes with its envelope and the commands calling both versions on it
			envelope := filepath.Join(rep.ReproDir, "diff-"+strconv.Itoa(i+1)+".json")
			if _, err := os.Stat(envelope); err != nil || len(c.Replay) != 2 ||
				!strings.Contains(c.Replay[0], "plugin call "+catalog.MustPath(t, "endpoint")+" --input "+envelope+" --deterministic --seed 1 --name wrong-field") ||
				!strings.Contains(c.Replay[1], "plugin call "+catalog.MustPath(t, "testdata/broken/wrong-field")+" --input "+envelope) {
				t.Errorf("case %s: replay %q (%v)", c.Case, c.Replay, err)
			}
			want := []conformance.FieldChange{{Pointer: "/userId", Old: "(absent)", New: `"005000000000001AAA"`}}
			if c.Old != c.New || c.Old.Kind != "request" || len(c.Changes) != 1 || c.Changes[0] != want[0] {
				t.Errorf("case %s: %+v, want only %+v", c.Case, c, want)
			}
		}
		var txt, junit, cuke, html strings.Builder
		_ = rep.WriteText(&txt)
		if !strings.Contains(txt.String(), "7 of 7 cases differ") || !strings.Contains(txt.String(), `/userId: (absent) -> "005000000000001AAA"`) {
			t.Errorf("text report:\n%s", txt.String())
		}
		if err := rep.WriteJUnit(&junit); err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Name     string `xml:"name,attr"`
				Tests    int    `xml:"tests,attr"`
				Failures int    `xml:"failures,attr"`
				Cases    []struct {
					Name    string `xml:"name,attr"`
					Out     string `xml:"system-out"`
					Failure *struct {
						Text string `xml:",chardata"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(junit.String()), &suites); err != nil {
			t.Fatal(err)
		}
		last := suites.Suites[len(suites.Suites)-1]
		wantFailures := 0
		if failOnDiff {
			wantFailures = 7
		}
		if !strings.HasPrefix(last.Name, "behaviour diff against the baseline") || last.Tests != 7 || last.Failures != wantFailures ||
			!strings.Contains(last.Cases[0].Out, "/userId") || (last.Cases[0].Failure != nil) != failOnDiff {
			t.Errorf("fail-on-diff %v: JUnit diff suite %+v", failOnDiff, last)
		}
		if err := rep.WriteCucumber(&cuke); err != nil {
			t.Fatal(err)
		}
		var features []struct {
			Name     string `json:"name"`
			Elements []struct {
				Steps []struct {
					Output []string `json:"output"`
					Result struct {
						Status string `json:"status"`
					} `json:"result"`
				} `json:"steps"`
			} `json:"elements"`
		}
		if err := json.Unmarshal([]byte(cuke.String()), &features); err != nil {
			t.Fatal(err)
		}
		f := features[len(features)-1]
		wantStatus := map[bool]string{false: "passed", true: "failed"}[failOnDiff]
		if !strings.HasPrefix(f.Name, "Behaviour diff against the baseline") || len(f.Elements) != 7 ||
			f.Elements[0].Steps[0].Result.Status != wantStatus || !strings.Contains(strings.Join(f.Elements[0].Steps[0].Output, "\n"), "/userId") {
			t.Errorf("fail-on-diff %v: Cucumber diff feature %+v", failOnDiff, f)
		}
		if err := rep.WriteHTML(&html); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`id="diff" data-differs="true"`, "<code>/userId</code>", "<code>(absent)</code>", "<code>&#34;005000000000001AAA&#34;</code>"} {
			if !strings.Contains(html.String(), want) {
				t.Errorf("HTML report lacks %s", want)
			}
		}
	}
}

// TestDiffOfPipelines: the same plugin set otherwise in a manifest changes
// kinds of answer and refusal codes, and a field's value; each is listed.
func TestDiffOfPipelines(t *testing.T) {
	old := diffManifest(t, "old.yaml", "{mode: conversation, replace: true}")
	rep := run(t, conformance.Options{Manifest: diffManifest(t, "new.yaml", "{mode: sticky, replace: true}"), BaselineManifest: old, Cases: 6})
	refusalToRefusal, requestToRefusal := 0, 0
	for _, c := range rep.Diff.Cases {
		switch {
		case c.Old.Kind == "refusal" && c.Old.Code == "no_conversation_id" && c.New.Code == "bad_config":
			refusalToRefusal++
		case c.Old.Kind == "request" && c.New.Kind == "refusal" && c.New.Code == "bad_config" && c.New.Plugin == "session-key":
			requestToRefusal++
		default:
			t.Errorf("case %s: %+v", c.Case, c)
		}
	}
	if refusalToRefusal == 0 || requestToRefusal == 0 || len(rep.Diff.Changed()) != 9 {
		t.Errorf("refusal code changes %d, request to refusal %d, changed %d of %d", refusalToRefusal, requestToRefusal, len(rep.Diff.Changed()), len(rep.Diff.Cases))
	}
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if !strings.Contains(txt.String(), `answer: refusal "no_conversation_id" by session-key -> refusal "bad_config" by session-key`) {
		t.Errorf("text report:\n%s", txt.String())
	}

	rep = run(t, conformance.Options{Manifest: diffManifest(t, "new.yaml", "{mode: random, replace: true}"), BaselineManifest: old, Cases: 6})
	fields := 0
	for _, c := range rep.Diff.Changed() {
		if len(c.Changes) == 1 && c.Changes[0].Pointer == "/externalSessionKey" && c.Changes[0].Old != c.Changes[0].New {
			fields++
		}
	}
	if fields == 0 {
		t.Errorf("no /externalSessionKey change listed: %+v", rep.Diff.Changed())
	}

	// a pipeline that grew a plugin: both fields of a case are listed, in pointer order
	rep = run(t, conformance.Options{Manifest: diffManifest(t, "new.yaml", "{mode: random, replace: true}", "testdata/broken/wrong-field"), BaselineManifest: old, Cases: 2})
	typical := rep.Diff.Cases[0]
	if typical.Case != "typical context" || len(typical.Changes) != 2 || typical.Changes[0].Pointer != "/externalSessionKey" ||
		typical.Changes[1] != (conformance.FieldChange{Pointer: "/userId", Old: "(absent)", New: `"005000000000001AAA"`}) {
		t.Errorf("typical context: %+v", typical)
	}
}

// TestDiffOptions: a baseline goes with its own kind of subject.
func TestDiffOptions(t *testing.T) {
	for _, opts := range []conformance.Options{
		{Manifest: "m.yaml", Baseline: "old.wasm"},
		{Plugin: catalog.MustPath(t, "endpoint"), BaselineManifest: "old.yaml"},
	} {
		if _, err := conformance.Run(t.Context(), opts); err == nil || !strings.Contains(err.Error(), "goes with") {
			t.Errorf("%+v: %v", opts, err)
		}
	}
	_, err := conformance.Run(t.Context(), conformance.Options{Plugin: catalog.MustPath(t, "endpoint"), Baseline: filepath.Join(t.TempDir(), "none.wasm"), CacheDir: cacheDir})
	if err == nil || !strings.Contains(err.Error(), "baseline") || !strings.Contains(err.Error(), "none.wasm") {
		t.Errorf("missing baseline: %v", err)
	}
}
