package plugin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// envelope1K is a realistic envelope of about 1 KiB.
func envelope1K(b *testing.B, p *Plugin) []byte {
	b.Helper()
	c := abi.Context{
		AgentID: "0XxAA0000000001AAA", Channel: "web", ConversationID: "web-chat-2026-11-28-000042",
		Org:  abi.Org{MyDomain: "example-co", Kind: "production"},
		User: abi.User{Locale: "de_DE", Timezone: "Europe/Berlin", Attributes: map[string]any{"tier": "gold", "contactId": "003AA000004Tb7mYAC", "note": strings.Repeat("x", 420)}},
	}
	req := []byte(`{"externalSessionKey":"5e2e64ff-5de8-5d75-9ad4-8d8736f2db6d","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"streamingCapabilities":{"chunkTypes":["Text"]},"bypassUser":true,"variables":[{"name":"$Context.EndUserLanguage","type":"Text","value":"de_DE"}]}`)
	env, err := p.Envelope(c, req)
	if err != nil {
		b.Fatal(err)
	}
	if len(env) < 1000 || len(env) > 1100 {
		b.Fatalf("envelope is %d bytes, want ~1 KiB", len(env))
	}
	return env
}

func benchRuntime(b *testing.B, unguarded bool) *Runtime {
	b.Helper()
	return benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", unguarded: unguarded})
}

func benchRuntimeOpts(b *testing.B, opts RuntimeOptions) *Runtime {
	b.Helper()
	rt, err := NewRuntime(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func benchLoad(b *testing.B, rt *Runtime, rel string) *Plugin {
	b.Helper()
	p, err := rt.Load(context.Background(), Spec{Path: catalog.MustPath(b, rel), Limits: Limits{PoolSize: 1}})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// rawRoundTrip is the baseline: the same ABI steps done directly on wazero —
// alloc, write the envelope, shape, copy the output — with nothing else.
type rawRoundTrip struct {
	rt    wazero.Runtime
	alloc func(context.Context, ...uint64) ([]uint64, error)
	shape func(context.Context, ...uint64) ([]uint64, error)
	mem   interface {
		Write(uint32, []byte) bool
		Read(uint32, uint32) ([]byte, bool)
	}
}

func newRaw(b *testing.B, rel string, closeOnDone bool) *rawRoundTrip {
	b.Helper()
	ctx := context.Background()
	bin, err := os.ReadFile(catalog.MustPath(b, rel))
	if err != nil {
		b.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(closeOnDone))
	b.Cleanup(func() { _ = rt.Close(ctx) })
	mod, err := rt.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		b.Fatal(err)
	}
	return &rawRoundTrip{rt: rt, alloc: mod.ExportedFunction("alloc").Call, shape: mod.ExportedFunction("shape").Call, mem: mod.Memory()}
}

func (r *rawRoundTrip) call(ctx context.Context, env []byte) ([]byte, error) {
	res, err := r.alloc(ctx, uint64(len(env)))
	if err != nil {
		return nil, err
	}
	ptr := uint32(res[0])
	r.mem.Write(ptr, env)
	res, err = r.shape(ctx, uint64(ptr), uint64(len(env)))
	if err != nil {
		return nil, err
	}
	out, _ := r.mem.Read(uint32(res[0]>>32), uint32(res[0]))
	return bytes.Clone(out), nil
}

// interleaved runs each f n times, alternating between them in chunks of 64
// calls so that load changes on a shared machine hit every variant alike, and
// returns the mean time per call of each.
func interleaved(b *testing.B, n int, fs ...func() error) []time.Duration {
	const chunk = 64
	total := make([]time.Duration, len(fs))
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		for j, f := range fs {
			start := time.Now()
			for i := 0; i < k; i++ {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
			total[j] += time.Since(start)
		}
	}
	for j := range total {
		total[j] /= time.Duration(n)
	}
	return total
}

// BenchmarkABIRoundTrip: a 1 KiB envelope through the trivial reactor via
// Plugin.Call (pool, deadline, timeout checks, memory guard, output checks) vs the
// same ABI steps as raw wazero api.Function.Call on the same module, in two
// configurations measured in the same run:
//   - raw: wazero with close-on-context-done, the way wazero alone can stop a
//     runaway plugin — like for like, since the host stops plugins too;
//   - rawunguarded: wazero with nothing that could stop a plugin.
//
// Reported: host-ns/op, raw-ns/op, rawunguarded-ns/op, host/raw (target
// ≤ 1.5) and host/rawunguarded. The variants run interleaved, so ns/op is
// the sum of all three.
func BenchmarkABIRoundTrip(b *testing.B) {
	ctx := context.Background()
	p := benchLoad(b, benchRuntime(b, false), "testdata/trivial")
	env := envelope1K(b, p)
	raw := newRaw(b, "testdata/trivial", true)
	rawU := newRaw(b, "testdata/trivial", false)
	// warm up
	for i := 0; i < 1000; i++ {
		_, _ = p.Call(ctx, env)
		_, _ = raw.call(ctx, env)
		_, _ = rawU.call(ctx, env)
	}
	b.ResetTimer()
	d := interleaved(b, b.N,
		func() error { _, err := p.Call(ctx, env); return err },
		func() error { _, err := raw.call(ctx, env); return err },
		func() error { _, err := rawU.call(ctx, env); return err })
	host, base, baseU := d[0], d[1], d[2]
	b.ReportMetric(float64(host.Nanoseconds()), "host-ns/op")
	b.ReportMetric(float64(base.Nanoseconds()), "raw-ns/op")
	b.ReportMetric(float64(baseU.Nanoseconds()), "rawunguarded-ns/op")
	b.ReportMetric(float64(host)/float64(base), "host/raw")
	b.ReportMetric(float64(host)/float64(baseU), "host/rawunguarded")
}

// BenchmarkTimeoutEnforcement: a Go-guest plugin (the endpoint example,
// built with GOOS=wasip1 -buildmode=c-shared) shaping a 1 KiB envelope as the
// host runs it — instrumented with the stop-flag checks that make per-call
// timeouts work (internal/instrument, yield.go) — vs the same module without any checks
// (timeouts not enforceable), and vs wazero's own close-on-context-done
// (Stop: StopByWazero, the fallback), which calls out of the guest at every
// loop header (and misses loop-free recursion). Reported: guarded-ns/op, unguarded-ns/op,
// wazerochecks-ns/op, guarded/unguarded (target ≤ 2) and
// wazerochecks/unguarded. The variants run interleaved, so ns/op is the sum
// of all three.
func BenchmarkTimeoutEnforcement(b *testing.B) {
	ctx := context.Background()
	guarded := benchLoad(b, benchRuntime(b, false), "endpoint")
	unguarded := benchLoad(b, benchRuntime(b, true), "endpoint")
	wazeroChecks := benchLoad(b, benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", Stop: StopByWazero}), "endpoint")
	env := envelope1K(b, guarded)
	for i := 0; i < 200; i++ {
		_, _ = guarded.Call(ctx, env)
		_, _ = unguarded.Call(ctx, env)
		_, _ = wazeroChecks.Call(ctx, env)
	}
	b.ResetTimer()
	d := interleaved(b, b.N,
		func() error { _, err := guarded.Call(ctx, env); return err },
		func() error { _, err := unguarded.Call(ctx, env); return err },
		func() error { _, err := wazeroChecks.Call(ctx, env); return err })
	g, u, w := d[0], d[1], d[2]
	b.ReportMetric(float64(g.Nanoseconds()), "guarded-ns/op")
	b.ReportMetric(float64(u.Nanoseconds()), "unguarded-ns/op")
	b.ReportMetric(float64(w.Nanoseconds()), "wazerochecks-ns/op")
	b.ReportMetric(float64(g)/float64(u), "guarded/unguarded")
	b.ReportMetric(float64(w)/float64(u), "wazerochecks/unguarded")
}

// BenchmarkFuelMetering: what fuel costs on a Go-guest plugin (the endpoint
// example, 1 KiB envelope): a call under a fuel limit with its CallStats
// (metered) against the same plugin instrumented as before fuel, the tick
// counting up with no limit nor stats (RuntimeOptions.unmetered),
// interleaved in the same run. Issue 17's target: metered/unmetered <= 1.3.
func BenchmarkFuelMetering(b *testing.B) {
	ctx := context.Background()
	metered := benchLoad(b, benchRuntime(b, false), "endpoint")
	unmetered := benchLoad(b, benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", unmetered: true}), "endpoint")
	metered.limits.Fuel = 1 << 40
	env := envelope1K(b, metered)
	var stats CallStats
	mctx := WithCallStats(ctx, &stats)
	for i := 0; i < 200; i++ {
		_, _ = metered.Call(mctx, env)
		_, _ = unmetered.Call(ctx, env)
	}
	b.ResetTimer()
	d := interleaved(b, b.N,
		func() error { _, err := metered.Call(mctx, env); return err },
		func() error { _, err := unmetered.Call(ctx, env); return err })
	b.ReportMetric(float64(d[0].Nanoseconds()), "metered-ns/op")
	b.ReportMetric(float64(d[1].Nanoseconds()), "unmetered-ns/op")
	b.ReportMetric(float64(d[0])/float64(d[1]), "metered/unmetered")
	b.ReportMetric(float64(stats.Fuel), "fuel/op")
}

// BenchmarkLoad: loading (compile + first instance) the endpoint Go-guest
// plugin with an empty compilation cache vs a warm on-disk cache, as the CLI
// does on its first and second start. Reported: cold-ms, warm-ms, cold/warm.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	path := catalog.MustPath(b, "endpoint")
	loadOnce := func(dir string) time.Duration {
		start := time.Now()
		rt, err := NewRuntime(ctx, RuntimeOptions{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rt.Load(ctx, Spec{Path: path, Limits: Limits{PoolSize: 1}}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		_ = rt.Close(ctx)
		return d
	}
	var cold, warm time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cold += loadOnce(dir)
		warm += loadOnce(dir)
	}
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "cold-ms")
	b.ReportMetric(float64(warm.Microseconds())/1000/float64(b.N), "warm-ms")
	b.ReportMetric(float64(cold)/float64(warm), "cold/warm")
}

// BenchmarkHostCallChecks: what the deadline check every host call makes
// (hostcalls.go) costs per plugin call. Each plugin runs on a runtime with the
// checks and on one without them (RuntimeOptions.uncheckedHostCalls: wazero's
// WASI and agentshape.log as they were before), interleaved in the same run,
// shaping a 1 KiB envelope; logs go to a discarding handler. Plugins:
// hostcalls (20 host calls per call, the worst case), passthrough (one
// agentshape.log per call) and session-key (Go guest, one random_get per
// call). Reported per plugin: checked-ns/op, unchecked-ns/op and
// checked/unchecked (target ≤ 1.1), each a median over pairs of 64-call
// chunks; ns/op is the wall time of both variants, load bursts included.
func BenchmarkHostCallChecks(b *testing.B) {
	ctx := context.Background()
	discard := slog.New(slog.DiscardHandler)
	for _, name := range []string{"testdata/hostcalls", "testdata/passthrough", "session-key"} {
		b.Run(path.Base(name), func(b *testing.B) {
			checked := benchLoad(b, benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", Logger: discard}), name)
			unchecked := benchLoad(b, benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", Logger: discard, uncheckedHostCalls: true}), name)
			env := envelope1K(b, checked)
			for i := 0; i < 1000; i++ {
				_, _ = checked.Call(ctx, env)
				_, _ = unchecked.Call(ctx, env)
			}
			b.ResetTimer()
			tc, tu, ratio := pairedChunks(b, b.N,
				func() error { _, err := checked.Call(ctx, env); return err },
				func() error { _, err := unchecked.Call(ctx, env); return err })
			b.ReportMetric(float64(tc.Nanoseconds()), "checked-ns/op")
			b.ReportMetric(float64(tu.Nanoseconds()), "unchecked-ns/op")
			b.ReportMetric(ratio, "checked/unchecked")
		})
	}
}

// pairedChunks runs fa and fb n times each, in pairs of chunks of 64 calls
// (which of the two goes first alternates), and returns the median time per
// call of each and the median of the per-pair ratio fa/fb. On a shared
// machine a burst of load spoils a few pairs, which the medians ignore.
func pairedChunks(b *testing.B, n int, fa, fb func() error) (ta, tb time.Duration, ratio float64) {
	const chunk = 64
	run := func(f func() error, k int) time.Duration {
		start := time.Now()
		for i := 0; i < k; i++ {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / time.Duration(k)
	}
	var as, bs []time.Duration
	var ratios []float64
	for done, pair := 0, 0; done < n; done, pair = done+chunk, pair+1 {
		k := min(chunk, n-done)
		var da, db time.Duration
		if pair%2 == 0 {
			da, db = run(fa, k), run(fb, k)
		} else {
			db, da = run(fb, k), run(fa, k)
		}
		as, bs, ratios = append(as, da), append(bs, db), append(ratios, float64(da)/float64(db))
	}
	slices.Sort(as)
	slices.Sort(bs)
	slices.Sort(ratios)
	return as[len(as)/2], bs[len(bs)/2], ratios[len(ratios)/2]
}

// BenchmarkTimeoutUnderConcurrency: an endless plugin (hostile
// infinite-loop) with a 50 ms timeout called by 4 concurrent workers, each
// with an instance of its own (pool of 4), on however many cores the
// machine has (2 on CI). Every call must end in ErrTimeout; reported are the
// time from call to classified error, p50-ms, p99-ms and max-ms, and
// max-over-ms, the worst time past the timeout (target ≤ 100 ms); and, on
// Linux, cpuwait/run: how long the process's threads waited for a CPU per
// unit of time they ran (about 0 on a quiet machine; other load on the
// machine, not the host, makes the tail when it is well above 0).
func BenchmarkTimeoutUnderConcurrency(b *testing.B) {
	const (
		workers = 4
		timeout = 50 * time.Millisecond
	)
	ctx := context.Background()
	rt := benchRuntime(b, false)
	p, err := rt.Load(ctx, Spec{Path: catalog.MustPath(b, "testdata/hostile/infinite-loop"), Limits: Limits{Timeout: timeout, PoolSize: workers}})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	env := envelope1K(b, p)
	var (
		mu   sync.Mutex
		took []time.Duration
		next atomic.Int64
		wg   sync.WaitGroup
	)
	waited, ran := threadSchedStats()
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				start := time.Now()
				_, err := p.Call(ctx, env)
				mine = append(mine, time.Since(start))
				if !errors.Is(err, ErrTimeout) {
					b.Errorf("err = %v, want ErrTimeout", err)
					return
				}
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(q float64) time.Duration { return took[min(len(took)-1, int(q*float64(len(took))))] }
	b.ReportMetric(ms(at(0.50)), "p50-ms")
	b.ReportMetric(ms(at(0.99)), "p99-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
	b.ReportMetric(ms(took[len(took)-1]-timeout), "max-over-ms")
	if w, r := threadSchedStats(); r > ran {
		b.ReportMetric(float64(w-waited)/float64(r-ran), "cpuwait/run")
	}
}

// threadSchedStats sums, over the process's threads, the time they waited
// for a CPU while runnable and the time they ran, in nanoseconds, from
// /proc/self/task/*/schedstat (zeros where it is missing).
func threadSchedStats() (waited, ran int64) {
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		var r, w int64
		if _, err := fmt.Sscanf(string(b), "%d %d", &r, &w); err == nil {
			waited, ran = waited+w, ran+r
		}
	}
	return waited, ran
}

// readRSS returns the process's resident memory and its peak since the
// last resetPeakRSS, in bytes, from /proc (Linux).
func readRSS(b *testing.B) (rss, peak int64) {
	b.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			rss = kb << 10
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			peak = kb << 10
		}
	}
	return rss, peak
}

// settledRSS collects garbage, returns freed memory to the system and reads
// the resident memory; then it restarts the peak count.
func settledRSS(b *testing.B) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	rss, _ := readRSS(b)
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	return rss
}

// BenchmarkInstanceMemory: the host memory a live plugin instance takes when
// it takes all its limits allow. The hog plugin grows its memory to the
// limit, touching every page, then recurses through wide frames as deep as
// its stack budget allows (found first, by trying) and returns; 4 such
// instances stay live in the pool. Measured at memory limits of 1 page and
// 512 pages (the default), with plugin memory mapped (host, what runs) and
// on the Go heap grown by appending (heap, as before; also what runs where
// memory cannot be mapped), in the same run. Reported: rss-MiB/inst (resident
// after a GC, per instance), peak-MiB/inst (the peak during the calls),
// over-limit-MiB (rss per instance minus the memory limit: the constant
// README states) and the heap variant's figures.
func BenchmarkInstanceMemory(b *testing.B) {
	const instances = 4
	ctx := context.Background()
	path := catalog.MustPath(b, "testdata/hog")
	for _, pages := range []uint32{1, 512} {
		b.Run(fmt.Sprintf("pages=%d", pages), func(b *testing.B) {
			limits := Limits{MemoryMaxPages: pages, Timeout: time.Minute, PoolSize: instances}
			depth := 0 // the deepest recursion the budget allows, found once
			measure := func(heap bool) (rss, peak float64) {
				rt := benchRuntimeOpts(b, RuntimeOptions{CacheDir: "-", heapMemory: heap})
				p, err := rt.Load(ctx, Spec{Path: path, Limits: limits})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close(ctx)
				if depth == 0 {
					lo, hi := 0, 1<<16
					for hi-lo > 1 {
						if mid := (lo + hi) / 2; callDepth(ctx, p, mid) == nil {
							lo = mid
						} else {
							hi = mid
						}
					}
					depth = lo
				}
				if err := p.Warm(ctx); err != nil {
					b.Fatal(err)
				}
				before := settledRSS(b)
				var wg sync.WaitGroup
				for range instances {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := callDepth(ctx, p, depth); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				_, hwm := readRSS(b)
				after := settledRSS(b)
				mib := func(n int64) float64 { return float64(n) / instances / (1 << 20) }
				return mib(after - before), mib(hwm - before)
			}
			var rss, peak, heapRSS, heapPeak float64
			for range b.N {
				r, p := measure(false)
				hr, hp := measure(true)
				rss, peak, heapRSS, heapPeak = rss+r, peak+p, heapRSS+hr, heapPeak+hp
			}
			n := float64(b.N)
			limit := float64(pages) / 16
			b.ReportMetric(float64(depth), "depth")
			b.ReportMetric(rss/n, "rss-MiB/inst")
			b.ReportMetric(peak/n, "peak-MiB/inst")
			b.ReportMetric(rss/n-limit, "over-limit-MiB")
			b.ReportMetric(heapRSS/n, "heap-rss-MiB/inst")
			b.ReportMetric(heapPeak/n, "heap-peak-MiB/inst")
		})
	}
}

// callDepth calls hog with an envelope of depth bytes (at least 2): it
// recurses that deep.
func callDepth(ctx context.Context, p *Plugin, depth int) error {
	_, err := p.Call(ctx, []byte("{"+strings.Repeat(" ", max(depth-2, 0))+"}"))
	return err
}
