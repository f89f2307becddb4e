package plugin

import (
	"context"
	"errors"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/internal/instrument"
)

// Fuel is the host's deterministic measure of the work a call does: one
// unit per check point the plugin passes (internal/instrument) — every loop
// iteration, and every entry of a function that could recurse without
// meeting a loop. It depends only on the module and on the path its code
// takes (the envelope, the config, the clock and randomness it reads), not
// on timing, load or the machine, so a budget in fuel passes or fails the
// same everywhere (plugins/ABI.md §8).
//
// The counter is the check points' own: an i64 global (instrument.FuelExport) counting
// down to the next trip into Go. The host sets it at the start of every call
// to the room left before its next look (at most instrument.FuelChunk check points,
// fewer when the call's fuel limit is nearer), adds what was used at each
// trip and at the end of the call, and traps the call at the check point
// that goes past its limit — so a budget is enforced exactly, not every
// 4096th check, and counting costs nothing over the timeout checks.

// fuelChunk is the most check points between two trips into Go.
const fuelChunk = instrument.FuelChunk

// ErrFuelExhausted: a call used more fuel than its limit (Limits.Fuel).
var ErrFuelExhausted = errors.New("fuel exhausted")

// errFuelTrap is the trap of a call that used more fuel than its limit.
var errFuelTrap = errors.New("fuel limit reached")

// fuelMeter counts one call's fuel.
type fuelMeter struct {
	global   api.MutableGlobal // the instance's countdown; nil without instrumentation
	limit    int64             // 0: no limit
	consumed int64             // fuel used up to the last setting of global
	chunk    int64             // what global was last set to
}

// start arms the meter for a call on the instance whose countdown is g.
func (m *fuelMeter) start(g api.MutableGlobal, limit int64) {
	m.global, m.limit, m.consumed = g, limit, 0
	m.refill()
}

// refill sets the countdown to the room before the host's next look.
func (m *fuelMeter) refill() {
	m.chunk = fuelChunk
	if m.limit > 0 {
		// The check point after the limit's last one traps. room is at
		// least 0 (a call past its limit has trapped) and room+1 is taken
		// only below fuelChunk: limit+1 overflowed at math.MaxInt64 into a
		// countdown of 2^63, which never came back to the host, so neither
		// fuel nor the deadline stopped the plugin.
		if room := m.limit - m.consumed; room < fuelChunk-1 {
			m.chunk = room + 1
		}
	}
	if m.global != nil {
		m.global.Set(uint64(m.chunk))
	}
}

// trip accounts for a countdown of mod that reached zero; it traps a call
// past its limit. A meter not started (instantiation) finds the countdown
// at its first trip, which began at the module's initial fuelChunk.
func (m *fuelMeter) trip(mod api.Module) {
	if m.global == nil {
		if m.global = fuelGlobal(mod); m.global == nil {
			return
		}
		m.chunk = fuelChunk
	}
	m.consumed += m.chunk
	if m.limit > 0 && m.consumed > m.limit {
		m.chunk = 0 // the countdown stays at zero: used() is consumed
		panic(errFuelTrap)
	}
	m.refill()
}

// used returns the fuel the call has used so far.
func (m *fuelMeter) used() int64 {
	if m.global == nil {
		return m.consumed
	}
	return m.consumed + m.chunk - int64(m.global.Get())
}

// fuelGlobal returns an instance's fuel countdown, nil when the module runs
// without the instrumentation.
func fuelGlobal(mod api.Module) api.MutableGlobal {
	g, _ := mod.ExportedGlobal(instrument.FuelExport).(api.MutableGlobal)
	return g
}

// CallStats is what one call cost, filled by Call and Shape when the
// caller's context carries it (WithCallStats).
type CallStats struct {
	// Fuel is the fuel the call used (see Limits.Fuel).
	Fuel int64 `json:"fuel"`
	// MemoryPages is the peak size of the plugin's memory during the call,
	// in 64 KiB pages (a wasm memory never shrinks: its size at the end).
	MemoryPages uint32 `json:"memoryPages"`
	// Duration is the call's wall-clock time, instantiation included when
	// the call needed a new instance.
	Duration time.Duration `json:"durationNs"`
}

type callStatsKey struct{}

// WithCallStats returns ctx carrying s, which each call made with it
// overwrites with that call's figures (also when the call fails, as far as
// it got). s must not be shared by concurrent calls.
func WithCallStats(ctx context.Context, s *CallStats) context.Context {
	return context.WithValue(ctx, callStatsKey{}, s)
}

// callStats returns the CallStats ctx carries, or nil.
func callStats(ctx context.Context) *CallStats {
	s, _ := ctx.Value(callStatsKey{}).(*CallStats)
	return s
}

// recordStats fills the caller's CallStats, if any.
func recordStats(ctx context.Context, began time.Time, m *fuelMeter, mem api.Memory) {
	s := callStats(ctx)
	if s == nil {
		return
	}
	*s = CallStats{Fuel: m.used(), Duration: time.Since(began)}
	if mem != nil {
		s.MemoryPages = mem.Size() / pageSize
	}
}
