//go:build race

package plugin_test

// raceSlowdown scales the hostile-corpus time bound under the race detector,
// which slows wazero's stack growth (deep recursion) about tenfold.
const raceSlowdown = 10
