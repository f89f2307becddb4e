// Package bench_test measures what each plugin kit costs the host, for the
// same plugin logic (plugins/testdata/kitbench) written with the Go, C,
// AssemblyScript and Rust kits: module size, cold compile, cached compile,
// instantiation and per-call time, all from one benchmark run:
//
//	go test -run '^$' -bench KitCost -benchmem ./plugins/kits/bench
//
// Every go, as and rust sub-benchmark also reports x-vs-c, its time divided by the
// C kit's time for the same measurement in the same run.
package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/plugins/kits/internal/kittest"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// kits in measurement order: C first, as the baseline.
var kits = []string{"c", "go", "as", "rust"}

func module(tb testing.TB, kit string) []byte {
	tb.Helper()
	bin, err := os.ReadFile(catalog.MustPath(tb, "testdata/kitbench/"+kit))
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// benchContext and benchRequest make a realistic ~1 KB envelope.
var benchContext = abi.Context{
	AgentID:        "0XxAA0000000001AAA",
	Org:            abi.Org{MyDomain: "acme", Kind: "production"},
	Channel:        "web",
	ConversationID: "conv-8f14e45f-ceea-467f-a0e6-1d2f4b5c6d7e",
	User: abi.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{
		"tier": "gold", "contactId": "003AA000001abcdEFG", "orders": 12, "beta": true,
	}},
}

const benchRequest = `{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",` +
	`"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},` +
	`"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de"},` +
	`{"name":"orderTier","type":"Text","value":"gold"},{"name":"channel","type":"Text","value":"unknown"}],` +
	`"streamingCapabilities":{"chunkTypes":["Text"]},"bypassUser":true}`

func quietRuntime(tb testing.TB, opts plugin.RuntimeOptions) *plugin.Runtime {
	tb.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	rt, err := plugin.NewRuntime(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return rt
}

// TestKitsAgree checks the kitbench builds implement the same logic,
// so the benchmark compares kits, not programs.
func TestKitsAgree(t *testing.T) {
	rt := quietRuntime(t, plugin.RuntimeOptions{CacheDir: "-", Deterministic: true})
	defer rt.Close(context.Background())
	cases := []struct {
		config  map[string]any
		context abi.Context
		request string
	}{
		{nil, benchContext, benchRequest},
		{map[string]any{"variable": "sourceChannel"}, benchContext, benchRequest},
		{nil, abi.Context{Channel: "slack"}, `{}`},
		{nil, abi.Context{Channel: "mobile ✓ \"app\""}, `{"variables":[{"name":"x","type":"Number","value":"1"}],"tz":"UTC"}`},
		{nil, abi.Context{User: abi.User{Timezone: "Asia/Tokyo"}}, `{}`},
	}
	// Each kit's module is loaded (and compiled) once; the config travels in
	// each call's envelope.
	plugins := make([]*plugin.Plugin, len(kits))
	for k, kit := range kits {
		plugins[k] = kittest.Load(t, rt, "testdata/kitbench/"+kit, "kitbench", nil)
	}
	for i, tc := range cases {
		var outs []any
		var errs []string
		for k, kit := range kits {
			out, err := kittest.Call(t, plugins[k], tc.config, tc.context, tc.request)
			var v any
			if err == nil {
				if jerr := json.Unmarshal(out, &v); jerr != nil {
					t.Fatalf("%s: %v", kit, jerr)
				}
			}
			outs = append(outs, v)
			errs = append(errs, fmt.Sprint(err))
		}
		for k := 1; k < len(kits); k++ {
			if !reflect.DeepEqual(outs[0], outs[k]) || errs[0] != errs[k] {
				t.Fatalf("case %d: %s and %s disagree:\n %v %s\n %v %s", i, kits[0], kits[k], outs[0], errs[0], outs[k], errs[k])
			}
		}
	}
}

// baselines holds the C kit's ns/op per measurement, set by the "c"
// sub-benchmark (which runs first) and read by the others.
var (
	baselineMu sync.Mutex
	baselines  = map[string]float64{}
)

// measure runs fn b.N times (fn does its own timer control) and reports
// wasm-bytes and, for every kit but c, x-vs-c.
func measure(b *testing.B, metric, kit string, size int, fn func(b *testing.B)) {
	fn(b)
	b.ReportMetric(float64(size), "wasm-bytes")
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	baselineMu.Lock()
	defer baselineMu.Unlock()
	if kit == "c" {
		baselines[metric] = nsPerOp
		return
	}
	if base := baselines[metric]; base > 0 {
		b.ReportMetric(nsPerOp/base, "x-vs-c")
	}
}

// benchEnvelope is the envelope every call measurement uses.
func benchEnvelope(b *testing.B) []byte {
	c, err := json.Marshal(benchContext)
	if err != nil {
		b.Fatal(err)
	}
	return []byte(`{"abi":1,"plugin":{"name":"kitbench","config":{}},"context":` + string(c) + `,"request":` + benchRequest + `}`)
}

// rawCaller makes ABI v1 calls on a raw instance (alloc, write, shape),
// holding the exported functions so each call allocates nothing.
type rawCaller struct {
	mod          api.Module
	alloc, shape api.Function
	stack        []uint64
}

func newRawCaller(mod api.Module) *rawCaller {
	return &rawCaller{mod: mod, alloc: mod.ExportedFunction(abi.AllocExport), shape: mod.ExportedFunction(abi.ShapeExport), stack: make([]uint64, 2)}
}

func (c *rawCaller) call(b *testing.B, ctx context.Context, env []byte) {
	c.stack[0] = uint64(len(env))
	if err := c.alloc.CallWithStack(ctx, c.stack); err != nil {
		b.Fatal(err)
	}
	ptr := c.stack[0]
	if !c.mod.Memory().Write(uint32(ptr), env) {
		b.Fatal("alloc returned memory outside the module")
	}
	c.stack[0], c.stack[1] = ptr, uint64(len(env))
	if err := c.shape.CallWithStack(ctx, c.stack); err != nil {
		b.Fatal(err)
	}
	if n := uint32(c.stack[0]); n == 0 {
		b.Fatal("shape returned no output")
	}
}

func hostRuntimeConfig() wazero.RuntimeConfig {
	// The host's configuration (host/plugin.NewRuntime): compiler, timeouts
	// enforced by close-on-context-done, WebAssembly 2.0 core features.
	return wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true).WithCoreFeatures(api.CoreFeaturesV2)
}

func withImports(b *testing.B, ctx context.Context, r wazero.Runtime) {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		b.Fatal(err)
	}
	if _, err := r.NewHostModuleBuilder(abi.HostModule).NewFunctionBuilder().
		WithFunc(func(context.Context, api.Module, uint32, uint32, uint32) {}).Export(abi.LogImport).Instantiate(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkKitCost measures, per kit, from one run:
//
//	compile-cold    wazero compiles the module with no cache
//	compile-cached  a new runtime loads the compiled module from a warm disk cache
//	instantiate     a new sandboxed instance, _initialize included
//	call-raw        one shape call on a raw wazero instance without timeout checks
//	call            one shape call through host/plugin on a warm pooled instance
func BenchmarkKitCost(b *testing.B) {
	ctx := context.Background()
	bins := map[string][]byte{}
	for _, kit := range kits {
		bins[kit] = module(b, kit)
	}

	b.Run("compile-cold", func(b *testing.B) {
		for _, kit := range kits {
			b.Run(kit, func(b *testing.B) {
				measure(b, "compile-cold", kit, len(bins[kit]), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						r := wazero.NewRuntimeWithConfig(ctx, hostRuntimeConfig())
						b.StartTimer()
						if _, err := r.CompileModule(ctx, bins[kit]); err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						r.Close(ctx)
						b.StartTimer()
					}
				})
			})
		}
	})

	b.Run("compile-cached", func(b *testing.B) {
		for _, kit := range kits {
			b.Run(kit, func(b *testing.B) {
				dir := b.TempDir()
				warm := func() wazero.Runtime {
					cache, err := wazero.NewCompilationCacheWithDir(dir)
					if err != nil {
						b.Fatal(err)
					}
					return wazero.NewRuntimeWithConfig(ctx, hostRuntimeConfig().WithCompilationCache(cache))
				}
				r := warm()
				if _, err := r.CompileModule(ctx, bins[kit]); err != nil {
					b.Fatal(err)
				}
				r.Close(ctx)
				b.ResetTimer()
				measure(b, "compile-cached", kit, len(bins[kit]), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						r := warm()
						b.StartTimer()
						if _, err := r.CompileModule(ctx, bins[kit]); err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						r.Close(ctx)
						b.StartTimer()
					}
				})
			})
		}
	})

	b.Run("instantiate", func(b *testing.B) {
		for _, kit := range kits {
			b.Run(kit, func(b *testing.B) {
				r := wazero.NewRuntimeWithConfig(ctx, hostRuntimeConfig())
				defer r.Close(ctx)
				withImports(b, ctx, r)
				compiled, err := r.CompileModule(ctx, bins[kit])
				if err != nil {
					b.Fatal(err)
				}
				// The host's sandbox: no args, env, preopens; anonymous; _initialize run explicitly.
				cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions().WithStdout(io.Discard).WithStderr(io.Discard)
				// Memory one instance holds after _initialize and one call: what
				// each pooled instance costs (reported as pages of 64 KiB).
				probe, err := r.InstantiateModule(ctx, compiled, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if init := probe.ExportedFunction(abi.InitializeExport); init != nil {
					if _, err := init.Call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				newRawCaller(probe).call(b, ctx, benchEnvelope(b))
				pages := float64(probe.Memory().Size()) / 65536
				probe.Close(ctx)
				b.ResetTimer()
				defer b.ReportMetric(pages, "pages/instance")
				measure(b, "instantiate", kit, len(bins[kit]), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						mod, err := r.InstantiateModule(ctx, compiled, cfg)
						if err != nil {
							b.Fatal(err)
						}
						if init := mod.ExportedFunction(abi.InitializeExport); init != nil {
							if _, err := init.Call(ctx); err != nil {
								b.Fatal(err)
							}
						}
						b.StopTimer()
						mod.Close(ctx)
						b.StartTimer()
					}
				})
			})
		}
	})

	// call-raw: the kit's own work per call — alloc, copy in, shape — on a
	// raw wazero instance compiled without the host's timeout checks (which
	// cost a check per loop iteration; "call" below includes them).
	b.Run("call-raw", func(b *testing.B) {
		for _, kit := range kits {
			b.Run(kit, func(b *testing.B) {
				r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2))
				defer r.Close(ctx)
				withImports(b, ctx, r)
				cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions().WithStdout(io.Discard).WithStderr(io.Discard)
				mod, err := r.InstantiateWithConfig(ctx, bins[kit], cfg)
				if err != nil {
					b.Fatal(err)
				}
				if init := mod.ExportedFunction(abi.InitializeExport); init != nil {
					if _, err := init.Call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				env := benchEnvelope(b)
				caller := newRawCaller(mod)
				b.SetBytes(int64(len(env)))
				b.ResetTimer()
				measure(b, "call-raw", kit, len(bins[kit]), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						caller.call(b, ctx, env)
					}
				})
			})
		}
	})

	b.Run("call", func(b *testing.B) {
		rt := quietRuntime(b, plugin.RuntimeOptions{CacheDir: "-"})
		defer rt.Close(ctx)
		// The floor: the same envelope through a hand-written WAT plugin that
		// returns the request unchanged (plugins/testdata/passthrough.wat) —
		// the host's own cost per call, which no kit can go below.
		b.Run("floor", func(b *testing.B) {
			p, err := rt.Load(ctx, plugin.Spec{Name: "passthrough", Path: catalog.MustPath(b, "testdata/passthrough"), Limits: plugin.Limits{PoolSize: 1}})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close(ctx)
			env, err := p.Envelope(benchContext, json.RawMessage(benchRequest))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(env)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Call(ctx, env); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, kit := range kits {
			b.Run(kit, func(b *testing.B) {
				p, err := rt.Load(ctx, plugin.Spec{Name: "kitbench-" + kit, Bytes: bins[kit], Limits: plugin.Limits{PoolSize: 1}})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close(ctx)
				env, err := p.Envelope(benchContext, json.RawMessage(benchRequest))
				if err != nil {
					b.Fatal(err)
				}
				out, err := p.Call(ctx, env)
				if err != nil || !strings.Contains(string(out), `"value":"web"`) {
					b.Fatalf("warm-up call: %s %v", out, err)
				}
				b.SetBytes(int64(len(env)))
				b.ResetTimer()
				measure(b, "call", kit, len(bins[kit]), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, err := p.Call(ctx, env); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	})
}
