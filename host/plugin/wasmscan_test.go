package plugin

import (
	"os"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// FuzzScanImports: the pre-compile import scanner never panics or reads out
// of bounds, whatever the bytes; seeds are every built test plugin
// (internal/instrument's FuzzInstrument fuzzes the instrumentation on the
// same seeds).
func FuzzScanImports(f *testing.F) {
	for _, b := range catalog.MustTestModules(f) {
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
