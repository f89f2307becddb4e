package docsite

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleFeature = `@area
Feature: Sample
  A description with a table:

    | Input | Meaning |
    | A     | first   |

  See agent-api.md §2, §3 and plugins/ABI.md §9.

  Background:
    Given a background step

  @salesforce-documented
  Scenario: Plain
    When something happens
    Then it passed

  Rule: Outlines

    @agentshape-decision
    Scenario Outline: Row <n>
      When row <n> runs
        | field | value |
        | n     | <n>   |

      Examples: first block
        | n |
        | 1 |
        | 2 |
        | 3 |

    Scenario: Never run
      When nothing runs
`

// writeSample writes the sample feature and a Cucumber JSON report of a
// run in which "Plain" passed, row 1 passed, row 2 failed and row 3 was
// skipped; "Never run" is absent from the report.
func writeSample(t *testing.T) (dir string, report Report) {
	t.Helper()
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "area"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "area", "sample.feature"), []byte(sampleFeature), 0o644); err != nil {
		t.Fatal(err)
	}
	type res struct {
		Status string `json:"status"`
		Error  string `json:"error_message,omitempty"`
	}
	type step struct {
		Line   int `json:"line"`
		Result res `json:"result"`
	}
	type el struct {
		Line  int    `json:"line"`
		Type  string `json:"type"`
		Steps []step `json:"steps"`
	}
	bg := step{11, res{Status: "passed"}}
	report = Report{File: filepath.Join(dir, "run.json"), Prefix: "area/"}
	b, _ := json.Marshal([]map[string]any{{"uri": "sample.feature", "elements": []el{
		{14, "scenario", []step{bg, {15, res{Status: "passed"}}, {16, res{Status: "passed"}}}},
		{28, "scenario", []step{bg, {22, res{Status: "passed"}}}},
		{29, "scenario", []step{bg, {22, res{Status: "failed", Error: "row 2 broke"}}}},
		{30, "scenario", []step{bg, {22, res{Status: "skipped"}}}},
	}}})
	if err := os.WriteFile(report.File, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, report
}

func TestLoadFeaturesAttachesResults(t *testing.T) {
	dir, report := writeSample(t)
	features, _, err := LoadFeatures(dir, []Report{report})
	if err != nil {
		t.Fatal(err)
	}
	if len(features) != 1 {
		t.Fatalf("%d features, want 1", len(features))
	}
	f := features[0]
	if f.Path != "area/sample.feature" || f.Folder != "area" || f.Slug != "area-sample" {
		t.Errorf("feature path %q folder %q slug %q", f.Path, f.Folder, f.Slug)
	}
	if len(f.Background) != 1 || len(f.Sections) != 2 || f.Sections[1].Name != "Outlines" {
		t.Errorf("background %d steps, sections %+v", len(f.Background), f.Sections)
	}
	got := map[string]Status{}
	for _, sc := range f.Scenarios() {
		got[sc.Name] = sc.Status
		for _, st := range sc.Steps {
			if st.Keyword == "Given" {
				t.Errorf("%q repeats the background step", sc.Name)
			}
		}
	}
	want := map[string]Status{"Plain": Passed, "Row 1": Passed, "Row 2": Failed, "Row 3": Skipped, "Never run": NotRun}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: %q, want %q (all: %v)", name, got[name], st, got)
		}
	}
	if (f.Counts != Counts{Passed: 2, Failed: 1, Skipped: 1, NotRun: 1}) {
		t.Errorf("counts %+v", f.Counts)
	}
	row2 := f.Sections[1].Scenarios[1]
	if row2.Error != "row 2 broke" || row2.Example != "first block" || row2.Source != "@agentshape-decision" {
		t.Errorf("row 2: error %q example %q source %q", row2.Error, row2.Example, row2.Source)
	}
	if tbl := row2.Steps[0].Table; len(tbl) != 2 || tbl[1][1] != "2" {
		t.Errorf("row 2's data table %v, want the example value substituted", tbl)
	}
}

func TestLoadFeaturesNeedsItsReports(t *testing.T) {
	dir, _ := writeSample(t)
	_, _, err := LoadFeatures(dir, []Report{{File: filepath.Join(dir, "missing.json")}})
	if err == nil || !strings.Contains(err.Error(), "missing.json") || !strings.Contains(err.Error(), "make docs") {
		t.Errorf("a missing report gave %v, want an error naming it and saying how to make it", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if _, _, err := LoadFeatures(dir, []Report{{File: bad}}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("a broken report gave %v", err)
	}
}

// TestSiteLinks: citations in descriptions link to the rendered reference's
// sections; links in the Markdown documents go to the pages that render
// their targets, or to the repository.
func TestSiteLinks(t *testing.T) {
	root := filepath.Join("..", "..") // the checkout
	s := &Site{opts: Options{FeaturesDir: "features", RepoURL: "https://example.test/blob/main/"}}
	s.Features = []*Feature{{Path: "flow/x.feature", Folder: "flow", Slug: "flow-x"}}
	s.Folders = []Folder{{Name: "flow"}}
	api, err := renderMarkdown(root, "docs/agent-api.md", "agent-api.html", s.linkTarget)
	if err != nil {
		t.Fatal(err)
	}
	s.Docs = []*Doc{api}
	if api.Sections["2"] == "" || api.Sections["9"] == "" {
		t.Fatalf("sections of agent-api.md: %v", api.Sections)
	}
	got := string(s.Linkify(`see agent-api.md §2, §9 & "more"`))
	want := `see <a href="agent-api.html">agent-api.md</a> <a href="agent-api.html#` + api.Sections["2"] + `">§2</a>, <a href="agent-api.html#` + api.Sections["9"] + `">§9</a> &amp; &#34;more&#34;`
	if got != want {
		t.Errorf("Linkify =\n%s\nwant\n%s", got, want)
	}
	for in, want := range map[string]string{
		"../docs/agent-api.md": "agent-api.html",
		"flow/x.feature":       "feature-flow-x.html",
		"flow":                 "index.html#folder-flow",
		"../schemas/a.json#x":  "https://example.test/blob/main/schemas/a.json#x",
		"https://a.example/b":  "https://a.example/b",
		"#local":               "#local",
	} {
		if got := rewriteLink("features/README.md", in, s.linkTarget); got != want {
			t.Errorf("link %q from features/README.md -> %q, want %q", in, got, want)
		}
	}
}

func TestDescBlocks(t *testing.T) {
	got := descBlocks("Intro line\n  | a | b |\n  | 1 | 2 |\nAfter")
	if len(got) != 3 || got[0].Text != "Intro line" || len(got[1].Table) != 2 || got[1].Table[1][1] != "2" || got[2].Text != "After" {
		t.Errorf("descBlocks = %+v", got)
	}
}
