package features

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/agentshape/agentshape/internal/docsite"
)

// helpPageStatements are the statements of the Flow Start Session help page
// (agent-api.md §6) that need at least one scenario each. README.md maps each
// to its scenarios; this list keeps a row from being dropped silently.
var helpPageStatements = []string{
	"@flow:input-body", "@flow:input-agent-id", "@flow:input-tenant-key",
	"@flow:output-200", "@flow:output-400", "@flow:output-401", "@flow:output-403", "@flow:output-404",
	"@flow:output-422", "@flow:output-423", "@flow:output-429", "@flow:output-503",
	"@flow:output-default", "@flow:output-response-code", "@flow:no-500-output",
	"@flow:pre-agentforce", "@flow:pre-permission", "@flow:pre-active-version",
	"@flow:pre-edition", "@flow:pre-lightning", "@flow:pre-licence",
	"@flow:body-assembly", "@flow:body-external-session-key", "@flow:body-endpoint",
	"@flow:body-message-text", "@flow:body-message-name",
}

// scenario is one executable scenario (an outline expands to one per example row).
type scenario struct {
	file, name string
	tags       map[string]bool
}

// loadScenarios parses every .feature file under dir into its scenarios.
func loadScenarios(t *testing.T, dir string) []scenario {
	t.Helper()
	var out []scenario
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(bufio.NewReader(f), ids)
		if err != nil {
			t.Errorf("%s: not valid Gherkin: %v", path, err)
			return nil
		}
		for _, p := range gherkin.Pickles(*doc, path, ids) {
			sc := scenario{file: path, name: p.Name, tags: map[string]bool{}}
			for _, tag := range p.Tags {
				sc.tags[tag.Name] = true
			}
			out = append(out, sc)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading feature files: %v", err)
	}
	return out
}

var readmeTag = regexp.MustCompile("`(@[a-z0-9-]+:[a-z0-9-]+)`")

// readmeIndex returns the tags named in README.md's §6 index table.
func readmeIndex(t *testing.T) (helpPage, behaviour map[string]bool) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("features/README.md: %v", err)
	}
	helpPage, behaviour = map[string]bool{}, map[string]bool{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = line
			continue
		}
		if !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range readmeTag.FindAllStringSubmatch(line, -1) {
			switch {
			case strings.Contains(section, "§6"):
				helpPage[m[1]] = true
			case strings.Contains(section, "own behaviour"):
				behaviour[m[1]] = true
			}
		}
	}
	return helpPage, behaviour
}

// TestIndexCoversHelpPage fails when a statement of the Start Session help
// page (agent-api.md §6) has no active scenario, or README's index is out of
// step with the feature files.
func TestIndexCoversHelpPage(t *testing.T) {
	scenarios := loadScenarios(t, ".")
	if len(scenarios) == 0 {
		t.Fatal("no scenarios found under features/")
	}
	helpPage, behaviour := readmeIndex(t)
	byTag := map[string][]scenario{}
	for _, sc := range scenarios {
		for tag := range sc.tags {
			byTag[tag] = append(byTag[tag], sc)
		}
	}
	for _, tag := range helpPageStatements {
		if !helpPage[tag] {
			t.Errorf("README.md §6 index has no row for %s", tag)
		}
		active := 0
		for _, sc := range byTag[tag] {
			if !sc.tags["@wip"] {
				active++
			}
		}
		if active == 0 {
			t.Errorf("§6 statement %s has no active scenario (%d tagged @wip)", tag, len(byTag[tag]))
		}
	}
	var unindexed []string
	for tag := range byTag {
		if strings.HasPrefix(tag, "@flow:") && !helpPage[tag] {
			unindexed = append(unindexed, tag)
		}
		if strings.Contains(tag, ":") && !strings.HasPrefix(tag, "@flow:") && !behaviour[tag] {
			unindexed = append(unindexed, tag)
		}
	}
	sort.Strings(unindexed)
	for _, tag := range unindexed {
		t.Errorf("tag %s is used by a scenario but missing from README.md's index", tag)
	}
	for tag := range behaviour {
		if len(byTag[tag]) == 0 {
			t.Errorf("README.md's index names %s but no scenario has it", tag)
		}
	}
}

// sourceTags say whose behaviour a scenario describes (README.md, "Whose
// behaviour a scenario describes"); the site shows them (internal/docsite).
var sourceTags = docsite.SourceTags

// TestEveryScenarioSaysWhoseBehaviour fails when a scenario (each example
// row of an outline counts) carries no source tag or more than one, or when
// README.md does not explain a source tag.
func TestEveryScenarioSaysWhoseBehaviour(t *testing.T) {
	scenarios := loadScenarios(t, ".")
	if len(scenarios) == 0 {
		t.Fatal("no scenarios found under features/")
	}
	count := map[string]int{}
	for _, sc := range scenarios {
		var have []string
		for _, tag := range sourceTags {
			if sc.tags[tag] {
				have = append(have, tag)
				count[tag]++
			}
		}
		if len(have) != 1 {
			t.Errorf("%s: scenario %q has source tags %v; give it exactly one of %v (features/README.md)", sc.file, sc.name, have, sourceTags)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range sourceTags {
		if !strings.Contains(string(readme), "`"+tag+"`") {
			t.Errorf("features/README.md does not explain the source tag %s", tag)
		}
	}
	t.Logf("source tags over %d scenarios: %v", len(scenarios), count)
}
