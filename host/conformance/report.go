package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is the result of one gate run.
type Report struct {
	// Target is the plugin file or manifest checked.
	Target string `json:"target"`
	// Members are the plugins checked, in pipeline order.
	Members []Member `json:"-"`
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

	suiteStatus int
	cucumber    []byte
	junit       []byte
}

// Feature is one feature file's result.
type Feature struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	URI         string     `json:"uri"`
	Scenarios   []Scenario `json:"scenarios"`
}

// Scenario is one scenario's result.
type Scenario struct {
	Name  string   `json:"name"`
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
	Status   string        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// Failed reports whether any rule was broken (or a scenario did not run).
func (r *Report) Failed() bool {
	if r.suiteStatus != 0 || len(r.Failures) > 0 {
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

// Counts returns how many scenarios passed, failed and were skipped.
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

// cucumber JSON as godog writes it.
type cukeFeature struct {
	URI         string `json:"uri"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Elements    []struct {
		Name string `json:"name"`
		Tags []struct {
			Name string `json:"name"`
		} `json:"tags"`
		Steps []struct {
			Keyword string `json:"keyword"`
			Name    string `json:"name"`
			Result  struct {
				Status   string `json:"status"`
				Error    string `json:"error_message"`
				Duration int64  `json:"duration"`
			} `json:"result"`
		} `json:"steps"`
	} `json:"elements"`
}

func (r *Report) parseCucumber() error {
	var fs []cukeFeature
	if err := json.Unmarshal(r.cucumber, &fs); err != nil {
		return fmt.Errorf("conformance: read godog's cucumber report: %w", err)
	}
	for _, cf := range fs {
		f := Feature{Name: cf.Name, Description: strings.TrimSpace(cf.Description), URI: cf.URI}
		for _, el := range cf.Elements {
			sc := Scenario{Name: el.Name}
			for _, t := range el.Tags {
				sc.Tags = append(sc.Tags, t.Name)
			}
			for _, st := range el.Steps {
				sc.Steps = append(sc.Steps, Step{Keyword: strings.TrimSpace(st.Keyword), Text: st.Name,
					Status: st.Result.Status, Error: st.Result.Error, Duration: time.Duration(st.Result.Duration)})
			}
			f.Scenarios = append(f.Scenarios, sc)
		}
		r.Features = append(r.Features, f)
	}
	return nil
}

// WriteCucumber writes the Cucumber JSON report.
func (r *Report) WriteCucumber(w io.Writer) error {
	_, err := w.Write(r.cucumber)
	return err
}

// WriteJUnit writes the JUnit XML report.
func (r *Report) WriteJUnit(w io.Writer) error {
	_, err := w.Write(r.junit)
	return err
}

// WriteText writes a summary for a terminal: the verdict, the counts and
// every failure with its reproducer.
func (r *Report) WriteText(w io.Writer) error {
	p, f, s := r.Counts()
	verdict := "PASSED"
	if r.Failed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "conformance %s: %s — %d scenarios passed, %d failed, %d skipped (seed %d, %d generated cases, %s)\n",
		verdict, r.Target, p, f, s, r.Seed, r.Cases, r.Duration.Round(time.Millisecond))
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
	return nil
}
