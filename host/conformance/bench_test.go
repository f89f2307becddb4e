package conformance_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// BenchmarkGate times one full gate run (contract features, ABI checks, 50
// generated cases, end to end on the emulator) for one example plugin with
// a warm compile cache. The baseline, measured in the same run, is the same
// gate with no compile cache kept (CacheDir "-": every module compiled from
// scratch, once per run); the
// metrics are the warm run's seconds, the cold run's seconds, warm/cold, and
// warm/target where the target is 5 s.
//
//	go test -run '^$' -bench BenchmarkGate -benchtime 3x ./host/conformance
func BenchmarkGate(b *testing.B) {
	for _, name := range []string{"endpoint", "timezone"} {
		b.Run(name, func(b *testing.B) {
			wasm := catalog.MustPath(b, name)
			cache := b.TempDir()
			gate := func(cacheDir string) time.Duration {
				start := time.Now()
				rep, err := conformance.Run(context.Background(), conformance.Options{Plugin: wasm, CacheDir: cacheDir, ReproDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Failed() {
					rep.WriteText(os.Stderr)
					b.Fatalf("%s fails the gate", name)
				}
				return time.Since(start)
			}
			cold := gate("-") // baseline: nothing cached
			gate(cache)       // fill the cache
			b.ResetTimer()
			var warm time.Duration
			for i := 0; i < b.N; i++ {
				warm += gate(cache)
			}
			b.StopTimer()
			w := warm.Seconds() / float64(b.N)
			b.ReportMetric(w, "s/gate-warm")
			b.ReportMetric(cold.Seconds(), "s/gate-cold")
			b.ReportMetric(w/cold.Seconds(), "warm/cold")
			b.ReportMetric(w/5, "warm/target5s")
		})
	}
}
