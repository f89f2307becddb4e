package instrument

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// FuzzInstrument: the instrumentation never panics or reads out of bounds,
// whatever the bytes, and what it writes parses back and compiles wherever
// the original does; seeds are every built test plugin (host/plugin's
// FuzzScanImports fuzzes the import scanner on the same seeds).
func FuzzInstrument(f *testing.F) {
	for _, b := range catalog.MustTestModules(f) {
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Module(b)
		if err == nil {
			before, _ := parseCode(b)
			after, err := parseCode(out)
			if err != nil || len(after.bodies) != len(before.bodies) {
				t.Fatalf("instrumented module does not parse back: %v", err)
			}
			// A module wazero accepts stays acceptable once instrumented.
			ctx := context.Background()
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
			defer rt.Close(ctx)
			if compiles(ctx, rt, b) == nil {
				if err := compiles(ctx, rt, out); err != nil {
					t.Fatalf("wazero accepts the module but not its instrumented form: %v", err)
				}
			}
		}
	})
}

// compiles compiles bin, turning a panic in wazero's validator (it has some
// on malformed input, which the host recovers from too) into an error.
func compiles(ctx context.Context, rt wazero.Runtime, bin []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wazero panicked: %v", r)
		}
	}()
	_, err = rt.CompileModule(ctx, bin)
	return err
}

// countStopChecks counts the timeout checks in an instrumented module's
// code, whose tick counter is global ticks and yield function yield.
func countStopChecks(t *testing.T, bin []byte, ticks, yield uint32) int {
	t.Helper()
	ci, err := parseCode(bin)
	if err != nil {
		t.Fatal(err)
	}
	check := tickCheck(ticks, yield)
	n := 0
	for _, b := range ci.bodies {
		n += bytes.Count(bin[b.exprStart:b.end], check)
	}
	return n
}

// exportNames lists a module's exports.
func exportNames(t *testing.T, bin []byte) []string {
	t.Helper()
	m, err := wasmbin.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range m.Exports {
		names = append(names, e.Name)
	}
	return names
}

// globalCount is the number of globals a module imports and defines.
func globalCount(t *testing.T, bin []byte) uint32 {
	t.Helper()
	var n uint32
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			t.Fatal(err)
		}
		switch s.ID {
		case wasmbin.SectionImport:
			imps, err := wasmbin.ReadImports(s.Reader())
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range imps {
				if i.Kind == wasmbin.KindGlobal {
					n++
				}
			}
		case wasmbin.SectionGlobal:
			k, err := s.Reader().U32()
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
	}
	return n
}

// TestInstrumentStops: every loop header gets a timeout check, and so does
// the entry of every function that can recurse without meeting a loop; the
// functions that can recurse are charged to the stack budget; the stack room
// is a new exported global after the module's own, and a start section
// becomes an export the host calls itself.
func TestInstrumentStops(t *testing.T) {
	cases := []struct {
		rel                     string
		loops, entries, counted int
	}{
		{"testdata/trivial", 0, 0, 0},
		{"testdata/passthrough", 4, 0, 0},
		{"testdata/hostile/infinite-loop", 1, 0, 0},
		{"testdata/hostile/exponential-recursion", 0, 1, 1},
		{"testdata/hostile/deep-recursion", 0, 1, 1},
		{"testdata/hostile/indirect-recursion", 0, 1, 1}, // fib (shape calls through the table but is not in it)
	}
	for _, c := range cases {
		bin, err := os.ReadFile(catalog.MustPath(t, c.rel))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Module(bin)
		if err != nil {
			t.Fatalf("%s: %v", c.rel, err)
		}
		if _, err := wazero.NewRuntime(context.Background()).CompileModule(context.Background(), out); err != nil {
			t.Fatalf("%s: the instrumented module does not compile: %v", c.rel, err)
		}
		if !slices.Contains(exportNames(t, out), StackExport) {
			t.Fatalf("%s: no export %q", c.rel, StackExport)
		}
		m, err := readModule(bin)
		if err != nil {
			t.Fatal(err)
		}
		// The new globals come after the module's own, the new imports
		// after its imported functions.
		if got, want := countStopChecks(t, out, globalCount(t, bin), m.importedFuncs), c.loops+c.entries; got != want {
			t.Errorf("%s: %d timeout checks, want %d (%d loops + %d entries)", c.rel, got, want, c.loops, c.entries)
		}
		plans, err := planFunctions(m)
		if err != nil {
			t.Fatal(err)
		}
		counted := 0
		for _, p := range plans {
			if p.counted {
				counted++
			}
		}
		if counted != c.counted {
			t.Errorf("%s: %d functions charged to the stack budget, want %d", c.rel, counted, c.counted)
		}
	}
	// A start section is turned into an export.
	bin, err := os.ReadFile(catalog.MustPath(t, "testdata/hostile/start-loop"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Module(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(exportNames(t, out), StartExport) {
		t.Fatalf("start function not exported as %q: %v", StartExport, exportNames(t, out))
	}
	for s, err := range wasmbin.Sections(out) {
		if err == nil && s.ID == wasmbin.SectionStart {
			t.Fatal("the start section is still there: wazero would run it where nothing can stop it")
		}
	}
	// A module without memory, or with an empty memory section, stays valid.
	for name, mod := range map[string]string{
		"no memory section":    "\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\x03\x40\x0b\x0b",
		"empty memory section": "\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x01\x00\x0a\x07\x01\x05\x00\x03\x40\x0b\x0b",
	} {
		out, err := Module([]byte(mod))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := wazero.NewRuntime(context.Background()).CompileModule(context.Background(), out); err != nil {
			t.Fatalf("%s: the instrumented module does not compile: %v", name, err)
		}
	}
	// A module must not claim the host's names.
	for _, name := range []string{StackExport, StartExport} {
		exports := appendName([]byte{1}, name)
		exports = append(exports, byte(wasmbin.KindMemory), 0)
		bad := appendSection([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"), wasmbin.SectionExport, exports)
		if _, err := Module(bad); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("a module exporting %q: err = %v", name, err)
		}
	}
	// A Go guest: most functions open a loop before calling anything.
	bin, err = os.ReadFile(catalog.MustPath(t, "endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := readModule(bin)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := planFunctions(m)
	if err != nil {
		t.Fatalf("Go guest not decodable: %v", err)
	}
	n := 0
	for _, p := range plans {
		if p.entryCheck {
			n++
		}
	}
	if n == 0 || n > len(plans)/10 {
		t.Errorf("Go guest: %d of %d functions checked at entry; want a few (the runtime's loop-free cycles)", n, len(plans))
	}
}

// golden pins the instrumentation's output for Version:
// sum is the sha256 of the sha256s of the instrumented modules, in order.
var golden = struct {
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

// TestVersionPinsOutput: host/plugin's instrumented-module cache is keyed
// by Version, so a change to what Module writes must change the version too,
// or warm starts would keep running stale instrumentation.
func TestVersionPinsOutput(t *testing.T) {
	h := sha256.New()
	for _, rel := range golden.modules {
		out, err := Module(catalog.MustRead(t, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		s := sha256.Sum256(out)
		h.Write(s[:])
	}
	got := hex.EncodeToString(h.Sum(nil))
	if golden.version != Version || got != golden.sum {
		t.Fatalf("instrumentation output %s under version %q; golden %s under %q.\n"+
			"If you changed what instrumentModule writes, bump Version and record the new sum and version here;\n"+
			"if you changed one of the golden modules, record the new sum only.",
			got, Version, golden.sum, golden.version)
	}
}
