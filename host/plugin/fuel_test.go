package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
)

// fuelEnvelope is the envelope the fuel tests shape: a context and a request
// the endpoint plugin works on.
func fuelEnvelope(t *testing.T, p *plugin.Plugin) []byte {
	t.Helper()
	c := abi.Context{AgentID: "0XxAA0000000001AAA", Channel: "web", Org: abi.Org{MyDomain: "example-co", Kind: "production"}, User: abi.User{Locale: "de_DE"}}
	env, err := p.Envelope(c, json.RawMessage(`{"externalSessionKey":"k","variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de_DE"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// fuelOf loads rel on a fresh runtime with opts and returns the fuel of n
// calls of the same envelope (the first on a new instance, the others on
// the pooled one).
func fuelOf(t *testing.T, opts plugin.RuntimeOptions, rel string, n int) []int64 {
	t.Helper()
	p := load(t, newRuntime(t, opts), rel, plugin.Limits{PoolSize: 1}, nil)
	env := fuelEnvelope(t, p)
	var out []int64
	for range n {
		var s plugin.CallStats
		if _, err := p.Call(plugin.WithCallStats(context.Background(), &s), env); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if s.MemoryPages == 0 || s.Duration <= 0 {
			t.Fatalf("%s: stats %+v lack memory pages or duration", rel, s)
		}
		out = append(out, s.Fuel)
	}
	return out
}

// TestFuelIsDeterministic: the same module and envelope, in the same
// sequence of calls on an instance, use the same fuel on a fresh runtime
// every time (fuel counts check points, not time). A plugin that reads
// neither clock nor randomness (the C kit) uses the same fuel under the
// deterministic clock and the real one; the Go runtime seeds its maps from
// random_get, so a Go guest repeats its figures exactly under the
// deterministic clock and randomness (as the gate runs it), and within a
// fraction of a percent otherwise. The first call of an instance pays for
// its lazy start-up (Go's allocator, C's malloc), so it costs more than the
// next ones (and a Go guest's later calls vary with its heap's state, the
// same way each run).
func TestFuelIsDeterministic(t *testing.T) {
	det := plugin.RuntimeOptions{Deterministic: true, Seed: 7}
	for _, rel := range []string{"endpoint", "testdata/kitbench/c"} {
		t.Run(rel, func(t *testing.T) {
			first := fuelOf(t, det, rel, 3)
			if first[1] <= 0 {
				t.Fatalf("fuel %v: the plugin's loops were not counted", first)
			}
			runs := [][]int64{fuelOf(t, det, rel, 3)}
			if rel != "endpoint" {
				runs = append(runs, fuelOf(t, plugin.RuntimeOptions{}, rel, 3))
			}
			for _, got := range runs {
				if fmt.Sprint(got) != fmt.Sprint(first) {
					t.Fatalf("fuel differs between runs: %v then %v", first, got)
				}
			}
			if first[0] < first[1] {
				t.Fatalf("fuel %v: the first call of an instance should cost at least as much as the next", first)
			}
		})
	}
}

// TestFuelLimitIsExact: a call with exactly the fuel it uses succeeds, with
// one less it fails with ErrFuelExhausted (checked at every check point, not
// at the host's every 4096th look), and the next call with enough fuel
// succeeds on a new instance.
func TestFuelLimitIsExact(t *testing.T) {
	det := plugin.RuntimeOptions{Deterministic: true, Seed: 7}
	used := fuelOf(t, det, "endpoint", 1)[0]
	rt := newRuntime(t, det)
	for _, c := range []struct {
		limit int64
		fail  bool
	}{{used, false}, {used - 1, true}, {used, false}} {
		p := load(t, rt, "endpoint", plugin.Limits{PoolSize: 1, Fuel: c.limit, Timeout: time.Hour}, nil)
		var s plugin.CallStats
		_, err := p.Call(plugin.WithCallStats(context.Background(), &s), fuelEnvelope(t, p))
		if !c.fail {
			if err != nil || s.Fuel != used {
				t.Fatalf("limit %d (= use): err %v, fuel %d; want success using %d", c.limit, err, s.Fuel, used)
			}
			continue
		}
		var pe *plugin.Error
		if !errors.As(err, &pe) || !errors.Is(err, plugin.ErrFuelExhausted) || pe.Phase != plugin.PhaseCall {
			t.Fatalf("limit %d (use - 1): err = %v; want kind %v in phase call", c.limit, err, plugin.ErrFuelExhausted)
		}
		if want := fmt.Sprintf("limits.fuel %d", c.limit); !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
		if s.Fuel != c.limit+1 {
			t.Fatalf("a call stopped by fuel reports fuel %d; want limit+1 = %d", s.Fuel, c.limit+1)
		}
	}
}

// TestFuelStopsEndlessCode: endless loops (reactor and command) and loop-free
// recursion under a fuel limit and a one-hour timeout end in ErrFuelExhausted
// — only fuel can stop them within the test's run — having used exactly the
// limit plus one.
func TestFuelStopsEndlessCode(t *testing.T) {
	const limit = 5_000_000
	rt := newRuntime(t, plugin.RuntimeOptions{})
	for _, rel := range []string{"testdata/hostile/infinite-loop", "testdata/hostile/indirect-recursion", "testdata/hostile/command-loop"} {
		t.Run(rel, func(t *testing.T) {
			p := load(t, rt, rel, plugin.Limits{PoolSize: 1, Fuel: limit, Timeout: time.Hour, InitTimeout: time.Hour}, nil)
			var s plugin.CallStats
			_, err := p.Shape(plugin.WithCallStats(context.Background(), &s), abi.Context{}, nil)
			if !errors.Is(err, plugin.ErrFuelExhausted) {
				t.Fatalf("err = %v; want %v", err, plugin.ErrFuelExhausted)
			}
			if s.Fuel != limit+1 {
				t.Fatalf("fuel %d; want %d", s.Fuel, limit+1)
			}
		})
	}
}

// TestHugeFuelLimitKeepsTheTimeout: a fuel limit too large to reach —
// math.MaxInt64 included, which a manifest may carry — leaves the timeout
// in charge (the limit's +1 overflowed and silenced the deadline checks,
// so an endless loop ran forever).
func TestHugeFuelLimitKeepsTheTimeout(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{})
	for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1, 1 << 62} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			p := load(t, rt, "testdata/hostile/infinite-loop", plugin.Limits{PoolSize: 1, Fuel: limit, Timeout: 50 * time.Millisecond}, nil)
			_, err := p.Shape(context.Background(), abi.Context{}, nil)
			if !errors.Is(err, plugin.ErrTimeout) {
				t.Fatalf("err = %v; want %v", err, plugin.ErrTimeout)
			}
		})
	}
}
