package schemas_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

// BenchmarkValidationShareOfPipeline answers issue 16 item 3: does validating
// the shaped body with jsonschema/v5 alone (compiled once, no fast.go/dfa.go)
// cost more than 10% of a warm run of the example pipeline
// (plugins/examples/pipeline.yaml with context.json)? Interleaved in one run
// (so machine load hits all alike) it times, per op: the warm pipeline run;
// Decode + validation as shipped (fast evaluator first); Decode + validation by
// jsonschema/v5 and the Go rules only. It reports each in ns and the two
// validations as a share of the run (library/run is the figure the issue asks
// for; below 0.10 the fast evaluator does not pay).
func BenchmarkValidationShareOfPipeline(b *testing.B) {
	root, err := catalog.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	m, err := pipeline.LoadManifest(filepath.Join(root, "plugins", "examples", "pipeline.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range m.Plugins {
		catalog.MustPath(b, e.Name)
	}
	c := catalog.MustDemoContext(b)
	ctx := context.Background()
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: filepath.Join(os.TempDir(), "agentshape-bench-wazero-cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	pl, err := pipeline.New(ctx, rt, m)
	if err != nil {
		b.Fatal(err)
	}
	defer pl.Close(ctx)
	run := func() []byte {
		res, err := pl.Run(ctx, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		return res.Request
	}
	check := func(body []byte, validate func(schemas.Name, any) ([]schemas.Violation, error)) {
		doc, err := schemas.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if vs, err := validate(schemas.StartSessionRequest, doc); err != nil || len(vs) != 0 {
			b.Fatalf("the example pipeline's body must be valid: %v %v", vs, err)
		}
	}
	for i := 0; i < 50; i++ { // warm the pool, the compiled schema and the fast evaluator
		body := run()
		check(body, schemas.ValidateValue)
		check(body, schemas.ValidateValueByLibrary)
	}
	var tRun, tFast, tLib time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		body := run()
		t1 := time.Now()
		check(body, schemas.ValidateValue)
		t2 := time.Now()
		check(body, schemas.ValidateValueByLibrary)
		t3 := time.Now()
		tRun += t1.Sub(t0)
		tFast += t2.Sub(t1)
		tLib += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tRun.Nanoseconds())/n, "run-ns/op")
	b.ReportMetric(float64(tFast.Nanoseconds())/n, "validate-fast-ns/op")
	b.ReportMetric(float64(tLib.Nanoseconds())/n, "validate-library-ns/op")
	b.ReportMetric(float64(tFast)/float64(tRun), "fast/run")
	b.ReportMetric(float64(tLib)/float64(tRun), "library/run")
}
