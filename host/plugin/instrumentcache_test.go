package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/plugins/catalog"
)

func readPlugin(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(catalog.MustPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
	key := moduleKey{sum: sha256.Sum256(readPlugin(t, "testdata/trivial")), instrument: instrumentVersion}
	entry := filepath.Join(dir, instrumentedDir, key.fileName())
	cached, ok := readSealed(entry)
	if !ok {
		t.Fatalf("the cold load left no sealed entry at %s", entry)
	}
	want, err := instrumentModule(readPlugin(t, "testdata/trivial"))
	if err != nil {
		t.Fatal(err)
	}
	if string(cached) != string(want) {
		t.Fatal("the cached entry is not trivial's instrumented module")
	}

	other, err := instrumentModule(readPlugin(t, "testdata/passthrough"))
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

// instrumentGolden pins the instrumentation's output for instrumentVersion:
// sum is the sha256 of the sha256s of the instrumented modules, in order.
var instrumentGolden = struct {
	version, sum string
	modules      []string
}{
	version: "guard-3",
	sum:     "982026450e421e9deabf8ca02db639622280bd0bd36015a2021d0952beda3de8",
	modules: []string{
		"testdata/trivial", "testdata/passthrough", "testdata/hostile/infinite-loop",
		"testdata/hostile/exponential-recursion", "testdata/hostile/deep-recursion",
		"testdata/hostile/indirect-recursion", "testdata/hostile/start-loop",
	},
}

// TestInstrumentVersionPinsOutput: the instrumented-module cache is keyed by
// instrumentVersion, so a change to what instrumentModule writes must change
// the version too, or warm starts would keep running stale instrumentation.
func TestInstrumentVersionPinsOutput(t *testing.T) {
	h := sha256.New()
	for _, rel := range instrumentGolden.modules {
		out, err := instrumentModule(readPlugin(t, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		s := sha256.Sum256(out)
		h.Write(s[:])
	}
	got := hex.EncodeToString(h.Sum(nil))
	if instrumentGolden.version != instrumentVersion || got != instrumentGolden.sum {
		t.Fatalf("instrumentation output %s under version %q; golden %s under %q.\n"+
			"If you changed what instrumentModule writes, bump instrumentVersion and record the new sum and version here;\n"+
			"if you changed one of the golden modules, record the new sum only.",
			got, instrumentVersion, instrumentGolden.sum, instrumentGolden.version)
	}
}
