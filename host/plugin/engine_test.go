package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// engineRun is what one plugin did on one engine and stop mechanism: its
// outputs and the fuel of three calls on one instance.
type engineRun struct {
	out  [][]byte
	fuel []int64
}

func runOn(t *testing.T, opts plugin.RuntimeOptions, cache, rel string) engineRun {
	t.Helper()
	opts.Deterministic, opts.Seed, opts.CacheDir, opts.Logger = true, 7, cache, slog.New(slog.DiscardHandler)
	p := load(t, newRuntime(t, opts), rel, plugin.Limits{PoolSize: 1}, nil)
	env := fuelEnvelope(t, p)
	var r engineRun
	for range 3 {
		var s plugin.CallStats
		out, err := p.Call(plugin.WithCallStats(context.Background(), &s), env)
		if err != nil {
			t.Fatalf("%s on %s/%s: %v", rel, opts.Engine, opts.Stop, err)
		}
		r.out, r.fuel = append(r.out, out), append(r.fuel, s.Fuel)
	}
	return r
}

// TestEnginesAndStopMechanismsRunPluginsAlike: wazero's interpreter (the
// fallback on a platform without its compiler) and wazero's own
// close-on-context-done (the fallback stop mechanism) run the Go and C kit
// plugins to the same outputs as the default; under the host's checks the
// interpreter counts exactly the compiler's fuel, and under wazero's
// mechanism nothing is counted.
func TestEnginesAndStopMechanismsRunPluginsAlike(t *testing.T) {
	for _, rel := range []string{"endpoint", "testdata/kitbench/c"} {
		t.Run(rel, func(t *testing.T) {
			cache := t.TempDir() // shared: the compiler compiles each module once
			want := runOn(t, plugin.RuntimeOptions{}, cache, rel)
			if want.fuel[0] == 0 {
				t.Fatalf("default runtime counted no fuel: %v", want.fuel)
			}
			for _, opts := range []plugin.RuntimeOptions{
				{Engine: plugin.EngineCompiler},
				{Engine: plugin.EngineInterpreter},
				{Stop: plugin.StopByWazero},
				{Engine: plugin.EngineInterpreter, Stop: plugin.StopByWazero},
			} {
				got := runOn(t, opts, cache, rel)
				for i := range want.out {
					if !bytes.Equal(got.out[i], want.out[i]) {
						t.Fatalf("%s/%s call %d: output\n%s\nwant (default runtime)\n%s", opts.Engine, opts.Stop, i, got.out[i], want.out[i])
					}
				}
				wantFuel := fmt.Sprint(want.fuel)
				if opts.Stop == plugin.StopByWazero {
					wantFuel = "[0 0 0]"
				}
				if fmt.Sprint(got.fuel) != wantFuel {
					t.Fatalf("%s/%s: fuel %v, want %s", opts.Engine, opts.Stop, got.fuel, wantFuel)
				}
			}
		})
	}
}

// TestFallbacksStopRunawayPlugins: on every engine and stop mechanism an
// endless loop ends in a timeout and an unbounded recursion in a trap, and
// the plugin's next call still works.
func TestFallbacksStopRunawayPlugins(t *testing.T) {
	for _, opts := range []plugin.RuntimeOptions{
		{Engine: plugin.EngineInterpreter},
		{Stop: plugin.StopByWazero},
		{Engine: plugin.EngineInterpreter, Stop: plugin.StopByWazero},
	} {
		t.Run(opts.Engine.String()+"/"+opts.Stop.String(), func(t *testing.T) {
			opts.Logger = slog.New(slog.DiscardHandler)
			rt := newRuntime(t, opts)
			for _, c := range []struct {
				rel  string
				kind error
			}{
				{"testdata/hostile/infinite-loop", plugin.ErrTimeout},
				{"testdata/hostile/deep-recursion", plugin.ErrTrap},
			} {
				p := load(t, rt, c.rel, plugin.Limits{Timeout: 200 * time.Millisecond}, nil)
				_, err := p.Call(context.Background(), []byte(`{}`))
				if !errors.Is(err, c.kind) {
					t.Fatalf("%s: err %v, want %v", c.rel, err, c.kind)
				}
			}
			p := load(t, rt, "testdata/passthrough", plugin.Limits{}, nil)
			if _, err := p.Shape(context.Background(), abi.Context{Channel: "web"}, nil); err != nil {
				t.Fatalf("passthrough after the runaways: %v", err)
			}
		})
	}
}

// TestStopByWazeroRefusesFuel: fuel is the host's checks' count, so a
// runtime that stops plugins with wazero's mechanism refuses a fuel limit at
// load, saying why and what to do.
func TestStopByWazeroRefusesFuel(t *testing.T) {
	rt := newRuntime(t, plugin.RuntimeOptions{Stop: plugin.StopByWazero})
	_, err := rt.Load(context.Background(), plugin.Spec{Path: catalog.MustPath(t, "testdata/passthrough"), Limits: plugin.Limits{Fuel: 1000}})
	if err == nil || !strings.Contains(err.Error(), "limits.fuel 1000") || !strings.Contains(err.Error(), "StopByChecks") {
		t.Fatalf("err %v, want a refusal naming limits.fuel 1000 and StopByChecks", err)
	}
}

// TestEngineAndStopNames: the names the CLI and manifests use parse back to
// the values, and unknown ones are refused naming the choices.
func TestEngineAndStopNames(t *testing.T) {
	for _, e := range []plugin.Engine{plugin.EngineAuto, plugin.EngineCompiler, plugin.EngineInterpreter} {
		if got, err := plugin.ParseEngine(e.String()); err != nil || got != e {
			t.Fatalf("ParseEngine(%q) = %v, %v", e, got, err)
		}
	}
	for _, m := range []plugin.StopMechanism{plugin.StopByChecks, plugin.StopByWazero} {
		if got, err := plugin.ParseStopMechanism(m.String()); err != nil || got != m {
			t.Fatalf("ParseStopMechanism(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := plugin.ParseEngine("jit"); err == nil || !strings.Contains(err.Error(), "auto, compiler or interpreter") {
		t.Fatalf("ParseEngine(jit): %v", err)
	}
	if _, err := plugin.ParseStopMechanism("epoch"); err == nil || !strings.Contains(err.Error(), "checks or wazero") {
		t.Fatalf("ParseStopMechanism(epoch): %v", err)
	}
	if _, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{Engine: 9, CacheDir: "-"}); err == nil || !strings.Contains(err.Error(), "unknown engine 9") {
		t.Fatalf("NewRuntime with Engine 9: %v", err)
	}
}
