package plugin

// What the external tests (package plugin_test) check that no embedder
// needs.

// FixedWalltime is the wall clock plugins see in deterministic mode.
var FixedWalltime = fixedTime

// Per-call budgets of host calls and the log (hostcalls.go, log cap).
const (
	MaxRandomBytesPerCall = maxRandomBytesPerCall
	MaxStdioBytesPerCall  = maxStdioBytesPerCall
	MaxLogMessages        = maxLogMessages
)
