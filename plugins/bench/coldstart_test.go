package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/plugins/catalog"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// buildCLI builds cmd/agentshape once per test binary into a temp dir.
func buildCLI(b *testing.B) string {
	b.Helper()
	cliOnce.Do(func() {
		root, err := catalog.RepoRoot()
		if err != nil {
			cliErr = err
			return
		}
		dir, err := os.MkdirTemp("", "agentshape-bench-cli")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "agentshape")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/agentshape")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = &buildError{err, out}
		}
	})
	if cliErr != nil {
		b.Fatalf("build cmd/agentshape: %v", cliErr)
	}
	return cliPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + ": " + string(e.out) }

// threeManifest writes a manifest of the three Go example plugins (absolute
// paths, the demo configs) and the demo context into dir.
func threeManifest(b *testing.B, dir string) (manifest, context string) {
	b.Helper()
	entries, mdir, c := demo(b)
	type entry struct {
		Name   string         `json:"name"`
		Path   string         `json:"path"`
		Config map[string]any `json:"config,omitempty"`
	}
	var list []entry
	for _, e := range entries {
		p := e.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(mdir, p)
		}
		list = append(list, entry{e.Name, p, e.Config})
	}
	// JSON is YAML: the manifest loader reads it as is.
	m, _ := json.Marshal(map[string]any{"version": 1, "plugins": list})
	cj, _ := json.Marshal(c)
	manifest, context = filepath.Join(dir, "three.yaml"), filepath.Join(dir, "context.json")
	if err := os.WriteFile(manifest, m, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(context, cj, 0o644); err != nil {
		b.Fatal(err)
	}
	return manifest, context
}

// shapeOnce execs `agentshape shape` with cacheDir (and any extra flags)
// and returns its wall time and the CPU time (user+system) the process used.
func shapeOnce(b *testing.B, cli, manifest, context, cacheDir string, extra ...string) (wall, cpu time.Duration) {
	b.Helper()
	cmd := exec.Command(cli, append([]string{"shape", "--manifest", manifest, "--context", context, "--cache-dir", cacheDir}, extra...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall = time.Since(start)
	if err != nil {
		b.Fatalf("agentshape shape: %v\n%s", err, stderr.Bytes())
	}
	var req struct {
		InstanceConfig struct {
			Endpoint string `json:"endpoint"`
		} `json:"instanceConfig"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &req); err != nil || req.InstanceConfig.Endpoint == "" {
		b.Fatalf("agentshape shape printed no shaped request: %v\n%s", err, stdout.Bytes())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// BenchmarkColdStart runs `agentshape shape` with the three Go example
// plugins as a fresh process, each iteration once with an empty compilation
// cache and warmRuns times with a warm one, and reports the mean wall times
// (empty-ms, warm-ms) and their ratio (empty/warm; target ≥ 10, warm ≤ 150 ms),
// and the processes' CPU time (empty-cpu-ms, warm-cpu-ms), which other load on
// the machine disturbs less than wall time.
func BenchmarkColdStart(b *testing.B) {
	cli := buildCLI(b)
	dir := b.TempDir()
	manifest, context := threeManifest(b, dir)
	warmCache := filepath.Join(dir, "warm-cache")
	shapeOnce(b, cli, manifest, context, warmCache) // fill the warm cache
	const warmRuns = 5
	var empty, warm, emptyCPU, warmCPU time.Duration
	n := 0
	for b.Loop() {
		cache, err := os.MkdirTemp(dir, "empty-cache")
		if err != nil {
			b.Fatal(err)
		}
		w, c := shapeOnce(b, cli, manifest, context, cache)
		empty, emptyCPU = empty+w, emptyCPU+c
		_ = os.RemoveAll(cache)
		for i := 0; i < warmRuns; i++ {
			w, c := shapeOnce(b, cli, manifest, context, warmCache)
			warm, warmCPU = warm+w, warmCPU+c
		}
		n++
	}
	emptyMS := float64(empty.Microseconds()) / 1000 / float64(n)
	warmMS := float64(warm.Microseconds()) / 1000 / float64(n*warmRuns)
	b.ReportMetric(emptyMS, "empty-ms")
	b.ReportMetric(warmMS, "warm-ms")
	b.ReportMetric(emptyMS/warmMS, "empty/warm")
	b.ReportMetric(float64(emptyCPU.Microseconds())/1000/float64(n), "empty-cpu-ms")
	b.ReportMetric(float64(warmCPU.Microseconds())/1000/float64(n*warmRuns), "warm-cpu-ms")
}
