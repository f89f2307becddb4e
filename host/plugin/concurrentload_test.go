package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestConcurrentLoadOfSameModuleFromWarmCache loads one module under several
// names at once in one runtime whose on-disk cache is warm — the situation of
// a pipeline that uses the same plugin twice — and calls every copy.
func TestConcurrentLoadOfSameModuleFromWarmCache(t *testing.T) {
	path := catalog.MustPath(t, "endpoint")
	cacheDir := t.TempDir()
	ctx := context.Background()

	warm := newRuntime(t, plugin.RuntimeOptions{CacheDir: cacheDir})
	if _, err := warm.Load(ctx, plugin.Spec{Name: "warm", Path: path}); err != nil {
		t.Fatalf("warm the cache: %v", err)
	}
	_ = warm.Close(ctx)

	for round := 0; round < 3; round++ {
		rt := newRuntime(t, plugin.RuntimeOptions{CacheDir: cacheDir})
		const copies = 6
		plugins := make([]*plugin.Plugin, copies)
		errs := make([]error, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				plugins[i], errs[i] = rt.Load(ctx, plugin.Spec{
					Name:   fmt.Sprintf("endpoint-%d", i),
					Path:   path,
					Config: map[string]any{"myDomain": "acme"},
				})
			}()
		}
		wg.Wait()
		for i := range copies {
			if errs[i] != nil {
				t.Fatalf("round %d: load copy %d: %v", round, i, errs[i])
			}
			out, err := plugins[i].Shape(ctx, abi.Context{}, json.RawMessage(`{}`))
			if err != nil {
				t.Fatalf("round %d: call copy %d: %v", round, i, err)
			}
			var req struct {
				InstanceConfig struct {
					Endpoint string `json:"endpoint"`
				} `json:"instanceConfig"`
			}
			if err := json.Unmarshal(out, &req); err != nil || req.InstanceConfig.Endpoint != "https://acme.my.salesforce.com" {
				t.Fatalf("round %d: copy %d shaped %s (err %v)", round, i, out, err)
			}
		}
		_ = rt.Close(ctx)
	}
}
