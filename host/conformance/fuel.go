package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agentshape/agentshape/host/plugin"
)

// FuelReport is what a plugin's calls cost in fuel over the run
// (plugins/ABI.md §8): deterministic for a given seed, so a budget passes or
// fails the same on every machine.
type FuelReport struct {
	// Calls is how many calls were measured: every call of the plugin the
	// gate made that ran to its end (generated cases, their repeats and the
	// recorded contexts of the scenarios) — each was checked against the
	// budget.
	Calls int `json:"calls"`
	// Max and Median are the most and the median fuel of those calls (the
	// lower median for an even count).
	Max    int64 `json:"max"`
	Median int64 `json:"median"`
	// Budget is the plugin's limits.fuel (or --fuel); 0 when it has none.
	Budget int64 `json:"budget,omitempty"`
	// Exhausted is set when one of the run's calls of the plugin ran out of
	// its budget (the plugin is not called again after that).
	Exhausted bool `json:"exhausted,omitempty"`
	// OverIn names the case or scenario whose call ran out of fuel, when
	// the run knows it.
	OverIn string `json:"over_in,omitempty"`
}

// OverBudget reports whether a call used more fuel than the budget.
func (f FuelReport) OverBudget() bool { return f.Exhausted || (f.Budget > 0 && f.Max > f.Budget) }

// String is the report's line: "fuel max N, median M over K calls (budget B)".
func (f FuelReport) String() string {
	s := fmt.Sprintf("fuel max %d, median %d over %d calls", f.Max, f.Median, f.Calls)
	if f.Calls == 0 {
		s = "fuel not measured (no call ran to its end)"
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

// fuelReports fills each plugin's fuel from l, what every call of the
// gate's runners cost (nil when the plugins never loaded), and from
// failures (which case ran out of fuel); a plugin neither measured nor out
// of fuel keeps a nil report.
func fuelReports(plugins []PluginReport, members []Member, l *fuelLedger, failures []Failure) {
	if l == nil {
		return
	}
	for i := range plugins {
		name := plugins[i].Name
		exhausted := l.exhausted[name]
		calls := slices.Clone(l.used[name])
		f := &FuelReport{Calls: len(calls), Budget: members[i].Limits.Fuel, Exhausted: exhausted}
		if len(calls) > 0 {
			slices.Sort(calls)
			f.Max, f.Median = calls[len(calls)-1], calls[(len(calls)-1)/2]
		} else if !exhausted {
			continue
		}
		if exhausted {
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
