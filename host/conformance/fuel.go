package conformance

import (
	"errors"
	"fmt"
	"slices"

	"github.com/agentshape/agentshape/host/plugin"
)

// FuelReport is what a plugin's calls cost in fuel over the generated cases
// (plugins/ABI.md §8): deterministic for a given seed, so a budget passes or
// fails the same on every machine.
type FuelReport struct {
	// Calls is how many calls were measured: the first shaping of every
	// generated case that reached the plugin.
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
}

// OverBudget reports whether a call used more fuel than the budget.
func (f FuelReport) OverBudget() bool { return f.Exhausted || (f.Budget > 0 && f.Max > f.Budget) }

// String is the report's line: "fuel max N, median M over K calls (budget B)".
func (f FuelReport) String() string {
	s := fmt.Sprintf("fuel max %d, median %d over %d calls", f.Max, f.Median, f.Calls)
	if f.Calls == 0 {
		s = "fuel not measured on the generated cases"
	}
	switch {
	case f.OverBudget():
		s += fmt.Sprintf(" — OVER its budget of %d (a call ran out of fuel)", f.Budget)
	case f.Budget > 0:
		s += fmt.Sprintf(" (budget %d)", f.Budget)
	default:
		s += " (no budget: set limits.fuel or --fuel)"
	}
	return s
}

// fuelReports fills each plugin's fuel from the first shaping of every case
// (first[i]) and from stopped, the plugins not called again and why; a
// plugin neither reached nor stopped for fuel keeps a nil report.
func fuelReports(plugins []PluginReport, members []Member, first []answer, stopped map[string]error) {
	for i := range plugins {
		exhausted := errors.Is(stopped[plugins[i].Name], plugin.ErrFuelExhausted)
		var used []int64
		for _, a := range first {
			for _, st := range a.Steps {
				if st.Plugin == plugins[i].Name && st.Called {
					used = append(used, st.Fuel)
				}
			}
		}
		f := &FuelReport{Calls: len(used), Budget: members[i].Limits.Fuel, Exhausted: exhausted}
		if len(used) > 0 {
			slices.Sort(used)
			f.Max, f.Median = used[len(used)-1], used[(len(used)-1)/2]
		} else if !exhausted {
			continue
		}
		plugins[i].Fuel = f
	}
}
