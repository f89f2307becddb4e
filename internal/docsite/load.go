// Package docsite renders the living documentation as a static site: every
// .feature file with the result of a run (passed, failed, skipped or not run
// per scenario, the run's date and agentshape's version), the project's
// Agent API reference and the plugin ABI rendered from Markdown, and an
// index that filters scenarios by tag, status and text. The site is plain
// files with inline styles and scripts: a browser reads it from disk, with
// no network and no Go.
package docsite

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// Status is a scenario's or a step's result in the run.
type Status string

// The statuses a scenario or step can have.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	NotRun  Status = "not run"
)

// SourceTags say whose behaviour a scenario describes (features/README.md):
// Salesforce's, as documented or as observed, or agentshape's own decision
// where Salesforce is silent. Every scenario carries exactly one.
var SourceTags = []string{"@salesforce-documented", "@salesforce-observed", "@agentshape-decision"}

// sourceLabels are the badges the site shows for the source tags.
var sourceLabels = map[string]string{
	"@salesforce-documented": "Salesforce, documented",
	"@salesforce-observed":   "Salesforce, observed",
	"@agentshape-decision":   "agentshape's decision",
}

// Counts tallies scenarios by status.
type Counts struct {
	Passed, Failed, Skipped, NotRun int
}

// Total is the number of scenarios counted.
func (c Counts) Total() int { return c.Passed + c.Failed + c.Skipped + c.NotRun }

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Skipped:
		c.Skipped++
	default:
		c.NotRun++
	}
}

// Step is one step as written, with its result.
type Step struct {
	Keyword, Text string
	Table         [][]string // a data table, header row first
	DocString     string
	Status        Status
	Error         string
}

// Scenario is one executable scenario; each example row of an outline is one.
type Scenario struct {
	Name    string
	Line    int // the scenario's line, or the example row's for an outline
	Tags    []string
	Source  string // the source tag, "" if none
	Example string // the Examples block's name, for an outline row
	Steps   []*Step
	Status  Status
	Error   string // the first failing step's error
	Anchor  string
}

// Section is a Rule of a feature, or the feature's scenarios outside any rule.
type Section struct {
	Name, Description string
	Background        []*Step
	Scenarios         []*Scenario
}

// Feature is one .feature file.
type Feature struct {
	Path        string // relative to the features directory, slash-separated
	Folder      string // its first path element (flow, product, plugincontract)
	Slug        string // the page's file name without .html
	Name        string
	Description string
	Tags        []string
	Background  []*Step
	Sections    []*Section
	Counts      Counts
}

// Scenarios returns the feature's scenarios in file order.
func (f *Feature) Scenarios() []*Scenario {
	var out []*Scenario
	for _, s := range f.Sections {
		out = append(out, s.Scenarios...)
	}
	return out
}

// Report is a Cucumber JSON report and where its feature URIs live, relative
// to the features directory ("" for godog's reports, "plugincontract/" for
// the gate's, whose URIs are relative to the embedded folder).
type Report struct {
	File   string
	Prefix string
}

// ParseReportFlag reads FILE or FILE=PREFIX.
func ParseReportFlag(s string) Report {
	file, prefix, _ := strings.Cut(s, "=")
	return Report{File: file, Prefix: prefix}
}

// cucumberFeature is the part of a Cucumber JSON report the site reads.
type cucumberFeature struct {
	URI      string `json:"uri"`
	Elements []struct {
		Line  int    `json:"line"`
		Type  string `json:"type"`
		Steps []struct {
			Line   int `json:"line"`
			Result struct {
				Status string `json:"status"`
				Error  string `json:"error_message"`
			} `json:"result"`
		} `json:"steps"`
	} `json:"elements"`
}

// result is one scenario's result in a report: its steps' results by line.
type result struct {
	steps map[int]stepResult
	order []int
}

type stepResult struct {
	status Status
	err    string
}

// maxReportBytes bounds one report file; the project's reports are a few
// hundred KiB.
const maxReportBytes = 64 << 20

// readReports indexes the scenarios of the reports by "path:line".
func readReports(reports []Report) (map[string]*result, time.Time, error) {
	out := map[string]*result{}
	var newest time.Time
	for _, r := range reports {
		st, err := os.Stat(r.File)
		if err != nil {
			return nil, newest, fmt.Errorf("report %s: %w (run the features first: make docs runs them)", r.File, err)
		}
		if st.Size() > maxReportBytes {
			return nil, newest, fmt.Errorf("report %s is %d bytes, over the %d-byte limit", r.File, st.Size(), maxReportBytes)
		}
		if st.ModTime().After(newest) {
			newest = st.ModTime()
		}
		b, err := os.ReadFile(r.File)
		if err != nil {
			return nil, newest, err
		}
		var features []cucumberFeature
		if err := json.Unmarshal(b, &features); err != nil {
			return nil, newest, fmt.Errorf("report %s is not Cucumber JSON: %w", r.File, err)
		}
		for _, f := range features {
			uri := path.Clean(r.Prefix + f.URI)
			for _, e := range f.Elements {
				if e.Type == "background" {
					continue
				}
				res := &result{steps: map[int]stepResult{}}
				for _, s := range e.Steps {
					res.steps[s.Line] = stepResult{Status(s.Result.Status), s.Result.Error}
					res.order = append(res.order, s.Line)
				}
				out[fmt.Sprintf("%s:%d", uri, e.Line)] = res
			}
		}
	}
	return out, newest, nil
}

// status folds the results of a scenario's steps: any failed, undefined or
// pending step fails it (the runs are strict); all passed passes it;
// otherwise it was skipped.
func (r *result) status() (Status, string) {
	if r == nil || len(r.order) == 0 {
		return NotRun, ""
	}
	all := true
	for _, line := range r.order {
		s := r.steps[line]
		switch s.status {
		case "passed":
		case "failed", "undefined", "pending", "ambiguous":
			msg := s.err
			if msg == "" {
				msg = "step " + string(s.status)
			}
			return Failed, msg
		default:
			all = false
		}
	}
	if all {
		return Passed, ""
	}
	return Skipped, ""
}

// stepStatus maps a report's step status to the site's.
func stepStatus(s string) Status {
	switch s {
	case "passed":
		return Passed
	case "failed", "undefined", "pending", "ambiguous":
		return Failed
	case "skipped":
		return Skipped
	}
	return NotRun
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// LoadFeatures parses every .feature file under dir and attaches the
// results of the reports.
func LoadFeatures(dir string, reports []Report) ([]*Feature, time.Time, error) {
	results, runAt, err := readReports(reports)
	if err != nil {
		return nil, runAt, err
	}
	var features []*Feature
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := loadFeature(p, filepath.ToSlash(rel), results)
		if err != nil {
			return err
		}
		features = append(features, f)
		return nil
	})
	if err != nil {
		return nil, runAt, err
	}
	if len(features) == 0 {
		return nil, runAt, fmt.Errorf("no .feature files under %s", dir)
	}
	sort.Slice(features, func(i, j int) bool { return features[i].Path < features[j].Path })
	return features, runAt, nil
}

// maxFeatureBytes bounds one feature file.
const maxFeatureBytes = 4 << 20

func loadFeature(file, rel string, results map[string]*result) (*Feature, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.Size() > maxFeatureBytes {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", file, st.Size(), maxFeatureBytes)
	}
	ids := (&messages.Incrementing{}).NewId
	doc, err := gherkin.ParseGherkinDocument(bufio.NewReader(fh), ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Feature == nil {
		return nil, fmt.Errorf("%s has no Feature", file)
	}
	folder, _, _ := strings.Cut(rel, "/")
	if !strings.Contains(rel, "/") {
		folder = ""
	}
	f := &Feature{
		Path: rel, Folder: folder, Slug: slug(strings.TrimSuffix(rel, ".feature")),
		Name: doc.Feature.Name, Description: trimDescription(doc.Feature.Description), Tags: tagNames(doc.Feature.Tags),
	}

	// the AST: step keywords and lines, which section each scenario is in,
	// which steps are a background's, and the Examples block of each row
	type astStep struct {
		keyword    string
		line       int
		background bool
	}
	steps := map[string]astStep{}
	sectionOf := map[string]*Section{}
	exampleOf := map[string]string{}
	addBackground := func(b *messages.Background) []*Step {
		var out []*Step
		for _, s := range b.Steps {
			steps[s.Id] = astStep{s.Keyword, int(s.Location.Line), true}
			out = append(out, astToStep(s))
		}
		return out
	}
	addScenario := func(sc *messages.Scenario, sec *Section) {
		sectionOf[sc.Id] = sec
		for _, s := range sc.Steps {
			steps[s.Id] = astStep{s.Keyword, int(s.Location.Line), false}
		}
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				exampleOf[row.Id] = ex.Name
			}
		}
	}
	top := &Section{}
	f.Sections = append(f.Sections, top)
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			f.Background = addBackground(c.Background)
		case c.Scenario != nil:
			addScenario(c.Scenario, top)
		case c.Rule != nil:
			sec := &Section{Name: c.Rule.Name, Description: trimDescription(c.Rule.Description)}
			f.Sections = append(f.Sections, sec)
			for _, rc := range c.Rule.Children {
				switch {
				case rc.Background != nil:
					sec.Background = addBackground(rc.Background)
				case rc.Scenario != nil:
					addScenario(rc.Scenario, sec)
				}
			}
		}
	}

	for _, p := range gherkin.Pickles(*doc, rel, ids) {
		line := int(p.Location.Line)
		res := results[fmt.Sprintf("%s:%d", rel, line)]
		sc := &Scenario{Name: p.Name, Line: line, Anchor: fmt.Sprintf("l%d", line)}
		for _, t := range p.Tags {
			sc.Tags = append(sc.Tags, t.Name)
			if _, ok := sourceLabels[t.Name]; ok {
				sc.Source = t.Name
			}
		}
		if len(p.AstNodeIds) > 1 {
			sc.Example = exampleOf[p.AstNodeIds[1]]
		}
		sc.Status, sc.Error = res.status()
		for _, ps := range p.Steps {
			a := steps[ps.AstNodeIds[0]]
			if a.background {
				continue // shown once, above the scenarios
			}
			st := &Step{Keyword: strings.TrimSpace(a.keyword), Text: ps.Text, Status: NotRun}
			if res != nil {
				if r, ok := res.steps[a.line]; ok {
					st.Status, st.Error = stepStatus(string(r.status)), r.err
				}
			}
			if arg := ps.Argument; arg != nil {
				if arg.DocString != nil {
					st.DocString = arg.DocString.Content
				}
				if arg.DataTable != nil {
					for _, row := range arg.DataTable.Rows {
						var cells []string
						for _, c := range row.Cells {
							cells = append(cells, c.Value)
						}
						st.Table = append(st.Table, cells)
					}
				}
			}
			sc.Steps = append(sc.Steps, st)
		}
		sec := sectionOf[p.AstNodeIds[0]]
		if sec == nil {
			sec = top
		}
		sec.Scenarios = append(sec.Scenarios, sc)
		f.Counts.add(sc.Status)
	}
	if len(top.Scenarios) == 0 {
		f.Sections = f.Sections[1:]
	}
	return f, nil
}

func astToStep(s *messages.Step) *Step {
	st := &Step{Keyword: strings.TrimSpace(s.Keyword), Text: s.Text, Status: NotRun}
	if s.DocString != nil {
		st.DocString = s.DocString.Content
	}
	if s.DataTable != nil {
		for _, row := range s.DataTable.Rows {
			var cells []string
			for _, c := range row.Cells {
				cells = append(cells, c.Value)
			}
			st.Table = append(st.Table, cells)
		}
	}
	return st
}

func tagNames(tags []*messages.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}

// trimDescription removes the indentation Gherkin keeps in descriptions.
func trimDescription(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
