package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/inspect"
	"github.com/agentshape/agentshape/internal/testregistry"
)

// BenchmarkColdStartRegistryPlugins runs `agentshape shape` as a fresh
// process on the three Go example plugins named two ways, alternately: by
// file path (BenchmarkColdStart's manifest), and by
// oci://REGISTRY/REPO:TAG@sha256:DIGEST with the plugin cache warm (the
// registry is stopped before the loop: the resolve reads the cache, no
// network). Both use a warm compilation cache. Reported as medians over
// the iterations, which ignore the runs that waited for a core on a busy
// machine: path-ms, oci-ms and added-ms (the median of oci - path per
// iteration: what a warm-cache resolve adds to shape's cold start; target
// ≤ 5 ms), oci/path, and the same for the processes' CPU time (-cpu-),
// which load disturbs less.
func BenchmarkColdStartRegistryPlugins(b *testing.B) {
	ctx := context.Background()
	cli := buildCLI(b)
	dir := b.TempDir()
	pathManifest, shapeContext := threeManifest(b, dir)
	host, stop := testregistry.InProcess(b, nil)
	cfg := filepath.Join(dir, "registry-config.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o600); err != nil {
		b.Fatal(err)
	}
	pluginCache := filepath.Join(dir, "plugin-cache")
	c, err := ociplugin.New(ociplugin.Options{CacheDir: pluginCache, RegistryConfig: cfg})
	if err != nil {
		b.Fatal(err)
	}
	// The same manifest with every path replaced by the pushed plugin's
	// pinned reference.
	raw, err := os.ReadFile(pathManifest)
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	for _, e := range m["plugins"].([]any) {
		entry := e.(map[string]any)
		bin, err := os.ReadFile(entry["path"].(string))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := inspect.Inspect(ctx, bin, inspect.Options{})
		if err != nil {
			b.Fatal(err)
		}
		pushed, err := c.Push(ctx, host+"/bench/"+entry["name"].(string)+":1", bin, ociplugin.Info{ABIVersion: rep.ABIVersion, Kind: rep.Kind})
		if err != nil {
			b.Fatal(err)
		}
		entry["path"] = pushed.Ref.URI()
	}
	stop()
	ociJSON, _ := json.Marshal(m)
	ociManifest := filepath.Join(dir, "three-oci.yaml")
	if err := os.WriteFile(ociManifest, ociJSON, 0o644); err != nil {
		b.Fatal(err)
	}
	cache := filepath.Join(dir, "warm-cache")
	registryFlags := []string{"--plugin-cache", pluginCache, "--registry-config", cfg}
	shapeOnce(b, cli, pathManifest, shapeContext, cache) // fill the compilation cache
	shapeOnce(b, cli, ociManifest, shapeContext, cache, registryFlags...)
	var wp, wo, cp, co []time.Duration
	for b.Loop() {
		w, c := shapeOnce(b, cli, pathManifest, shapeContext, cache)
		wp, cp = append(wp, w), append(cp, c)
		w, c = shapeOnce(b, cli, ociManifest, shapeContext, cache, registryFlags...)
		wo, co = append(wo, w), append(co, c)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(median(wp)), "path-ms")
	b.ReportMetric(ms(median(wo)), "oci-ms")
	b.ReportMetric(ms(median(diffs(wo, wp))), "added-ms")
	b.ReportMetric(float64(median(wo))/float64(median(wp)), "oci/path")
	b.ReportMetric(ms(median(cp)), "path-cpu-ms")
	b.ReportMetric(ms(median(co)), "oci-cpu-ms")
	b.ReportMetric(ms(median(diffs(co, cp))), "added-cpu-ms")
	b.ReportMetric(float64(median(co))/float64(median(cp)), "oci/path-cpu")
}

// diffs returns a[i] - b[i].
func diffs(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// median returns the middle value (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
