package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// StepRegistrar is where step definitions go: a regular expression and a
// function taking its submatches as strings and returning nothing or an
// error. godog's *godog.ScenarioContext satisfies it, so the same step
// definitions run under godog (go test ./features/...) and under the gate's
// own runner.
type StepRegistrar interface {
	Step(expr, stepFunc interface{})
}

// The gate runs the embedded features with a small runner of its own built on
// Cucumber's Gherkin parser, rather than godog's: godog's package initialiser
// runs `go env GOTOOLDIR`, which every agentshape command would then pay for.

// stepDef is one registered step.
type stepDef struct {
	re *regexp.Regexp
	fn reflect.Value
}

// registry collects the step definitions of one scenario.
type registry struct {
	defs []stepDef
	err  error
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// Step implements StepRegistrar.
func (r *registry) Step(expr, stepFunc interface{}) {
	var re *regexp.Regexp
	switch e := expr.(type) {
	case string:
		var err error
		if re, err = regexp.Compile(e); err != nil {
			r.err = errors.Join(r.err, fmt.Errorf("step %q: %w", e, err))
			return
		}
	case *regexp.Regexp:
		re = e
	default:
		r.err = errors.Join(r.err, fmt.Errorf("step expression %v: use a string or *regexp.Regexp", expr))
		return
	}
	fn := reflect.ValueOf(stepFunc)
	t := fn.Type()
	ok := t.Kind() == reflect.Func && (t.NumOut() == 0 || (t.NumOut() == 1 && t.Out(0) == errorType))
	for i := 0; ok && i < t.NumIn(); i++ {
		ok = t.In(i).Kind() == reflect.String
	}
	if !ok || t.NumIn() != re.NumSubexp() {
		r.err = errors.Join(r.err, fmt.Errorf("step %q: the function must take %d string(s) and return nothing or an error", re, re.NumSubexp()))
		return
	}
	r.defs = append(r.defs, stepDef{re: re, fn: fn})
}

// run finds the one definition matching text and calls it.
func (r *registry) run(text string) (status string, err error) {
	var hits []stepDef
	var args [][]string
	for _, d := range r.defs {
		if m := d.re.FindStringSubmatch(text); m != nil {
			hits, args = append(hits, d), append(args, m[1:])
		}
	}
	switch len(hits) {
	case 0:
		return "undefined", fmt.Errorf("undefined step: %q", text)
	case 1:
	default:
		return "ambiguous", fmt.Errorf("ambiguous step: %q matches %d definitions", text, len(hits))
	}
	in := make([]reflect.Value, len(args[0]))
	for i, a := range args[0] {
		in[i] = reflect.ValueOf(a)
	}
	out := hits[0].fn.Call(in)
	if len(out) == 1 && !out[0].IsNil() {
		return "failed", out[0].Interface().(error)
	}
	return "passed", nil
}

// runFeatures runs every .feature file of fsys (in name order), giving each
// scenario fresh step definitions from init, strictly: an undefined or
// ambiguous step fails its scenario; after a failure the remaining steps are
// skipped. Progress is written to progress in godog's dot style.
func runFeatures(fsys fs.FS, init func(StepRegistrar), progress io.Writer) ([]Feature, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".feature") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Feature
	dots := 0
	for _, file := range files {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(src), ids)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if doc.Feature == nil {
			continue
		}
		steps := astSteps(doc.Feature)
		scenarios := astScenarios(doc.Feature)
		f := Feature{Name: doc.Feature.Name, Description: strings.TrimSpace(doc.Feature.Description), URI: file, Line: line(doc.Feature.Location)}
		for _, p := range gherkin.Pickles(*doc, file, ids) {
			sc := Scenario{Name: p.Name}
			for _, t := range p.Tags {
				sc.Tags = append(sc.Tags, t.Name)
			}
			if len(p.AstNodeIds) > 0 {
				if s, ok := scenarios[p.AstNodeIds[0]]; ok {
					sc.Line = line(s.Location)
				}
			}
			reg := &registry{}
			init(reg)
			failed := false
			for _, ps := range p.Steps {
				st := Step{Text: ps.Text}
				if len(ps.AstNodeIds) > 0 {
					if s, ok := steps[ps.AstNodeIds[0]]; ok {
						st.Keyword, st.Line = strings.TrimSpace(s.Keyword), line(s.Location)
					}
				}
				switch {
				case reg.err != nil:
					st.Status, st.Error = "failed", reg.err.Error()
				case failed:
					st.Status = "skipped"
				default:
					start := time.Now()
					status, err := reg.run(ps.Text)
					st.Status, st.Duration = status, time.Since(start)
					if err != nil {
						st.Error = err.Error()
					}
				}
				if st.Status != "passed" && st.Status != "skipped" {
					failed = true
				}
				sc.Steps = append(sc.Steps, st)
				mark := map[string]string{"passed": ".", "skipped": "-", "failed": "F", "undefined": "U", "ambiguous": "A"}[st.Status]
				fmt.Fprint(progress, mark)
				if dots++; dots%70 == 0 {
					fmt.Fprintf(progress, " %d\n", dots)
				}
			}
			f.Scenarios = append(f.Scenarios, sc)
		}
		out = append(out, f)
	}
	fmt.Fprintln(progress)
	return out, nil
}

func line(l *messages.Location) int {
	if l == nil {
		return 0
	}
	return int(l.Line)
}

// astSteps indexes every step of a feature (backgrounds included) by id.
func astSteps(f *messages.Feature) map[string]*messages.Step {
	m := map[string]*messages.Step{}
	add := func(steps []*messages.Step) {
		for _, s := range steps {
			m[s.Id] = s
		}
	}
	var walk func(children []*messages.FeatureChild, rules []*messages.RuleChild)
	walk = func(children []*messages.FeatureChild, rules []*messages.RuleChild) {
		for _, c := range children {
			if c.Background != nil {
				add(c.Background.Steps)
			}
			if c.Scenario != nil {
				add(c.Scenario.Steps)
			}
			if c.Rule != nil {
				walk(nil, c.Rule.Children)
			}
		}
		for _, c := range rules {
			if c.Background != nil {
				add(c.Background.Steps)
			}
			if c.Scenario != nil {
				add(c.Scenario.Steps)
			}
		}
	}
	walk(f.Children, nil)
	return m
}

// astScenarios indexes every scenario of a feature by id.
func astScenarios(f *messages.Feature) map[string]*messages.Scenario {
	m := map[string]*messages.Scenario{}
	for _, c := range f.Children {
		if c.Scenario != nil {
			m[c.Scenario.Id] = c.Scenario
		}
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				if rc.Scenario != nil {
					m[rc.Scenario.Id] = rc.Scenario
				}
			}
		}
	}
	return m
}
