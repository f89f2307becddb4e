package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"maps"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
)

// The fuel seed sweep. A plugin's fuel is exact for a given module, input
// and randomness, but a Go plugin's runtime seeds its maps (and math/rand)
// from the randomness it reads at start-up, so its fuel differs slightly
// between instances that read different randomness — in production, where
// randomness is real, every instance. The gate runs deterministically under
// one seed; a budget set just over that seed's max could pass the gate and
// fail in production. So the gate replays every call it made, in the same
// order, on fresh deterministic runtimes under K more seeds (--seed+1 …
// --seed+K; Options.FuelSeeds, DefaultFuelSeeds by default), measuring only the fuel (the answers were checked
// under --seed): the report gives the max over every seed, the spread
// between seeds on the same call and a budget with headroom for it, and a
// call over its budget under any seed fails the plugin. Pinning start-up
// randomness in production instead would give every instance the same
// math/rand sequence (RATIONALE.md, "Fuel counts check points").

// DefaultFuelSeeds is how many seeds besides --seed the sweep measures fuel
// under when Options.FuelSeeds is 0.
const DefaultFuelSeeds = 3

// MaxFuelSeeds is the most seeds besides --seed a run may measure fuel
// under: each replays every call the gate made.
const MaxFuelSeeds = 32

// sweepSeeds are the seeds the sweep measures under, besides seed: seed+1 …
// seed+k (k is Options.FuelSeeds: 0 means DefaultFuelSeeds, negative none).
func sweepSeeds(seed int64, k int) []int64 {
	if k == 0 {
		k = DefaultFuelSeeds
	}
	var out []int64
	for i := 1; i <= k; i++ {
		out = append(out, seed+int64(i))
	}
	return out
}

// sweepFuel replays, under each seed of the sweep, every call the gate's
// runners made (each runner's calls on a fresh runtime of its own, in
// order, as the gate made them: a call's fuel depends on what its instance
// did before) and returns one ledger per seed, in order. A member that
// broke a limit or the ABI under the run's seed is not called (its failure
// is reported already). A call that runs out of its budget under a seed
// of the sweep fails the limits rule, naming the seed, with a reproducer
// under that seed.
func (g *gate) sweepFuel(seeds []int64) ([]*fuelLedger, error) {
	if g.runner == nil || len(seeds) == 0 {
		return nil, nil
	}
	// Members not to call: those stopped under the run's seed, and those
	// that ran out of fuel under any seed so far (their failure names the
	// first seed it happened under; one is enough).
	skip := maps.Clone(g.runner.stopped)
	ranOut := func(l *fuelLedger) {
		for name := range l.exhausted {
			if _, ok := skip[name]; !ok {
				skip[name] = fmt.Errorf("plugin %q: %w", name, plugin.ErrFuelExhausted)
			}
		}
	}
	ranOut(g.runner.fuel)
	var ledgers []*fuelLedger
	for _, seed := range seeds {
		l, err := g.sweepSeed(seed, skip)
		if err != nil {
			return nil, fmt.Errorf("conformance: fuel under seed %d: %w", seed, err)
		}
		ranOut(l)
		ledgers = append(ledgers, l)
	}
	return ledgers, nil
}

// sweepSeed replays the gate's calls under seed: one runtime, the members
// loaded afresh for each runner's calls (new instances; the compiled
// modules are the runtime's).
func (g *gate) sweepSeed(seed int64, skip map[string]error) (*fuelLedger, error) {
	rt, err := newGateRuntime(g.ctx, seed, g.opts.CacheDir)
	if err != nil {
		return nil, err
	}
	defer rt.Close(g.ctx)
	l := newFuelLedger()
	for _, t := range g.runner.fuel.traces {
		r, err := loadRunner(g.ctx, rt, g.members)
		if err != nil {
			return nil, err
		}
		maps.Copy(r.stopped, skip)
		r.fuel = l
		for _, c := range t.calls {
			if a := r.shape(g.ctx, c.context, c.request); ranOutOfFuel(a) {
				g.failFuelUnderSeed(seed, g.callLabel(c), a)
			}
		}
		r.close(g.ctx)
	}
	return l, nil
}

// ranOutOfFuel reports whether a's call ran out of fuel (not a member
// stopped earlier for it).
func ranOutOfFuel(a answer) bool {
	var stopped stoppedError
	return errors.Is(a.Err, plugin.ErrFuelExhausted) && !errors.As(a.Err, &stopped)
}

// failFuelUnderSeed records that answer a, of the call labelled label
// replayed under the sweep's seed, ran out of fuel; its reproducer replays
// the call under that seed.
func (g *gate) failFuelUnderSeed(seed int64, label string, a answer) {
	f := Failure{Check: "limits", Plugin: a.Plugin, Case: fmt.Sprintf("%s, under seed %d", label, seed),
		Message: fmt.Sprintf("%s, under seed %d of the fuel sweep (the calls replayed under --seed+1 … --seed+K): the plugin's fuel depends on the randomness it reads, real in production; raise limits.fuel to the recommended budget", a.Err, seed)}
	if _, known := g.known(f); known {
		return
	}
	g.writeEnvelopeSeed(&f, a, seed)
	g.fail(f)
}

// callLabel names the case a recorded call shaped: a generated case's
// label, or the scenario context it was.
func (g *gate) callLabel(c *tracedCall) string {
	if c == nil {
		return ""
	}
	for _, gc := range g.cases {
		if bytes.Equal(gc.Request, c.request) && sameContext(gc.Context, c.context) {
			return caseLabel(gc)
		}
	}
	switch {
	case sameContext(c.context, typicalContext(g.org)):
		return "typical context"
	case sameContext(c.context, abi.Context{}):
		return "empty context"
	}
	emu := typicalContext(g.org)
	emu.Org = abi.Org{MyDomain: g.org.Org.MyDomain}
	if sameContext(c.context, emu) {
		return "the org under test"
	}
	return "a shrunk context"
}
