package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report is the result of one gate run.
type Report struct {
	// Target is the plugin file or manifest checked.
	Target string `json:"target"`
	// Members are the plugins checked, in pipeline order.
	Members []Member `json:"-"`
	// Plugins name each plugin checked with the sha256 of its module.
	Plugins []PluginReport `json:"plugins"`
	// Version is the agentshape that ran the gate: version and commit.
	Version string `json:"agentshapeVersion"`
	// Org is the org the run checked against.
	Org OrgReport `json:"org"`
	// Seed and Cases are the generated-case parameters used.
	Seed  int64 `json:"seed"`
	Cases int   `json:"cases"`
	// Started and Duration time the run.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Features are the plugin-contract features as run.
	Features []Feature `json:"features"`
	// Failures are the broken rules, each with its reproducer.
	Failures []Failure `json:"failures"`
	// ReproDir holds the reproducer envelopes.
	ReproDir string `json:"reproDir"`
	// Diff is the behaviour diff against the baseline (Options.Baseline or
	// BaselineManifest); nil without one, or when the plugin under test
	// does not load (the report's failures say why).
	Diff *Diff `json:"diff,omitempty"`
}

// PluginReport is one plugin a run checked.
type PluginReport struct {
	// Name is the plugin's name in the pipeline.
	Name string `json:"name"`
	// Path is its .wasm file.
	Path string `json:"path"`
	// SHA256 is the hex sha256 of the module checked (the value a manifest pins).
	SHA256 string `json:"sha256"`
	// Fuel is what its calls cost over the generated cases; nil when no
	// case reached it.
	Fuel *FuelReport `json:"fuel,omitempty"`
}

func pluginReports(members []Member) []PluginReport {
	out := make([]PluginReport, len(members))
	for i, m := range members {
		out[i] = PluginReport{Name: m.Name, Path: m.Path, SHA256: m.sum}
	}
	return out
}

// properties are what a report records about the run besides its results,
// as name/value pairs in a stable order: the agentshape version, the org
// and every plugin's sha256.
func (r *Report) properties() [][2]string {
	p := [][2]string{{"agentshape.version", r.Version}, {"org.myDomain", r.Org.MyDomain}, {"org.agentId", r.Org.AgentID}}
	if r.Org.Demo {
		p = append(p, [2]string{"org.file", "(none: the built-in demo org)"})
	} else {
		p = append(p, [2]string{"org.file", r.Org.File})
	}
	p = append(p, [2]string{"seed", fmt.Sprint(r.Seed)}, [2]string{"cases", fmt.Sprint(r.Cases)})
	for _, pl := range r.Plugins {
		p = append(p, [2]string{"plugin." + pl.Name + ".sha256", pl.SHA256})
		if f := pl.Fuel; f != nil {
			p = append(p, f.properties("plugin."+pl.Name+".fuel")...)
		}
	}
	return p
}

// Feature is one feature file's result.
type Feature struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	URI         string     `json:"uri"`
	Line        int        `json:"line"`
	Scenarios   []Scenario `json:"scenarios"`
}

// Scenario is one scenario's result.
type Scenario struct {
	Name  string   `json:"name"`
	Line  int      `json:"line"`
	Tags  []string `json:"tags"`
	Steps []Step   `json:"steps"`
}

// Status is "passed", "failed" or "skipped" (pending/undefined count as failed).
func (s Scenario) Status() string {
	status := "passed"
	for _, st := range s.Steps {
		switch st.Status {
		case "passed":
		case "skipped":
			if status == "passed" {
				status = "skipped"
			}
		default:
			return "failed"
		}
	}
	return status
}

// Step is one step's result.
type Step struct {
	Keyword  string        `json:"keyword"`
	Text     string        `json:"text"`
	Line     int           `json:"line"`
	Status   string        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	// Output is what the step has to say besides its status (a warning
	// that does not fail it).
	Output []string `json:"output,omitempty"`
}

// Failed reports whether any rule was broken (or a scenario did not run).
func (r *Report) Failed() bool {
	if len(r.Failures) > 0 {
		return true
	}
	for _, f := range r.Features {
		for _, s := range f.Scenarios {
			if s.Status() == "failed" {
				return true
			}
		}
	}
	return false
}

// DiffFails reports whether the run fails because the behaviour differs
// from the baseline under --fail-on-diff (the command then exits 1 even
// when every rule held).
func (r *Report) DiffFails() bool {
	return r.Diff != nil && r.Diff.FailOnDiff && r.Diff.Differs()
}

// Summary says how many scenarios failed and how many distinct failures
// (broken rules, each with its reproducer) they found, in one unit each,
// and which plugins went over their fuel budget under any seed: "6 of 15
// scenarios failed (1 distinct failure); over its fuel budget: endpoint".
func (r *Report) Summary() string {
	p, f, s := r.Counts()
	out := fmt.Sprintf("%d of %d scenarios failed", f, p+f+s)
	switch n := len(r.Failures); n {
	case 0:
	case 1:
		out += " (1 distinct failure)"
	default:
		out += fmt.Sprintf(" (%d distinct failures)", n)
	}
	// A call over budget under a seed of the fuel sweep fails no scenario:
	// the summary says so.
	var over []string
	for _, pl := range r.Plugins {
		if pl.Fuel != nil && pl.Fuel.OverBudget() {
			over = append(over, pl.Name)
		}
	}
	if len(over) > 0 {
		out += "; over its fuel budget: " + strings.Join(over, ", ")
	}
	return out
}

// Counts returns how many scenarios of the contract's features passed,
// failed and were skipped.
func (r *Report) Counts() (passed, failed, skipped int) {
	for _, f := range r.Features {
		for _, s := range f.Scenarios {
			switch s.Status() {
			case "passed":
				passed++
			case "failed":
				failed++
			default:
				skipped++
			}
		}
	}
	return
}

// WriteCucumber writes the Cucumber JSON report (the format godog and the
// Cucumber tools read).
func (r *Report) WriteCucumber(w io.Writer) error {
	type result struct {
		Status   string `json:"status"`
		Duration int64  `json:"duration,omitempty"`
		Error    string `json:"error_message,omitempty"`
	}
	type step struct {
		Keyword string   `json:"keyword"`
		Name    string   `json:"name"`
		Line    int      `json:"line"`
		Result  result   `json:"result"`
		Output  []string `json:"output,omitempty"`
	}
	type tag struct {
		Name string `json:"name"`
	}
	type element struct {
		ID      string `json:"id"`
		Keyword string `json:"keyword"`
		Name    string `json:"name"`
		Line    int    `json:"line"`
		Type    string `json:"type"`
		Tags    []tag  `json:"tags,omitempty"`
		Steps   []step `json:"steps"`
	}
	type feature struct {
		URI         string    `json:"uri"`
		ID          string    `json:"id"`
		Keyword     string    `json:"keyword"`
		Name        string    `json:"name"`
		Description string    `json:"description"`
		Line        int       `json:"line"`
		Elements    []element `json:"elements"`
	}
	out := []feature{}
	features := r.featuresWithFuel()
	// Cucumber JSON has no place for a run's facts, so every feature's
	// description ends with them: a reader of any one feature sees what
	// was checked (version, org, each plugin's sha256).
	var run strings.Builder
	run.WriteString("\n\nChecked by this run:")
	for _, p := range r.properties() {
		fmt.Fprintf(&run, "\n  %s: %s", p[0], p[1])
	}
	for _, f := range features {
		cf := feature{URI: f.URI, ID: slug(f.Name), Keyword: "Feature", Name: f.Name, Description: f.Description, Line: f.Line, Elements: []element{}}
		for _, s := range f.Scenarios {
			el := element{ID: slug(f.Name) + ";" + slug(s.Name), Keyword: "Scenario", Name: s.Name, Line: s.Line, Type: "scenario", Steps: []step{}}
			for _, t := range s.Tags {
				el.Tags = append(el.Tags, tag{t})
			}
			for _, st := range s.Steps {
				el.Steps = append(el.Steps, step{Keyword: st.Keyword + " ", Name: st.Text, Line: st.Line,
					Result: result{Status: st.Status, Duration: int64(st.Duration), Error: st.Error}, Output: st.Output})
			}
			cf.Elements = append(cf.Elements, el)
		}
		out = append(out, cf)
	}
	if d := r.Diff; d != nil {
		// one scenario per compared case, its changes as the step's output
		// (failed under --fail-on-diff)
		name := "Behaviour diff against the baseline " + d.Baseline
		cf := feature{URI: d.Baseline, ID: slug(name), Keyword: "Feature", Name: name, Description: d.Summary(), Elements: []element{}}
		for _, c := range d.Cases {
			st := step{Keyword: "Then ", Name: "the answer is the baseline's", Result: result{Status: "passed"}}
			if c.Listed() {
				st.Output = c.Lines()
				if c.Differs() && d.FailOnDiff {
					st.Result = result{Status: "failed", Error: strings.Join(c.Lines(), "\n")}
				}
			}
			cf.Elements = append(cf.Elements, element{ID: slug(name) + ";" + slug(c.Case), Keyword: "Scenario", Name: c.Case, Type: "scenario", Steps: []step{st}})
		}
		out = append(out, cf)
	}
	for i := range out {
		out[i].Description = strings.TrimSpace(out[i].Description + run.String())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func slug(s string) string {
	return strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// featuresWithFuel is the contract's features, then the plugins' fuel as
// a feature (fuelFeature) when any was measured.
func (r *Report) featuresWithFuel() []Feature {
	if fuel := r.fuelFeature(); fuel != nil {
		return append(slices.Clip(r.Features), *fuel)
	}
	return r.Features
}

// fuelFeature is the plugins' fuel as a feature of one scenario per plugin
// that was measured (named by its fuel line), failed when over its budget;
// nil when none was.
func (r *Report) fuelFeature() *Feature {
	f := &Feature{URI: r.Target, Name: "Fuel per plugin", Description: "The fuel each plugin's calls used (plugins/ABI.md §8) under the run's seed and the fuel sweep's: the same on every machine for these seeds. " +
		"A budget should leave the recommended headroom over the max: a plugin that reads randomness (a Go plugin's runtime does at start-up) costs a little more or less under each seed, as it does in production."}
	for _, pl := range r.Plugins {
		if pl.Fuel == nil {
			continue
		}
		st := Step{Keyword: "Then", Text: "its calls stay within its fuel budget under every seed", Status: "passed"}
		if pl.Fuel.OverBudget() {
			st.Status, st.Error = "failed", fmt.Sprintf("plugin %s: %s", pl.Name, pl.Fuel)
		}
		if w := pl.Fuel.Warning(); w != "" {
			st.Output = []string{"warning: " + w}
		}
		f.Scenarios = append(f.Scenarios, Scenario{Name: fmt.Sprintf("%s: %s", pl.Name, pl.Fuel), Steps: []Step{st}})
	}
	if len(f.Scenarios) == 0 {
		return nil
	}
	return f
}

// WriteJUnit writes the JUnit XML report: one test suite per feature, one
// test case per scenario.
func (r *Report) WriteJUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	type testcase struct {
		Name    string    `xml:"name,attr"`
		Class   string    `xml:"classname,attr"`
		Time    string    `xml:"time,attr"`
		Failure *failure  `xml:"failure,omitempty"`
		Skipped *struct{} `xml:"skipped,omitempty"`
		Out     string    `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name       string     `xml:"name,attr"`
		Tests      int        `xml:"tests,attr"`
		Failures   int        `xml:"failures,attr"`
		Skipped    int        `xml:"skipped,attr"`
		Time       string     `xml:"time,attr"`
		Properties []property `xml:"properties>property"`
		Cases      []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Time     string      `xml:"time,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	all := testsuites{Name: "agentshape conformance: " + r.Target, Time: secs(r.Duration)}
	var props []property
	for _, p := range r.properties() {
		props = append(props, property{Name: p[0], Value: p[1]})
	}
	features := r.featuresWithFuel()
	for _, f := range features {
		ts := testsuite{Name: f.Name, Properties: props}
		var total time.Duration
		for _, s := range f.Scenarios {
			var d time.Duration
			var msgs, out []string
			first := ""
			for _, st := range s.Steps {
				d += st.Duration
				out = append(out, st.Output...)
				if st.Status != "passed" && st.Status != "skipped" {
					msgs = append(msgs, fmt.Sprintf("%s %s: %s: %s", st.Keyword, st.Text, st.Status, st.Error))
					if first == "" {
						if first, _, _ = strings.Cut(st.Error, "\n"); first == "" {
							first = st.Status
						}
					}
				}
			}
			total += d
			tc := testcase{Name: s.Name, Class: f.Name, Time: secs(d), Out: strings.Join(out, "\n")}
			switch s.Status() {
			case "failed":
				tc.Failure = &failure{Message: first, Type: "conformance", Text: strings.Join(msgs, "\n")}
				ts.Failures++
			case "skipped":
				tc.Skipped = &struct{}{}
				ts.Skipped++
			}
			ts.Tests++
			ts.Cases = append(ts.Cases, tc)
		}
		ts.Time = secs(total)
		all.Tests += ts.Tests
		all.Failures += ts.Failures
		all.Suites = append(all.Suites, ts)
	}
	if d := r.Diff; d != nil {
		// one test case per compared case, its changes in system-out (a
		// failure under --fail-on-diff)
		ts := testsuite{Name: "behaviour diff against the baseline " + d.Baseline, Time: secs(0), Properties: []property{{Name: "diff.summary", Value: d.Summary()}}}
		for _, pl := range d.Plugins {
			ts.Properties = append(ts.Properties, property{Name: "baseline." + pl.Name + ".sha256", Value: pl.SHA256})
		}
		for _, c := range d.Cases {
			tc := testcase{Name: c.Case, Class: ts.Name, Time: secs(0)}
			if c.Listed() {
				text := strings.Join(c.Lines(), "\n")
				if tc.Out = text; c.Differs() && d.FailOnDiff {
					tc.Failure = &failure{Message: "the answer differs from the baseline's", Type: "diff", Text: text}
					ts.Failures++
				}
			}
			ts.Tests++
			ts.Cases = append(ts.Cases, tc)
		}
		all.Tests += ts.Tests
		all.Failures += ts.Failures
		all.Suites = append(all.Suites, ts)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteText writes a summary for a terminal: the verdict, the counts and
// every failure with its reproducer.
func (r *Report) WriteText(w io.Writer) error {
	p, _, s := r.Counts()
	verdict := "PASSED"
	switch {
	case r.Failed():
		verdict = "FAILED"
	case r.DiffFails():
		verdict = fmt.Sprintf("FAILED (the behaviour differs from the baseline in %d case(s), --fail-on-diff)", len(r.Diff.Changed()))
	}
	fmt.Fprintf(w, "conformance %s: %s — %s; %d passed, %d skipped (seed %d, %d generated cases, %s)\n",
		verdict, r.Target, r.Summary(), p, s, r.Seed, r.Cases, r.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "org: %s\n", r.Org)
	fmt.Fprintf(w, "agentshape %s\n", r.Version)
	for _, pl := range r.Plugins {
		fmt.Fprintf(w, "plugin %s: sha256 %s (%s)\n", pl.Name, pl.SHA256, pl.Path)
		if pl.Fuel != nil {
			fmt.Fprintf(w, "plugin %s: %s\n", pl.Name, pl.Fuel)
			if warn := pl.Fuel.Warning(); warn != "" {
				fmt.Fprintf(w, "plugin %s: WARNING: %s\n", pl.Name, warn)
			}
		}
	}
	for i, fl := range r.Failures {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, fl.String())
	}
	if r.Failed() && len(r.Failures) == 0 {
		for _, ft := range r.Features {
			for _, sc := range ft.Scenarios {
				for _, st := range sc.Steps {
					if st.Status != "passed" && st.Status != "skipped" {
						fmt.Fprintf(w, "\n- %s / %s: %s %s: %s %s\n", ft.Name, sc.Name, st.Keyword, st.Text, st.Status, st.Error)
					}
				}
			}
		}
	}
	if r.Diff != nil {
		r.Diff.writeText(w)
	}
	return nil
}
