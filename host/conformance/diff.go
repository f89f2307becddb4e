package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
)

// The behaviour diff between two versions of a plugin (or pipeline): both
// run, each on a fresh deterministic runtime with the run's seed, on the
// same cases — the contexts the plugin-contract features use and the
// generated cases — and every case whose answer differs is listed, field
// by field. It is the review a team makes before re-pinning a plugin's
// sha256.

// MaxFieldChanges is how many changed fields a case lists; the rest are
// counted (CaseDiff.MoreChanges).
const MaxFieldChanges = 50

// maxDiffValue bounds the JSON text of a value a field change shows.
const maxDiffValue = 256

// Diff is the behaviour diff of the plugin (or pipeline) under test against
// its baseline.
type Diff struct {
	// Baseline is the baseline plugin file or manifest.
	Baseline string `json:"baseline"`
	// Plugins name each baseline plugin with the sha256 of its module.
	Plugins []PluginReport `json:"plugins"`
	// Cases are every case compared, in order, identical ones included.
	Cases []CaseDiff `json:"cases"`
	// FailOnDiff says that a difference fails the run (--fail-on-diff).
	FailOnDiff bool `json:"failOnDiff"`
}

// Changed returns the cases whose answers differ.
func (d *Diff) Changed() []CaseDiff { return d.casesWhere(CaseDiff.Differs) }

// casesWhere returns the cases keep holds for.
func (d *Diff) casesWhere(keep func(CaseDiff) bool) []CaseDiff {
	var out []CaseDiff
	for _, c := range d.Cases {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Listed returns the cases the reports list: those whose answers differ
// and those where a plugin's fuel changed.
func (d *Diff) Listed() []CaseDiff { return d.casesWhere(CaseDiff.Listed) }

// Differs reports whether any case's answer differs.
func (d *Diff) Differs() bool { return d != nil && len(d.Changed()) > 0 }

// CaseDiff is one case as the baseline and the plugin under test answered it.
type CaseDiff struct {
	// Case is the case's label.
	Case string `json:"case"`
	// Old is the baseline's answer, New the answer of the plugin under test.
	Old Outcome `json:"old"`
	New Outcome `json:"new"`
	// Changes are the fields the two shaped requests have differently
	// (both answers requests), in JSON pointer order.
	Changes []FieldChange `json:"changes,omitempty"`
	// MoreChanges counts the changed fields left out past MaxFieldChanges.
	MoreChanges int `json:"moreChanges,omitempty"`
	// Fuel lists each plugin whose fuel on this case changed. A fuel change
	// is listed but is not a difference in behaviour: --fail-on-diff
	// ignores it (limits.fuel is the budget a plugin is held to).
	Fuel []FuelChange `json:"fuel,omitempty"`
	// Replay holds, for a differing case, the commands that shape it with
	// the baseline and with the plugin under test, on inputs written to the
	// run's reproducer directory.
	Replay []string `json:"replay,omitempty"`
}

// Differs reports whether the two answers differ: another kind of answer,
// another refusal code or refusing plugin, another fault, or a shaped
// request with a field changed.
func (c CaseDiff) Differs() bool { return c.Old != c.New || len(c.Changes) > 0 }

// Listed reports whether the case is listed: its answer differs or a
// plugin's fuel changed.
func (c CaseDiff) Listed() bool { return c.Differs() || len(c.Fuel) > 0 }

// Lines renders the difference one line each: the answers when they differ
// in kind, then every changed field as "POINTER: OLD -> NEW", then every
// fuel change.
func (c CaseDiff) Lines() []string {
	var out []string
	if c.Old != c.New {
		out = append(out, fmt.Sprintf("answer: %s -> %s", c.Old, c.New))
	}
	for _, ch := range c.Changes {
		out = append(out, ch.String())
	}
	if c.MoreChanges > 0 {
		out = append(out, fmt.Sprintf("and %d more changed field(s)", c.MoreChanges))
	}
	for _, f := range c.Fuel {
		out = append(out, f.String())
	}
	return out
}

// FuelChange is one plugin's fuel on one case in each version (0: the
// plugin gave no figure, and the note says why).
type FuelChange struct {
	Plugin string `json:"plugin"`
	Old    int64  `json:"old"`
	New    int64  `json:"new"`
	// OldNote and NewNote say what happened to a call without a figure:
	// "not called", "timed out", "ran out of fuel", "failed".
	OldNote string `json:"old_note,omitempty"`
	NewNote string `json:"new_note,omitempty"`
}

// OldText is the old version's fuel, or what happened to its call.
func (f FuelChange) OldText() string { return fuelText(f.Old, f.OldNote) }

// NewText is the new version's fuel, or what happened to its call.
func (f FuelChange) NewText() string { return fuelText(f.New, f.NewNote) }

func fuelText(n int64, note string) string {
	if n == 0 && note != "" {
		return note
	}
	return strconv.FormatInt(n, 10)
}

// String renders the change as "fuel PLUGIN: OLD -> NEW (+N%)".
func (f FuelChange) String() string {
	s := fmt.Sprintf("fuel %s: %s -> %s", f.Plugin, f.OldText(), f.NewText())
	if f.Old > 0 && f.New > 0 {
		s += fmt.Sprintf(" (%+.1f%%)", float64(f.New-f.Old)*100/float64(f.Old))
	}
	return s
}

// fuelChanges lists the plugins whose fuel differs between the two
// answers, in the new answer's order, then plugins only the old one called.
func fuelChanges(old, new answer) []FuelChange {
	used := func(a answer) map[string]int64 {
		m := map[string]int64{}
		for _, st := range a.Steps {
			m[st.Plugin] = st.Fuel
		}
		return m
	}
	o, n := used(old), used(new)
	var out []FuelChange
	seen := map[string]bool{}
	for _, steps := range [][]step{new.Steps, old.Steps} {
		for _, st := range steps {
			if !seen[st.Plugin] && o[st.Plugin] != n[st.Plugin] {
				out = append(out, FuelChange{Plugin: st.Plugin, Old: o[st.Plugin], New: n[st.Plugin], OldNote: callNote(old, st.Plugin), NewNote: callNote(new, st.Plugin)})
			}
			seen[st.Plugin] = true
		}
	}
	return out
}

// callNote says what happened to plugin name's call in answer a: "not called"
// (it was skipped, or the shaping stopped before it), "timed out", "ran out
// of fuel", "failed" (another fault), or "" when it ran to its end.
func callNote(a answer, name string) string {
	for _, st := range a.Steps {
		if st.Plugin != name {
			continue
		}
		switch {
		case !st.Called:
			return "not called"
		case a.Err == nil || a.Plugin != name:
			return ""
		case errors.Is(a.Err, plugin.ErrTimeout):
			return "timed out"
		case errors.Is(a.Err, plugin.ErrFuelExhausted):
			return "ran out of fuel"
		}
		return "failed"
	}
	return "not called"
}

// Outcome is one answer in short: what kind it is and, for a refusal or a
// fault, which plugin gave it and why. A refusal's message is not compared
// (a reworded message is not a change of behaviour); its code is.
type Outcome struct {
	// Kind is "request", "refusal" or "fault".
	Kind string `json:"kind"`
	// Plugin is the plugin that refused or failed.
	Plugin string `json:"plugin,omitempty"`
	// Code is the refusal's code.
	Code string `json:"code,omitempty"`
	// Fault is the fault's text.
	Fault string `json:"fault,omitempty"`
}

// String says what the answer was.
func (o Outcome) String() string {
	switch o.Kind {
	case "refusal":
		return fmt.Sprintf("refusal %q by %s", o.Code, o.Plugin)
	case "fault":
		return fmt.Sprintf("fault in %s (%s)", o.Plugin, clip([]byte(o.Fault), maxDiffValue))
	}
	return "request"
}

// FieldChange is one field two shaped requests have differently.
type FieldChange struct {
	// Pointer is the field's JSON pointer.
	Pointer string `json:"pointer"`
	// Old and New are its JSON values ("(absent)" where the request lacks
	// it), cut at 256 bytes.
	Old string `json:"old"`
	New string `json:"new"`
}

// String renders the change as "POINTER: OLD -> NEW".
func (f FieldChange) String() string { return fmt.Sprintf("%s: %s -> %s", f.Pointer, f.Old, f.New) }

func outcomeOf(a answer) Outcome {
	switch {
	case a.Err != nil:
		return Outcome{Kind: "fault", Plugin: a.Plugin, Fault: a.Err.Error()}
	case a.Refusal != nil:
		return Outcome{Kind: "refusal", Plugin: a.Plugin, Code: a.Refusal.Code}
	}
	return Outcome{Kind: "request"}
}

// compareAnswers is the difference between the baseline's answer old and
// the answer new to one case.
func compareAnswers(label string, old, new answer) CaseDiff {
	d := CaseDiff{Case: label, Old: outcomeOf(old), New: outcomeOf(new), Fuel: fuelChanges(old, new)}
	if old.Request == nil || new.Request == nil {
		return d
	}
	var x, y any
	if json.Unmarshal(old.Request, &x) != nil || json.Unmarshal(new.Request, &y) != nil {
		return d // a request the runner accepted is JSON; nothing to walk otherwise
	}
	walkJSONDifferences(x, y, "", func(ptr string, xv, yv []byte) bool {
		if len(d.Changes) == MaxFieldChanges {
			d.MoreChanges++
			return true
		}
		d.Changes = append(d.Changes, FieldChange{Pointer: ptr, Old: clip(xv, maxDiffValue), New: clip(yv, maxDiffValue)})
		return true
	})
	return d
}

// clip is b as text, cut at n bytes (on a rune boundary) with an ellipsis.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := b[:n]
	for len(cut) > 0 && !utf8.Valid(cut) {
		cut = cut[:len(cut)-1]
	}
	return string(cut) + "…"
}

// diffCases are the cases a diff compares: the contexts of the
// plugin-contract features (the typical and the empty context, and the
// typical context for the org under test), then the generated cases.
func diffCases(opts Options, org OrgUnderTest) []Case {
	forOrg := typicalContext(org)
	forOrg.Org = abi.Org{MyDomain: org.Org.MyDomain}
	base := baseRequest(opts.Seed, -1, org.Org.MyDomain)
	cases := []Case{
		{Index: -1, Label: "typical context", Context: typicalContext(org), Request: base},
		{Index: -1, Label: "empty context", Context: abi.Context{}, Request: base},
		{Index: -1, Label: "the org under test", Context: forOrg, Request: baseRequest(opts.Seed, -2, org.Org.MyDomain)},
	}
	return append(cases, GenerateCases(opts.Seed, opts.Cases, org)...)
}

// runDiff shapes every diff case with the baseline and with the subject,
// each on a fresh deterministic runtime seeded alike, and compares the
// answers.
func runDiff(ctx context.Context, opts Options, sub subject) (*Diff, error) {
	cases := diffCases(opts, sub.org)
	answers := func(members []Member) ([]answer, error) {
		r, err := openRunner(ctx, members, opts.Seed, opts.CacheDir)
		if err != nil {
			return nil, err
		}
		defer r.close(ctx)
		out := make([]answer, len(cases))
		for i, c := range cases {
			out[i] = r.shape(ctx, c.Context, c.Request)
		}
		return out, nil
	}
	old, err := answers(sub.baseline)
	if err != nil {
		return nil, fmt.Errorf("conformance: load the baseline %s: %w", sub.baselineTarget, err)
	}
	new, err := answers(sub.members)
	if err != nil {
		// the gate's own ABI scenario reports why the plugin does not load
		return nil, errPluginNotLoaded
	}
	d := &Diff{Baseline: sub.baselineTarget, Plugins: pluginReports(sub.baseline), FailOnDiff: opts.FailOnDiff}
	for i, c := range cases {
		cd := compareAnswers(caseLabel(c), old[i], new[i])
		if cd.Listed() {
			cd.Replay = writeDiffReplay(opts, sub, c, new[i], len(d.Listed())+1, len(cd.Fuel) > 0)
		}
		d.Cases = append(d.Cases, cd)
	}
	return d, nil
}

// writeDiffReplay writes what replays differing case c (the n-th) to the
// reproducer directory and returns the commands that shape it with the
// baseline and with the plugin under test: for a plugin, the envelope both
// got (`plugin call`); for a pipeline, the context and base request
// (`shape`); with fuelChanged, the plugin calls print their fuel (--stats).
// It returns nil when the files cannot be written.
func writeDiffReplay(opts Options, sub subject, c Case, a answer, n int, fuelChanged bool) []string {
	if os.MkdirAll(opts.ReproDir, 0o755) != nil {
		return nil
	}
	base := filepath.Join(opts.ReproDir, fmt.Sprintf("diff-%d", n))
	if opts.Plugin != "" {
		if len(a.Steps) == 0 || os.WriteFile(base+".json", a.Steps[0].Envelope, 0o644) != nil {
			return nil
		}
		name, stats := sub.members[0].Name, ""
		if fuelChanged {
			stats = " --stats"
		}
		return []string{
			"baseline: " + (&gate{opts: opts, members: sub.baseline}).replayCommand(name, base+".json") + stats,
			"new:      " + (&gate{opts: opts, members: sub.members}).replayCommand(name, base+".json") + stats,
		}
	}
	ctx, err := json.MarshalIndent(c.Context, "", "  ")
	if err != nil || os.WriteFile(base+".context.json", ctx, 0o644) != nil || os.WriteFile(base+".request.json", c.Request, 0o644) != nil {
		return nil
	}
	shape := func(manifest string) string {
		return fmt.Sprintf("%s shape --manifest %s --context %s --request %s --deterministic --seed %d",
			opts.Command, manifest, base+".context.json", base+".request.json", opts.Seed)
	}
	return []string{"baseline: " + shape(sub.baselineTarget), "new:      " + shape(sub.target)}
}

// errPluginNotLoaded says the plugin under test did not load, so there is
// nothing to compare; the gate's report says why.
var errPluginNotLoaded = errors.New("the plugin under test does not load")

// Summary is the diff's one-line verdict.
func (d *Diff) Summary() string {
	changed, fuel := len(d.Changed()), 0
	for _, c := range d.Cases {
		if len(c.Fuel) > 0 {
			fuel++
		}
	}
	s := fmt.Sprintf("behaviour diff against the baseline %s: no differences in %d cases", d.Baseline, len(d.Cases))
	if changed > 0 {
		s = fmt.Sprintf("behaviour diff against the baseline %s: %d of %d cases differ", d.Baseline, changed, len(d.Cases))
		if d.FailOnDiff {
			s += " (--fail-on-diff: this fails the run)"
		}
	}
	if fuel > 0 {
		s += fmt.Sprintf("; fuel changed in %d case(s) (listed, never a failure)", fuel)
	}
	return s
}

// writeText writes the diff for a terminal: the verdict, the baseline's
// plugins and every differing case with its changes.
func (d *Diff) writeText(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", d.Summary())
	for _, pl := range d.Plugins {
		fmt.Fprintf(w, "baseline plugin %s: sha256 %s (%s)\n", pl.Name, pl.SHA256, pl.Path)
	}
	for _, c := range d.Listed() {
		fmt.Fprintf(w, "  case %s\n", c.Case)
		for _, l := range c.Lines() {
			fmt.Fprintf(w, "      %s\n", l)
		}
		for _, r := range c.Replay {
			fmt.Fprintf(w, "    replay %s\n", r)
		}
	}
}
