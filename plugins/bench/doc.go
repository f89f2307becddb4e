// Package bench holds the example plugins' benchmarks (no code of its own):
//
//   - BenchmarkPipeline*: the three Go example plugins (endpoint, session-key,
//     context-vars) as a warm, pooled host/pipeline against the same logic
//     compiled natively and run through the same envelope path
//     (shapekit.Handle), and the pipeline's throughput with 1 and 2
//     concurrent workers.
//   - BenchmarkColdStart: `agentshape shape` with the three plugins, run as a
//     fresh process with an empty and with a warm compilation cache.
//
// Run them with `make plugins` first:
//
//	go test -run '^$' -bench . -benchmem ./plugins/bench
package bench
