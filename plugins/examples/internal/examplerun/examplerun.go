// Package examplerun runs the built example plugins (plugins/build/<name>.wasm,
// made by `make plugins`) through the real host (host/plugin) for the
// examples' tests: no mocks, the same wasm the demo pipeline loads.
package examplerun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// CacheDir is the compilation cache the examples' tests share, so each test
// binary does not recompile the Go plugins.
func CacheDir() string { return filepath.Join(os.TempDir(), "agentshape-examples-wazero-cache") }

// Runtime returns a new host runtime for tb (closed at cleanup). Deterministic
// runtimes use seed 1 unless opts says otherwise.
func Runtime(tb testing.TB, opts plugin.RuntimeOptions) *plugin.Runtime {
	tb.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = CacheDir()
	}
	ctx := context.Background()
	rt, err := plugin.NewRuntime(ctx, opts)
	if err != nil {
		tb.Fatalf("new runtime: %v", err)
	}
	tb.Cleanup(func() { _ = rt.Close(ctx) })
	return rt
}

var (
	sharedOnce sync.Once
	shared     *plugin.Runtime
	sharedErr  error
)

// Load loads the built example plugin name with cfg into the test binary's
// shared deterministic runtime (seed 1); the plugin is closed at cleanup.
func Load(tb testing.TB, name string, cfg map[string]any) *plugin.Plugin {
	tb.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{Deterministic: true, Seed: 1, CacheDir: CacheDir()})
	})
	if sharedErr != nil {
		tb.Fatalf("new runtime: %v", sharedErr)
	}
	return LoadIn(tb, shared, name, cfg)
}

// LoadIn loads the built example plugin name with cfg into rt.
func LoadIn(tb testing.TB, rt *plugin.Runtime, name string, cfg map[string]any) *plugin.Plugin {
	tb.Helper()
	p, err := rt.Load(context.Background(), plugin.Spec{Name: name, Path: catalog.MustPath(tb, name), Config: cfg})
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	tb.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// Shape runs p on c and the request JSON req ("" means {}). It returns the
// decoded new request, or the plugin's refusal; any other failure (trap,
// malformed output, timeout) fails tb.
func Shape(tb testing.TB, p *plugin.Plugin, c abi.Context, req string) (map[string]any, *abi.PluginError) {
	tb.Helper()
	out, err := p.Shape(context.Background(), c, json.RawMessage(req))
	if err != nil {
		var pe *abi.PluginError
		if errors.Is(err, plugin.ErrPluginRefused) && errors.As(err, &pe) {
			return nil, pe
		}
		tb.Fatalf("%s: %v", p.Name(), err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("%s: output request is not a JSON object: %v (%s)", p.Name(), err, out)
	}
	return m, nil
}

// MustShape is Shape for calls that must succeed.
func MustShape(tb testing.TB, p *plugin.Plugin, c abi.Context, req string) map[string]any {
	tb.Helper()
	m, pe := Shape(tb, p, c, req)
	if pe != nil {
		tb.Fatalf("%s refused: %v", p.Name(), pe)
	}
	return m
}

// MustRefuse is Shape for calls that must be refused; it returns the refusal.
func MustRefuse(tb testing.TB, p *plugin.Plugin, c abi.Context, req string) *abi.PluginError {
	tb.Helper()
	m, pe := Shape(tb, p, c, req)
	if pe == nil {
		tb.Fatalf("%s: want a refusal, got request %v", p.Name(), m)
	}
	return pe
}
