package conformance

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/agentshape/agentshape/host/plugin"
)

// FuelReport is what a plugin's calls cost in fuel over the run
// (plugins/ABI.md §8): deterministic for a given seed, so a budget passes or
// fails the same on every machine. The gate measures it under the run's
// seed and again under the seed sweep's (fuelsweep.go): a plugin that reads
// randomness at start-up — every Go plugin, whose runtime seeds its maps
// from it — costs slightly different fuel under each, as it does in
// production, where randomness is real.
type FuelReport struct {
	// Calls is how many calls were measured, under every seed: every call
	// of the plugin the gate made that did not run out of fuel (generated
	// cases, their repeats, the fresh-runtime run and the recorded contexts
	// of the scenarios), and the same calls replayed under each seed of the
	// sweep — each was checked against the budget.
	Calls int `json:"calls"`
	// Max and Median are the most and the median fuel of those calls (the
	// lower median for an even count), over every seed.
	Max    int64 `json:"max"`
	Median int64 `json:"median"`
	// MaxSeed is the seed under which the call that used Max ran, and MaxIn
	// the case it shaped.
	MaxSeed int64  `json:"max_seed"`
	MaxIn   string `json:"max_in,omitempty"`
	// Seeds are the seeds the fuel was measured under: the run's --seed
	// first, then the sweep's (--seed+1 … --seed+K, --fuel-seeds K).
	Seeds []int64 `json:"seeds,omitempty"`
	// PerSeed is the most each seed's calls used, in the order of Seeds:
	// what a run under that seed alone would have reported.
	PerSeed []int64 `json:"per_seed_max,omitempty"`
	// SpreadPct is the largest relative difference between the fuel of
	// the same call under two seeds, (most − least) / least, in percent;
	// SpreadIn names the case it was found on. 0 for a plugin that reads
	// no randomness before or during its calls (a C plugin).
	SpreadPct float64 `json:"spread_pct"`
	SpreadIn  string  `json:"spread_in,omitempty"`
	// Recommended is the budget the measurement calls for
	// (RecommendedBudget); 0 when the calls use no fuel.
	Recommended int64 `json:"recommended,omitempty"`
	// Budget is the plugin's limits.fuel (or --fuel); 0 when it has none.
	Budget int64 `json:"budget,omitempty"`
	// Exhausted is set when one of the run's calls of the plugin, under
	// any seed, ran out of its budget (the plugin is not called again
	// under that seed after that).
	Exhausted bool `json:"exhausted,omitempty"`
	// OverIn names the case or scenario whose call ran out of fuel, when
	// the run knows it, with the seed when it was one of the sweep's.
	OverIn string `json:"over_in,omitempty"`
}

// MinFuelMargin is the least headroom over the measured max that
// RecommendedBudget leaves, whatever the seed spread: 2%.
const MinFuelMargin = 0.02

// FuelMargin is the headroom over the max a budget should leave for a
// plugin whose fuel differs by spreadPct percent between seeds: twice the
// spread (a few seeds sample the range production's real randomness can
// reach; twice what they found covers the calls between them), and at
// least MinFuelMargin.
func FuelMargin(spreadPct float64) float64 { return max(2*spreadPct/100, MinFuelMargin) }

// RecommendedBudget is the fuel budget the gate recommends for a plugin
// whose calls used at most maxFuel with a seed spread of spreadPct
// percent: maxFuel × (1 + FuelMargin(spreadPct)), rounded up to three
// significant figures (a round figure, less than 1% more): 140,390 at a
// spread of 0.65% → 140,390 × 1.02 = 143,197.8 → 144,000. 0 when maxFuel is
// 0: no budget is needed for calls that use no fuel.
func RecommendedBudget(maxFuel int64, spreadPct float64) int64 {
	if maxFuel <= 0 {
		return 0
	}
	return roundUp3(fuelFloor(maxFuel, spreadPct))
}

// fuelFloor is the least budget that leaves FuelMargin over maxFuel.
func fuelFloor(maxFuel int64, spreadPct float64) int64 {
	return int64(math.Ceil(float64(maxFuel) * (1 + FuelMargin(spreadPct))))
}

// roundUp3 rounds n up to three significant figures.
func roundUp3(n int64) int64 {
	step := int64(1)
	for n/step >= 1000 {
		step *= 10
	}
	return (n + step - 1) / step * step
}

// OverBudget reports whether a call used more fuel than the budget.
func (f FuelReport) OverBudget() bool { return f.Exhausted || (f.Budget > 0 && f.Max > f.Budget) }

// Warning says why the plugin's budget is tight: it leaves less headroom
// over the max than FuelMargin of the measured spread (a call in
// production, under real randomness, may then go over it). "" when the
// budget leaves enough, when there is none, or when the plugin is over it
// (that is a failure, not a warning).
func (f FuelReport) Warning() string {
	if f.Budget <= 0 || f.OverBudget() || f.Max <= 0 || f.Budget >= fuelFloor(f.Max, f.SpreadPct) {
		return ""
	}
	return fmt.Sprintf("budget %d leaves %.2f%% over the max %d, less than the %.0f%% margin the seed spread of %.2f%% calls for: a call under real randomness may go over it; raise limits.fuel to %d",
		f.Budget, 100*float64(f.Budget-f.Max)/float64(f.Max), f.Max, 100*FuelMargin(f.SpreadPct), f.SpreadPct, f.Recommended)
}

// String is the report's line: "fuel max N, median M over K calls under
// seeds …; spread S% between seeds, recommended budget R (budget B)".
func (f FuelReport) String() string {
	s := fmt.Sprintf("fuel max %d, median %d over %d calls", f.Max, f.Median, f.Calls)
	if f.Calls == 0 {
		s = "fuel not measured (no call ran to its end)"
	} else {
		s += f.seedsText()
	}
	switch {
	case f.OverBudget():
		s += fmt.Sprintf(" — OVER its budget of %d (a call ran out of fuel", f.Budget)
		if f.OverIn != "" {
			s += ": " + f.OverIn
		}
		s += ")"
	case f.Budget > 0:
		s += fmt.Sprintf(" (budget %d)", f.Budget)
	default:
		s += " (no budget: set limits.fuel or --fuel)"
	}
	return s
}

// properties are the report's figures as name/value pairs under prefix
// (JUnit properties, the Cucumber features' run facts).
func (f FuelReport) properties(prefix string) [][2]string {
	p := [][2]string{{prefix, f.String()}}
	add := func(name string, v any) { p = append(p, [2]string{prefix + "." + name, fmt.Sprint(v)}) }
	if f.Calls > 0 {
		add("max", f.Max)
		add("median", f.Median)
		add("max.seed", f.MaxSeed)
		if f.MaxIn != "" {
			add("max.case", f.MaxIn)
		}
		if len(f.Seeds) > 1 {
			add("spread", fmt.Sprintf("%.2f%%", f.SpreadPct))
		}
		if f.SpreadIn != "" {
			add("spread.case", f.SpreadIn)
		}
		if f.Recommended > 0 {
			add("recommended", f.Recommended)
		}
	}
	if len(f.Seeds) > 0 {
		add("seeds", seedList(f.Seeds))
	}
	if f.Budget > 0 {
		add("budget", f.Budget)
	}
	if w := f.Warning(); w != "" {
		add("warning", w)
	}
	return p
}

// seedList is seeds separated by spaces.
func seedList(seeds []int64) string { return strings.Trim(fmt.Sprint(seeds), "[]") }

// seedsText is the line's part about the seeds: which ones, where the max
// was, the spread and the recommended budget.
func (f FuelReport) seedsText() string {
	if len(f.Seeds) == 0 {
		return ""
	}
	seeds := make([]string, len(f.Seeds))
	for i, sd := range f.Seeds {
		seeds[i] = fmt.Sprint(sd)
	}
	s := fmt.Sprintf(" under seed %s", seeds[0])
	if len(seeds) > 1 {
		s = fmt.Sprintf(" under seeds %s (max under seed %d); spread %.2f%% between seeds", strings.Join(seeds, ", "), f.MaxSeed, f.SpreadPct)
	} else {
		s += " (spread between seeds not measured: --fuel-seeds 0)"
	}
	if f.Recommended > 0 {
		s += fmt.Sprintf(", recommended budget %d", f.Recommended)
	}
	return s
}

// fuelReports fills each plugin's fuel from ledgers, what every call of
// the gate's runners cost under each of seeds (the run's first: nil when
// the plugins never loaded; the sweep's after it, each replaying the same
// calls), and from failures (which case ran out of fuel); label names the
// case a call shaped. A plugin neither measured nor out of fuel keeps a
// nil report.
func fuelReports(plugins []PluginReport, members []Member, seeds []int64, ledgers []*fuelLedger, label func(*tracedCall) string, failures []Failure) {
	if len(ledgers) == 0 || ledgers[0] == nil {
		return
	}
	for i := range plugins {
		name := plugins[i].Name
		f := &FuelReport{Budget: members[i].Limits.Fuel, Seeds: seeds}
		var all []int64
		var maxAt *tracedCall
		for k, l := range ledgers {
			f.Exhausted = f.Exhausted || l.exhausted[name]
			top := int64(0)
			for _, c := range l.calls(name) {
				fuel := c.fuel[name]
				top = max(top, fuel)
				if maxAt == nil || fuel > f.Max {
					f.Max, f.MaxSeed, maxAt = fuel, seeds[k], c
				}
				all = append(all, fuel)
			}
			f.PerSeed = append(f.PerSeed, top)
		}
		if f.Calls = len(all); f.Calls > 0 {
			slices.Sort(all)
			f.Median = all[(len(all)-1)/2]
			f.MaxIn = label(maxAt)
			if len(ledgers) > 1 {
				var at *tracedCall
				f.SpreadPct, at = fuelSpread(ledgers, name)
				if at != nil {
					f.SpreadIn = label(at)
				}
			}
			f.Recommended = RecommendedBudget(f.Max, f.SpreadPct)
		} else if !f.Exhausted {
			continue
		}
		if f.Exhausted {
			for _, fl := range failures {
				if fl.Check == "limits" && fl.Plugin == name && fl.Case != "" && strings.Contains(fl.Message, plugin.ErrFuelExhausted.Error()) {
					f.OverIn = fl.Case
					break
				}
			}
		}
		plugins[i].Fuel = f
	}
}

// fuelSpread is the largest relative difference, in percent, between the
// fuel member name used on the same call under two of the ledgers' seeds
// (they replay the same calls in the same order), and the call it was
// found on (nil when no call was measured under two seeds). A call that
// used no fuel under one seed and some under another counts as 100%.
func fuelSpread(ledgers []*fuelLedger, name string) (float64, *tracedCall) {
	var spread float64
	var at *tracedCall
	for t, trace := range ledgers[0].traces {
		for j, c := range trace.calls {
			lo, hi, n := int64(math.MaxInt64), int64(0), 0
			for _, l := range ledgers {
				if t >= len(l.traces) || j >= len(l.traces[t].calls) {
					continue
				}
				if fuel, ok := l.traces[t].calls[j].fuel[name]; ok {
					lo, hi, n = min(lo, fuel), max(hi, fuel), n+1
				}
			}
			if n < 2 || hi == lo {
				continue
			}
			rel := 100.0
			if lo > 0 {
				rel = 100 * float64(hi-lo) / float64(lo)
			}
			if rel > spread {
				spread, at = rel, c
			}
		}
	}
	return spread, at
}
