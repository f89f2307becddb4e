package conformance_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// reports renders every report format of rep.
func reports(t *testing.T, rep *conformance.Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return rep.WriteText(b) },
		"junit":    func(b *bytes.Buffer) error { return rep.WriteJUnit(b) },
		"cucumber": func(b *bytes.Buffer) error { return rep.WriteCucumber(b) },
		"html":     func(b *bytes.Buffer) error { return rep.WriteHTML(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.String()
	}
	return out
}

// TestGateReportsFuel: every report gives the plugin's fuel (max and median
// over every call the budget is checked against: the generated cases, their
// repeats and the scenarios' recorded contexts), the same on a second run
// with the same seed; a budget of the reported max passes; a budget below
// what its calls use fails the limits rule, and the reports say the plugin
// went over it, with the max and median of what was measured and the case.
func TestGateReportsFuel(t *testing.T) {
	wasm := catalog.MustPath(t, "endpoint")
	opts := conformance.Options{Plugin: wasm, Config: map[string]any{}, Cases: 8, Seed: 3}
	rep := run(t, opts)
	f := rep.Plugins[0].Fuel
	if rep.Failed() || f == nil || f.Calls <= 2*8 || f.Median <= 0 || f.Max < f.Median || f.Budget != 0 {
		t.Fatalf("failed %v, fuel %+v; want a passing run measuring more than the 16 calls of the generated cases' first run", rep.Failed(), f)
	}
	if again := run(t, opts).Plugins[0].Fuel; *again != *f {
		t.Fatalf("fuel %+v then %+v for the same seed", f, again)
	}
	line := fmt.Sprintf("fuel max %d, median %d over %d calls", f.Max, f.Median, f.Calls)
	for format, want := range map[string]string{
		"text":     "plugin endpoint: " + line,
		"junit":    fmt.Sprintf(`<property name="plugin.endpoint.fuel.max" value="%d">`, f.Max),
		"cucumber": `"name": "endpoint: ` + line,
		"html":     fmt.Sprintf(`data-fuel-max="%d" data-fuel-median="%d">%s`, f.Max, f.Median, line),
	} {
		if got := reports(t, rep)[format]; !strings.Contains(got, want) {
			t.Errorf("%s report lacks %q:\n%s", format, want, got)
		}
	}

	opts.Fuel = f.Max
	if at := run(t, opts); at.Failed() || at.Plugins[0].Fuel.OverBudget() || at.Plugins[0].Fuel.Max != f.Max {
		t.Fatalf("a budget of the reported max %d: failed %v, fuel %+v, failures %v; want a passing run", f.Max, at.Failed(), at.Plugins[0].Fuel, at.Failures)
	}

	// One under the max: the calls before the costliest are still measured.
	opts.Fuel = f.Max - 1
	under := run(t, opts).Plugins[0].Fuel
	if under == nil || !under.OverBudget() || under.Calls == 0 || under.Max > f.Max-1 || under.Median <= 0 || under.OverIn == "" {
		t.Fatalf("budget %d, one under the max: fuel %+v; want over budget, with the max and median of the calls measured and the case that went over", f.Max-1, under)
	}
	if got := under.String(); !strings.Contains(got, fmt.Sprintf("fuel max %d, median %d over %d calls — OVER its budget of %d (a call ran out of fuel: %s)", under.Max, under.Median, under.Calls, f.Max-1, under.OverIn)) {
		t.Errorf("report line %q", got)
	}

	opts.Fuel = f.Median
	over := run(t, opts)
	of := over.Plugins[0].Fuel
	if !over.Failed() || of == nil || !of.OverBudget() || of.Budget != f.Median || of.Max > f.Median || of.OverIn == "" {
		t.Fatalf("budget %d under the max %d: failed %v, fuel %+v; want a failed run, over budget, with what was measured and the case that went over", f.Median, f.Max, over.Failed(), of)
	}
	found := false
	for _, fl := range over.Failures {
		found = found || (fl.Check == "limits" && strings.Contains(fl.Message, plugin.ErrFuelExhausted.Error()) && strings.Contains(fl.Command, fmt.Sprintf("--fuel %d", f.Median)))
	}
	if !found {
		t.Fatalf("no limits failure naming fuel exhausted with a --fuel reproducer: %v", over.Failures)
	}
	// A plugin without loops costs no fuel, and the reports say so.
	if pf := run(t, conformance.Options{Plugin: catalog.MustPath(t, "testdata/trivial"), Cases: 4}).Plugins[0].Fuel; pf == nil || pf.Calls < 4 || pf.Max != 0 {
		t.Errorf("trivial (no loops): fuel %+v; want 4 calls measured at 0", pf)
	}
	for format, want := range map[string]string{"text": "OVER its budget of", "junit": "OVER its budget of", "cucumber": `"status": "failed"`, "html": `class="fuel over"`} {
		if got := reports(t, over)[format]; !strings.Contains(got, want) {
			t.Errorf("%s report lacks %q", format, want)
		}
	}
}
