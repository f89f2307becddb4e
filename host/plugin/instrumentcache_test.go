package plugin

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/internal/instrument"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// shapeOut loads rel into a runtime using cacheDir and returns what one call
// with an empty request answers.
func shapeOut(t *testing.T, cacheDir, rel string) string {
	t.Helper()
	ctx := context.Background()
	rt, err := NewRuntime(ctx, RuntimeOptions{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	p, err := rt.Load(ctx, Spec{Path: catalog.MustPath(t, rel)})
	if err != nil {
		t.Fatal(err)
	}
	env, err := p.Envelope(abi.Context{}, []byte(`{"from":"passthrough"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Call(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestWarmStartInstrumentsNothing: a load with a warm cache compiles the
// instrumented module the cache holds for the original's sha256 and the
// instrumenter's version, without instrumenting again (issue 11, item 12).
// The test plants another plugin's instrumented form under trivial's key:
// the warm load must run what it finds there.
func TestWarmStartInstrumentsNothing(t *testing.T) {
	dir := t.TempDir()
	if got, want := shapeOut(t, dir, "testdata/trivial"), `{"request":{"bypassUser":true}}`; got != want {
		t.Fatalf("cold load answered %s, want %s", got, want)
	}
	key := moduleKey{sum: sha256.Sum256(catalog.MustRead(t, "testdata/trivial")), instrument: instrument.Version}
	entry := filepath.Join(dir, instrumentedDir, key.fileName())
	cached, ok := readSealed(entry)
	if !ok {
		t.Fatalf("the cold load left no sealed entry at %s", entry)
	}
	want, err := instrument.Module(catalog.MustRead(t, "testdata/trivial"))
	if err != nil {
		t.Fatal(err)
	}
	if string(cached) != string(want) {
		t.Fatal("the cached entry is not trivial's instrumented module")
	}

	other, err := instrument.Module(catalog.MustRead(t, "testdata/passthrough"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSealed(entry, other); err != nil {
		t.Fatal(err)
	}
	if got, want := shapeOut(t, dir, "testdata/trivial"), `{"request":{"from":"passthrough"}}`; got != want {
		t.Fatalf("warm load answered %s, want %s: it did not use the cached instrumented module", got, want)
	}

	// A torn or altered entry (contents that do not match the seal) is
	// rebuilt from the original.
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(entry, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := shapeOut(t, dir, "testdata/trivial"), `{"request":{"bypassUser":true}}`; got != want {
		t.Fatalf("load over an altered entry answered %s, want trivial's %s", got, want)
	}
	if cached, ok := readSealed(entry); !ok || string(cached) != string(want) {
		t.Fatal("the altered entry was not rewritten with trivial's instrumented module")
	}
}
