//go:build !race

package plugin_test

// raceSlowdown is 1 without the race detector: the bound is timeout + 100 ms.
const raceSlowdown = 1
