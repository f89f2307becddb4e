package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
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
	if again := run(t, opts).Plugins[0].Fuel; !reflect.DeepEqual(again, f) {
		t.Fatalf("fuel %+v then %+v for the same seed", f, again)
	}
	line := fmt.Sprintf("fuel max %d, median %d over %d calls under seeds 3, 4, 5, 6 (max under seed %d); spread %.2f%% between seeds, recommended budget %d",
		f.Max, f.Median, f.Calls, f.MaxSeed, f.SpreadPct, f.Recommended)
	for format, want := range map[string]string{
		"text":     "plugin endpoint: " + line,
		"junit":    fmt.Sprintf(`<property name="plugin.endpoint.fuel.max" value="%d">`, f.Max),
		"cucumber": `"name": "endpoint: ` + line,
		"html":     fmt.Sprintf(`data-fuel-max="%d" data-fuel-median="%d" data-fuel-max-seed="%d" data-fuel-seeds="3 4 5 6" data-fuel-spread="%.2f" data-fuel-recommended="%d">%s`, f.Max, f.Median, f.MaxSeed, f.SpreadPct, f.Recommended, line),
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
	if got := under.String(); !strings.HasPrefix(got, fmt.Sprintf("fuel max %d, median %d over %d calls", under.Max, under.Median, under.Calls)) ||
		!strings.HasSuffix(got, fmt.Sprintf(" — OVER its budget of %d (a call ran out of fuel: %s)", f.Max-1, under.OverIn)) {
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

// TestGateSweepsFuelSeeds: the gate replays every call under three more
// seeds. The Go endpoint plugin's runtime seeds its maps from the
// randomness it reads at start-up, so its fuel differs between seeds on
// the same call (a spread over 0); the C timezone plugin reads none, so
// every seed gives the same figures (spread 0). A budget that holds under
// --seed alone but not under a seed of the sweep passes a gate run without
// the sweep and fails the gate with it, naming that seed in the failure,
// its reproducer and the fuel line.
func TestGateSweepsFuelSeeds(t *testing.T) {
	checkSeeds := func(f *conformance.FuelReport, seed int64) {
		t.Helper()
		if want := []int64{seed, seed + 1, seed + 2, seed + 3}; !reflect.DeepEqual(f.Seeds, want) || len(f.PerSeed) != 4 || f.Max != slices.Max(f.PerSeed) ||
			f.PerSeed[slices.Index(f.Seeds, f.MaxSeed)] != f.Max || f.Recommended != conformance.RecommendedBudget(f.Max, f.SpreadPct) || f.Recommended <= f.Max {
			t.Fatalf("fuel %+v; want seeds %v, each seed's max, the max under the seed it names and the recommended budget over it", f, want)
		}
	}
	tz := run(t, conformance.Options{Plugin: catalog.MustPath(t, "timezone"), Cases: 8, Seed: 1}).Plugins[0].Fuel
	checkSeeds(tz, 1)
	if tz.SpreadPct != 0 || tz.SpreadIn != "" || slices.Min(tz.PerSeed) != tz.Max {
		t.Fatalf("timezone (C, reads no randomness): fuel %+v; want a spread of 0 and the same max under every seed", tz)
	}

	// The first seed whose own max is under the max of every seed: the
	// budget of its own max holds under it alone and not under the sweep.
	endpoint := catalog.MustPath(t, "endpoint")
	var seed int64
	var rep *conformance.Report
	var f *conformance.FuelReport
	for seed = 1; seed <= 6; seed++ {
		rep = run(t, conformance.Options{Plugin: endpoint, Cases: 8, Seed: seed})
		f = rep.Plugins[0].Fuel
		checkSeeds(f, seed)
		if f.SpreadPct <= 0 || f.SpreadIn == "" {
			t.Fatalf("endpoint (Go) under seed %d: fuel %+v; want a spread over 0 and the case it was found on", seed, f)
		}
		if f.PerSeed[0] < f.Max {
			break
		}
	}
	if seed > 6 {
		t.Fatal("under seeds 1-6, endpoint's max under --seed is always the max of every seed: no budget to test the sweep with")
	}
	budget := f.PerSeed[0]
	alone := run(t, conformance.Options{Plugin: endpoint, Cases: 8, Seed: seed, Fuel: budget, FuelSeeds: -1})
	if alone.Failed() || alone.Plugins[0].Fuel.Max != budget || len(alone.Plugins[0].Fuel.Seeds) != 1 {
		t.Fatalf("budget %d, the max under seed %d alone, without the sweep: failed %v, fuel %+v; want a pass", budget, seed, alone.Failed(), alone.Plugins[0].Fuel)
	}
	swept := run(t, conformance.Options{Plugin: endpoint, Cases: 8, Seed: seed, Fuel: budget})
	sf := swept.Plugins[0].Fuel
	var over *conformance.Failure
	for i, fl := range swept.Failures {
		if fl.Check == "limits" && strings.Contains(fl.Message, plugin.ErrFuelExhausted.Error()) {
			over = &swept.Failures[i]
		}
	}
	if !swept.Failed() || over == nil || !sf.OverBudget() || len(swept.Failures) != 1 {
		t.Fatalf("budget %d under the sweep (max %d under seed %d): failed %v, fuel %+v, failures %v; want one fuel failure", budget, f.Max, f.MaxSeed, swept.Failed(), sf, swept.Failures)
	}
	var at int64
	if _, err := fmt.Sscanf(over.Case[strings.LastIndex(over.Case, "under seed"):], "under seed %d", &at); err != nil || at <= seed || at > seed+3 {
		t.Fatalf("failure case %q: want it to name a seed of the sweep (%d-%d)", over.Case, seed+1, seed+3)
	}
	if !strings.Contains(over.Message, fmt.Sprintf("under seed %d of the fuel sweep", at)) || !strings.Contains(over.Command, fmt.Sprintf("--seed %d --fuel %d", at, budget)) || !strings.HasSuffix(sf.OverIn, fmt.Sprintf("under seed %d", at)) {
		t.Fatalf("failure %s, fuel line %q: want the seed %d named in the message, the reproducer and the fuel line", over, sf, at)
	}
	if got := swept.Summary(); !strings.HasSuffix(got, "; over its fuel budget: endpoint") {
		t.Errorf("summary %q: want it to say endpoint is over its fuel budget (no contract scenario failed)", got)
	}
	if got := reports(t, swept)["text"]; !strings.Contains(got, "OVER its budget of") || !strings.Contains(got, fmt.Sprintf("under seed %d", at)) {
		t.Errorf("text report lacks the seed:\n%s", got)
	}
	// JUnit and Cucumber record where the max and the spread were found.
	for format, got := range reports(t, rep) {
		if format != "junit" && format != "cucumber" {
			continue
		}
		for _, want := range []string{"plugin.endpoint.fuel.max.case", "plugin.endpoint.fuel.spread.case", "plugin.endpoint.fuel.recommended", "plugin.endpoint.fuel.seeds"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s report lacks %s", format, want)
			}
		}
	}
}

// TestGateWarnsOfATightFuelBudget: a budget the calls fit under every seed,
// but with less headroom over the max than FuelMargin of the spread, passes
// with a warning in every report format; the recommended budget passes
// without one.
func TestGateWarnsOfATightFuelBudget(t *testing.T) {
	opts := conformance.Options{Plugin: catalog.MustPath(t, "endpoint"), Cases: 4, Seed: 2}
	f := run(t, opts).Plugins[0].Fuel
	opts.Fuel = f.Max
	tight := run(t, opts)
	tf := tight.Plugins[0].Fuel
	if tight.Failed() || tf.Warning() == "" || tf.Max != f.Max {
		t.Fatalf("budget %d, the max of every seed: failed %v, fuel %+v, warning %q; want a pass with a warning", f.Max, tight.Failed(), tf, tf.Warning())
	}
	want := fmt.Sprintf("budget %d leaves 0.00%% over the max %d, less than the 2%% margin", f.Max, f.Max)
	for format, got := range reports(t, tight) {
		if !strings.Contains(got, want) || !strings.Contains(got, fmt.Sprintf("raise limits.fuel to %d", f.Recommended)) {
			t.Errorf("%s report lacks the warning %q … raise limits.fuel to %d", format, want, f.Recommended)
		}
	}
	opts.Fuel = f.Recommended
	if ok := run(t, opts); ok.Failed() || ok.Plugins[0].Fuel.Warning() != "" {
		t.Fatalf("the recommended budget %d: failed %v, warning %q; want a pass without a warning", f.Recommended, ok.Failed(), ok.Plugins[0].Fuel.Warning())
	}
}

// TestRecommendedBudget: max × (1 + max(2 × spread, 2%)), rounded up to
// three significant figures.
func TestRecommendedBudget(t *testing.T) {
	for _, c := range []struct {
		max    int64
		spread float64
		want   int64
	}{
		{140390, 0.65, 144000}, // 2%: 143197.8
		{7355, 1.5, 7580},      // 3%: 7575.65
		{100, 0, 102},
		{1, 0, 2},
		{0, 5, 0},
		{999000, 0, 1020000}, // 1018980
	} {
		if got := conformance.RecommendedBudget(c.max, c.spread); got != c.want {
			t.Errorf("RecommendedBudget(%d, %.2f) = %d; want %d", c.max, c.spread, got, c.want)
		}
	}
}

// TestGateRefusesTooManyFuelSeeds: each seed of the sweep replays every
// call, so a run asking for more than MaxFuelSeeds is refused before it
// starts, saying what the most is.
func TestGateRefusesTooManyFuelSeeds(t *testing.T) {
	_, err := conformance.Run(context.Background(), conformance.Options{Plugin: catalog.MustPath(t, "endpoint"), FuelSeeds: conformance.MaxFuelSeeds + 1, ReproDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d fuel seeds is over the most, %d", conformance.MaxFuelSeeds+1, conformance.MaxFuelSeeds)) {
		t.Fatalf("FuelSeeds %d: error %v; want it refused, naming the most", conformance.MaxFuelSeeds+1, err)
	}
}
