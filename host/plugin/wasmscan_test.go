package plugin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// FuzzScanImports: the pre-compile import scanner and the entry
// instrumentation never panic or read out of bounds, whatever the bytes;
// seeds are every built test plugin.
func FuzzScanImports(f *testing.F) {
	dir, err := catalog.BuildDir()
	if err != nil {
		f.Fatal(err)
	}
	seeds, _ := filepath.Glob(filepath.Join(dir, "testdata", "*", "*.wasm"))
	more, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.wasm"))
	if len(seeds)+len(more) == 0 {
		f.Fatalf("no built test plugins under %s: run `make plugins`", dir)
	}
	for _, p := range append(seeds, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		imps, err := scanImports(b)
		if err == nil {
			for _, i := range imps {
				_ = i.String() + i.Kind.String()
			}
		}
		out, err := instrumentEntries(b)
		if err == nil && len(out) != len(b) {
			before, _ := parseCode(b)
			after, err := parseCode(out)
			if err != nil || len(after.bodies) != len(before.bodies) {
				t.Fatalf("instrumented module does not parse back: %v", err)
			}
		}
	})
}

func TestScanImportsNamesEveryImport(t *testing.T) {
	b, err := os.ReadFile(catalog.MustPath(t, "testdata/hostile/read-file"))
	if err != nil {
		t.Fatal(err)
	}
	imps, err := scanImports(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range imps {
		names = append(names, i.String())
	}
	want := []string{"wasi_snapshot_preview1.fd_prestat_get", "wasi_snapshot_preview1.path_open", "wasi_snapshot_preview1.fd_read"}
	if len(names) != len(want) {
		t.Fatalf("imports %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("imports %v, want %v", names, want)
		}
	}
	if _, err := scanImports([]byte("\x00asm\x02\x00\x00\x00")); err == nil {
		t.Fatal("wasm version 2 header accepted")
	}
	if _, err := scanImports([]byte("\x00asm\x01\x00\x00\x00\x02\x10\x01")); err == nil {
		t.Fatal("truncated import section accepted")
	}
}

// TestInstrumentEntries: only functions that can recurse without meeting a
// loop get an entry check; modules without such functions are untouched.
func TestInstrumentEntries(t *testing.T) {
	cases := []struct {
		rel     string
		changed bool
		marked  int
	}{
		{"testdata/trivial", false, 0},
		{"testdata/passthrough", false, 0},
		{"testdata/hostile/infinite-loop", false, 0},
		{"testdata/hostile/exponential-recursion", true, 1},
		{"testdata/hostile/deep-recursion", true, 1},
		{"testdata/hostile/indirect-recursion", true, 2}, // fib, and shape (it calls through the table too)
	}
	for _, c := range cases {
		bin, err := os.ReadFile(catalog.MustPath(t, c.rel))
		if err != nil {
			t.Fatal(err)
		}
		ci, err := parseCode(bin)
		if err != nil {
			t.Fatal(err)
		}
		mark, err := needsCheck(bin, ci)
		if err != nil {
			t.Fatalf("%s: %v", c.rel, err)
		}
		n := 0
		for _, m := range mark {
			if m {
				n++
			}
		}
		out, err := instrumentEntries(bin)
		if err != nil {
			t.Fatal(err)
		}
		if changed := len(out) != len(bin); changed != c.changed || n != c.marked {
			t.Errorf("%s: changed=%v marked=%d, want changed=%v marked=%d", c.rel, changed, n, c.changed, c.marked)
		}
		if c.changed && len(out) != len(bin)+n*len(entryCheck) {
			t.Errorf("%s: grew by %d bytes, want %d", c.rel, len(out)-len(bin), n*len(entryCheck))
		}
	}
	// A Go guest: most functions open a loop before calling anything.
	bin, err := os.ReadFile(catalog.MustPath(t, "endpoint"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := parseCode(bin)
	if err != nil {
		t.Fatal(err)
	}
	mark, err := needsCheck(bin, ci)
	if err != nil {
		t.Fatalf("Go guest not decodable: %v", err)
	}
	n := 0
	for _, m := range mark {
		if m {
			n++
		}
	}
	if n == 0 || n > len(mark)/10 {
		t.Errorf("Go guest: %d of %d functions marked; want a few (the runtime's loop-free cycles)", n, len(mark))
	}
}
