package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/schemas"
)

// gate holds what the scenarios of one run share: the loaded plugins, the
// generated cases and their answers, the emulator, and the failures found.
type gate struct {
	ctx     context.Context
	opts    Options
	members []Member
	org     OrgUnderTest

	loadOnce sync.Once
	runner   *runner
	loadErr  error

	modules    []moduleInfo
	modulesErr error
	modOnce    sync.Once

	cases    []Case
	run1     [][2]answer // each case shaped twice in a row
	run2     []answer    // on a fresh runtime, in reverse order
	run1Done bool
	run2Done bool

	emu      *emulator.Server
	api      *agentapi.Client
	outcomes []*agentapi.Outcome // Start Session per generated case (nil: not sent)
	sentDone bool

	failures []Failure
	seen     map[string]int   // failure key -> index in failures
	similar  map[string][]int // similarity key -> indexes in failures
	capped   map[string]int   // key of a failure left out -> index of the first like it
}

func newGate(ctx context.Context, opts Options, sub subject) *gate {
	return &gate{ctx: ctx, opts: opts, members: sub.members, org: sub.org, seen: map[string]int{}, similar: map[string][]int{}, capped: map[string]int{}}
}

func (g *gate) close() {
	g.runner.close(g.ctx)
	if g.api != nil {
		g.api.Close()
	}
	if g.emu != nil {
		_ = g.emu.Close()
	}
}

func (g *gate) load() (*runner, error) {
	g.loadOnce.Do(func() {
		g.runner, g.loadErr = openRunner(g.ctx, g.members, g.opts.Seed, g.opts.CacheDir)
		if g.loadErr != nil {
			g.fail(Failure{Check: "abi", Message: "the host refuses to load the plugin: " + g.loadErr.Error()})
		}
	})
	return g.runner, g.loadErr
}

func (g *gate) inspect() ([]moduleInfo, error) {
	g.modOnce.Do(func() {
		_, _ = g.load() // compiles into the cache the inspection then reads (a load error is reported by its own step)
		g.modules, g.modulesErr = inspectModules(g.ctx, g.members, g.opts.CacheDir)
	})
	return g.modules, g.modulesErr
}

// scenario is the state of one scenario.
type scenario struct {
	g       *gate
	context abi.Context
	request []byte
	answers []answer
	outcome *agentapi.Outcome
	// shapedAll and shapedAgain record that this scenario shaped the
	// generated cases (first run, second run): their faults are its faults.
	shapedAll, shapedAgain bool
}

// InitScenario registers the plugin-contract steps for one scenario, with
// fresh scenario state.
func (g *gate) InitScenario(sc StepRegistrar) {
	s := &scenario{g: g}
	// abi.feature
	sc.Step(`^the plugin under test$`, s.pluginUnderTest)
	sc.Step(`^every module exports what its kind requires$`, s.modulesCheck(moduleInfo.checkExports))
	sc.Step(`^every reactor exports the ABI marker$`, s.modulesCheck(moduleInfo.checkMarker))
	sc.Step(`^every module imports only allowed functions$`, s.importsCheck)
	sc.Step(`^every module's initial memory fits within its memory limit$`, s.modulesCheck(moduleInfo.checkMemory))
	sc.Step(`^the host loads every module$`, s.hostLoads)
	// shaping.feature
	sc.Step(`^a valid request as the earlier plugins would have left it$`, s.validBase)
	sc.Step(`^a typical context$`, func() { s.context = typicalContext(g.org) })
	sc.Step(`^an empty context$`, func() { s.context = abi.Context{} })
	sc.Step(`^the plugin shapes the request$`, s.shapeN(1))
	sc.Step(`^the plugin shapes the request twice$`, s.shapeN(2))
	sc.Step(`^the answer is a request or a refusal with a code and a message$`, s.answerIsRequestOrRefusal)
	sc.Step(`^a shaped request is valid against "([^"]*)"$`, s.then1(s.shapedRequestValid))
	sc.Step(`^both answers are identical$`, s.then(s.bothIdentical))
	sc.Step(`^a shaped request sets no reserved field$`, s.then(s.noReserved))
	// generated.feature
	sc.Step(`^the generated cases$`, func() { g.generate() })
	sc.Step(`^the plugin shapes every generated case$`, func() error { s.shapedAll = true; return g.shapeAll() })
	sc.Step(`^the plugin shapes every generated case again, in reverse order, on a fresh runtime$`, func() error { s.shapedAgain = true; return g.shapeAllAgain() })
	sc.Step(`^every call stays within its limits$`, g.allWithinLimits)
	sc.Step(`^every answer is a request or a refusal with a code and a message$`, g.allAnswers)
	sc.Step(`^every shaped request is valid against "([^"]*)"$`, s.then1(g.allValid))
	sc.Step(`^no shaped request sets a reserved field$`, s.then(g.allNoReserved))
	sc.Step(`^every answer is identical to the first run's$`, s.then(g.allIdentical))
	// end-to-end.feature
	sc.Step(`^the Agent API emulator with the org under test$`, g.startEmulator)
	sc.Step(`^a valid request for the emulator's org, as the earlier plugins would have left it$`, s.validBaseForEmulator)
	sc.Step(`^the plugin shapes the request for the emulator's org$`, s.shapeForEmulator)
	sc.Step(`^the shaped request is sent with Start Session$`, s.sendStartSession)
	sc.Step(`^the outcome is "([^"]*)"$`, s.outcomeIs)
	sc.Step(`^every valid shaped request is sent with Start Session$`, g.sendAll)
	sc.Step(`^every outcome is "([^"]*)"$`, s.then1(g.allOutcomes))
}

// then wraps a Then step so that it first fails on any fault of the calls
// this scenario made (plugins/ABI.md §6.1: a panic, a trap, a broken limit,
// an ABI error or a kit fault fails the scenario it happened in, whatever
// the scenario checks), then makes its own check.
func (s *scenario) then(check func() error) func() error {
	return func() error {
		if err := stepError(s.faults()); err != nil {
			return err
		}
		return check()
	}
}

// then1 is then for a step taking one argument.
func (s *scenario) then1(check func(string) error) func(string) error {
	return func(arg string) error {
		return s.then(func() error { return check(arg) })()
	}
}

// faults reports the faults among the answers this scenario produced:
// limits first, then the others, each with its minimal reproducer.
func (s *scenario) faults() []Failure {
	var fs []Failure
	for _, a := range s.answers {
		fs = append(fs, s.g.faultsOf(s.asCase(), a)...)
	}
	if s.shapedAll {
		fs = append(fs, s.g.collectFailures(s.g.limitFaults)...)
		fs = append(fs, s.g.collectFailures(s.g.answerFaults)...)
	}
	if s.shapedAgain {
		fs = append(fs, s.g.collectFailures(func(i int) []Failure {
			return s.g.faultsOf(s.g.cases[i], s.g.run2[i])
		})...)
	}
	return fs
}

func (s *scenario) pluginUnderTest() error {
	_, err := s.g.inspect()
	return err
}

func (s *scenario) modulesCheck(check func(moduleInfo) []string) func() error {
	return func() error {
		mods, err := s.g.inspect()
		if err != nil {
			return err
		}
		var fs []Failure
		for _, mi := range mods {
			for _, p := range check(mi) {
				fs = append(fs, s.g.fail(Failure{Check: "abi", Plugin: mi.member.Name, Message: p}))
			}
		}
		return stepError(fs)
	}
}

func (s *scenario) importsCheck() error {
	wasi, err := wasiNames(s.g.ctx)
	if err != nil {
		return fmt.Errorf("list the host's WASI functions: %w", err)
	}
	return s.modulesCheck(func(mi moduleInfo) []string { return mi.checkImports(wasi) })()
}

func (s *scenario) hostLoads() error {
	_, err := s.g.load()
	if err != nil {
		return fmt.Errorf("the host refuses to load the plugin: %w", err)
	}
	return nil
}

func (s *scenario) validBase() {
	s.request = baseRequest(s.g.opts.Seed, -1, s.g.org.Org.MyDomain)
}

func (s *scenario) shapeN(n int) func() error {
	return func() error {
		r, err := s.g.load()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			s.answers = append(s.answers, r.shape(s.g.ctx, s.context, s.request))
		}
		return nil
	}
}

// label describes the scenario's context for failure reports.
func (s *scenario) label() string {
	if s.context.AgentID == "" && s.context.User.Locale == "" && s.context.Org.MyDomain == "" {
		return "empty context"
	}
	return "typical context"
}

func (s *scenario) answerIsRequestOrRefusal() error {
	return stepError(s.faults())
}

func (s *scenario) shapedRequestValid(schema string) error {
	var fs []Failure
	for _, a := range s.answers {
		fs = append(fs, s.g.validateCase(schemas.Name(schema), s.asCase(), a)...)
	}
	return stepError(fs)
}

func lastPlugin(a answer) string {
	if len(a.Steps) == 0 {
		return ""
	}
	return a.Steps[len(a.Steps)-1].Plugin
}

// blame returns the plugin that last wrote the value at ptr (or, when ptr
// does not exist, its nearest ancestor): the field provenance `shape
// --explain` prints (pipeline.Trace). A value no plugin changed is blamed
// on the last plugin that passed it on.
func blame(a answer, ptr string) string {
	var steps []pipeline.Step
	for _, st := range a.Steps {
		if st.Request != nil {
			steps = append(steps, pipeline.Step{Plugin: st.Plugin, Request: st.Request})
		}
	}
	prov, err := pipeline.Trace(inputOf(a, 0), steps)
	if err != nil {
		return lastPlugin(a)
	}
	if who := prov.Owner(ptr); who != "" && who != pipeline.BaseOwner {
		return who
	}
	return lastPlugin(a)
}

// inputOf returns the request inside the envelope of step i.
func inputOf(a answer, i int) []byte {
	if i >= len(a.Steps) {
		return nil
	}
	var env struct {
		Request json.RawMessage `json:"request"`
	}
	_ = json.Unmarshal(a.Steps[i].Envelope, &env)
	return env.Request
}

func (s *scenario) bothIdentical() error {
	if len(s.answers) < 2 {
		return errors.New("the plugin was not called twice")
	}
	if f := s.g.differ(s.answers[0], s.answers[1], "the second call on the same envelope", s.asCase()); f != nil {
		return stepError([]Failure{*f})
	}
	return nil
}

// differ reports a determinism failure when two answers to one envelope
// differ, shrinking the case to the smallest context that still shows it.
func (g *gate) differ(a, b answer, how string, c Case) *Failure {
	if bytes.Equal(a.Output, b.Output) && errText(a.Err) == errText(b.Err) {
		return nil
	}
	who := a.Plugin
	if who == "" {
		who = firstDiffering(a, b)
	}
	f := g.report("deterministic", determinismMessage(how), describeDifference(a, b), who, c, a,
		func(x, y answer) bool { return !bytes.Equal(x.Output, y.Output) || errText(x.Err) != errText(y.Err) })
	return &f
}

func firstDiffering(a, b answer) string {
	for i := range a.Steps {
		if i >= len(b.Steps) || !bytes.Equal(a.Steps[i].Request, b.Steps[i].Request) {
			return a.Steps[i].Plugin
		}
	}
	return lastPlugin(a)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// reservedPointers lists the JSON pointers of reserved members (the Tenant
// Key ID, agent-api.md §6) anywhere in the JSON document doc.
func reservedPointers(doc []byte) []string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	return schemas.ReservedPointers(v)
}

func (s *scenario) noReserved() error {
	var fs []Failure
	for _, a := range s.answers {
		fs = append(fs, s.g.reservedCase(s.asCase(), a)...)
	}
	return stepError(fs)
}

// ---- generated cases ----

func (g *gate) generate() {
	if g.cases == nil {
		g.cases = GenerateCases(g.opts.Seed, g.opts.Cases, g.org)
	}
}

func (g *gate) shapeAll() error {
	g.generate()
	if g.run1Done {
		return nil
	}
	r, err := g.load()
	if err != nil {
		return err
	}
	g.run1 = make([][2]answer, len(g.cases))
	for i, c := range g.cases {
		g.run1[i][0] = r.shape(g.ctx, c.Context, c.Request)
		g.run1[i][1] = r.shape(g.ctx, c.Context, c.Request)
	}
	g.run1Done = true
	return nil
}

func (g *gate) shapeAllAgain() error {
	if g.run2Done {
		return nil
	}
	r, err := openRunner(g.ctx, g.members, g.opts.Seed, g.opts.CacheDir)
	if err != nil {
		return err
	}
	defer r.close(g.ctx)
	// Members that broke a limit in the first run are not run again.
	for k, v := range g.runner.stopped {
		r.stopped[k] = v
	}
	r.fuel = g.runner.fuel // the budget applies to these calls too
	g.run2 = make([]answer, len(g.cases))
	for i := len(g.cases) - 1; i >= 0; i-- {
		g.run2[i] = r.shape(g.ctx, g.cases[i].Context, g.cases[i].Request)
	}
	g.run2Done = true
	return nil
}

func caseLabel(c Case) string {
	if c.Index < 0 {
		return c.Label
	}
	return fmt.Sprintf("#%d (%s)", c.Index, c.Label)
}

// asCase is the scenario's context and request as a case, for shrinking.
func (s *scenario) asCase() Case {
	return Case{Index: -1, Label: s.label(), Context: s.context, Request: s.request}
}

// collect runs check on every case, smallest context first, so that the
// failure recorded for each distinct problem comes with the smallest
// envelope that shows it: the minimal reproducer.
func (g *gate) collect(check func(i int) []Failure) error {
	return stepError(g.collectFailures(check))
}

// collectFailures is collect returning the failures.
func (g *gate) collectFailures(check func(i int) []Failure) []Failure {
	order := make([]int, len(g.cases))
	size := make([]int, len(g.cases))
	for i, c := range g.cases {
		order[i] = i
		b, _ := json.Marshal(c.Context)
		size[i] = len(b)
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] < size[order[b]] })
	var fs []Failure
	for _, i := range order {
		fs = append(fs, check(i)...)
	}
	return fs
}

func (g *gate) allWithinLimits() error { return g.collect(g.limitFaults) }

// limitFaults reports the first broken limit of case i's first run.
func (g *gate) limitFaults(i int) []Failure {
	for _, a := range g.run1[i] {
		if a.Err != nil && limitError(a.Err) {
			return []Failure{g.failAt("limits", a.Err.Error(), a.Plugin, caseLabel(g.cases[i]), a)}
		}
	}
	return nil
}

// faultsOf reports answer a of case c if it is a fault of any kind: a
// broken limit (check limits) or an ABI-level fault (check abi) as first
// seen — the plugin is not called again, so there is nothing to shrink —
// and any other fault (check answer) shrunk to a minimal case.
func (g *gate) faultsOf(c Case, a answer) []Failure {
	switch {
	case a.Err == nil:
		return nil
	case limitError(a.Err):
		return []Failure{g.failAt("limits", a.Err.Error(), a.Plugin, caseLabel(c), a)}
	case abiLevel(a.Err):
		return []Failure{g.failAt("abi", a.Err.Error(), a.Plugin, caseLabel(c), a)}
	}
	return []Failure{g.answerFault(c, a)}
}

// answerFault records answer a of case c, a fault other than a broken
// limit, shrinking c to the smallest context that still gives that plugin
// such a fault.
func (g *gate) answerFault(c Case, a answer) Failure {
	return g.report("answer", a.Err.Error(), "", a.Plugin, c, a, func(x, _ answer) bool {
		return x.Err != nil && !limitError(x.Err) && x.Plugin == a.Plugin
	})
}

func (g *gate) allAnswers() error { return g.collect(g.answerFaults) }

// answerFaults reports case i's first answer if it is a fault other than a
// broken limit.
func (g *gate) answerFaults(i int) []Failure {
	a := g.run1[i][0]
	if a.Err == nil || limitError(a.Err) {
		return nil
	}
	return g.faultsOf(g.cases[i], a)
}

func (g *gate) allValid(schema string) error {
	return g.collect(func(i int) []Failure { return g.validateCase(schemas.Name(schema), g.cases[i], g.run1[i][0]) })
}

// validateCase checks case c's answer a against schema; each violation is
// blamed on the plugin that last changed its value and shrunk to a minimal case.
func (g *gate) validateCase(name schemas.Name, c Case, a answer) []Failure {
	if a.Request == nil {
		return nil
	}
	vs, err := schemas.Validate(name, a.Request)
	if err != nil {
		return []Failure{g.failAt("schema", "the shaped request cannot be validated: "+err.Error(), lastPlugin(a), caseLabel(c), a)}
	}
	var fs []Failure
	for _, v := range vs {
		msg := fmt.Sprintf("the shaped request is not a valid %s: %s (rule %s)", name, v.Message, v.Rule)
		fs = append(fs, g.report("schema", msg, "", blame(a, v.Pointer), c, a, func(x, _ answer) bool {
			if x.Request == nil {
				return false
			}
			xs, _ := schemas.Validate(name, x.Request)
			for _, xv := range xs {
				if xv.Pointer == v.Pointer && xv.Rule == v.Rule {
					return true
				}
			}
			return false
		}))
	}
	return fs
}

func (g *gate) allNoReserved() error {
	return g.collect(func(i int) []Failure { return g.reservedCase(g.cases[i], g.run1[i][0]) })
}

// reservedCase reports each reserved member case c's answer a sets.
func (g *gate) reservedCase(c Case, a answer) []Failure {
	if a.Request == nil {
		return nil
	}
	var fs []Failure
	seen := map[string]bool{}
	for _, p := range reservedPointers(a.Request) {
		seen[p] = true
		fs = append(fs, g.report("reserved", reservedMessage(p), "", blame(a, p), c, a, func(x, _ answer) bool {
			return x.Request != nil && slices.Contains(reservedPointers(x.Request), p)
		}))
	}
	// A member set by one plugin and removed by a later one was still set.
	for _, st := range a.Steps {
		for _, p := range reservedPointers(st.Request) {
			if seen[p] {
				continue
			}
			seen[p] = true
			who := st.Plugin
			fs = append(fs, g.report("reserved", reservedMessage(p)+" (a later plugin removed it, but no plugin may set it, even in passing)", "", who, c, a,
				func(x, _ answer) bool { return stepSets(x, who, p) }))
		}
	}
	return fs
}

// stepSets reports whether plugin's step of answer a set the member at ptr.
func stepSets(a answer, plugin, ptr string) bool {
	for _, st := range a.Steps {
		if st.Plugin == plugin && slices.Contains(reservedPointers(st.Request), ptr) {
			return true
		}
	}
	return false
}

func (g *gate) allIdentical() error {
	return g.collect(func(i int) []Failure {
		if f := g.differ(g.run1[i][0], g.run1[i][1], "called twice in a row", g.cases[i]); f != nil {
			return []Failure{*f}
		}
		if f := g.differ(g.run1[i][0], g.run2[i], "on a fresh runtime with the same seed, cases in reverse order", g.cases[i]); f != nil {
			return []Failure{*f}
		}
		return nil
	})
}
