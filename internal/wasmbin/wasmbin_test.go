package wasmbin_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

func readPlugin(t testing.TB, rel string) []byte {
	b, err := os.ReadFile(catalog.MustPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeTrivial decodes the trivial reactor (plugins/testdata/trivial.wat,
// built by `make plugins`): its exports, their signatures and its memory.
func TestDecodeTrivial(t *testing.T) {
	m, err := wasmbin.Decode(readPlugin(t, "testdata/trivial"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range m.Exports {
		switch e.Kind {
		case wasmbin.KindFunc:
			sig, ok := m.FuncSig(e.Index)
			if !ok {
				t.Fatalf("export %s: no signature for function %d", e.Name, e.Index)
			}
			got[e.Name] = sig.String()
		case wasmbin.KindMemory:
			l, imported, ok := m.MemoryLimits(e.Index)
			if !ok || imported || l.Min != 1 || l.HasMax || l.Is64 || l.Shared {
				t.Fatalf("memory %d: limits %+v imported=%v ok=%v, want a defined memory of 1 page, no max", e.Index, l, imported, ok)
			}
			got[e.Name] = "memory"
		}
	}
	want := map[string]string{
		"memory":            "memory",
		"agentshape_abi_v1": "() -> ()",
		"alloc":             "(i32) -> (i32)",
		"shape":             "(i32, i32) -> (i64)",
	}
	if len(got) != len(want) {
		t.Fatalf("exports %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("exports %v, want %v", got, want)
		}
	}
	if len(m.Imports) != 0 || m.HasStart {
		t.Fatalf("imports %v, start %v: want none", m.Imports, m.HasStart)
	}
}

// TestImportsOfReadFile reads the imports of the hostile read-file plugin
// through Sections and ReadImports, the way the host's load check does.
func TestImportsOfReadFile(t *testing.T) {
	bin := readPlugin(t, "testdata/hostile/read-file")
	var names []string
	for s, err := range wasmbin.Sections(bin) {
		if err != nil {
			t.Fatal(err)
		}
		if s.ID != wasmbin.SectionImport {
			continue
		}
		imps, err := wasmbin.ReadImports(s.Reader())
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range imps {
			if imp.Kind != wasmbin.KindFunc {
				t.Fatalf("import %s is a %s, want a function", imp, imp.Kind)
			}
			names = append(names, imp.String())
		}
	}
	want := []string{"wasi_snapshot_preview1.fd_prestat_get", "wasi_snapshot_preview1.path_open", "wasi_snapshot_preview1.fd_read"}
	if !slices.Equal(names, want) {
		t.Fatalf("imports %v, want %v", names, want)
	}
}

// TestMalformed: each malformed input gets the error that names its fault.
func TestMalformed(t *testing.T) {
	hdr := "\x00asm\x01\x00\x00\x00"
	cases := []struct {
		name, bin string
		want      string
		is        error
	}{
		{"wat text", "(module)", "not a WebAssembly binary", wasmbin.ErrNotWasm},
		{"version 2", "\x00asm\x02\x00\x00\x00", "not a WebAssembly binary", wasmbin.ErrNotWasm},
		{"section past end", hdr + "\x02\x10\x01", "section 2 at byte 10 runs past the end of the module", nil},
		{"section size truncated", hdr + "\x02", "unexpected end of section", wasmbin.ErrTruncated},
		{"u32 of six bytes", hdr + "\x03\x06\x80\x80\x80\x80\x80\x00", "section 3: malformed LEB128", wasmbin.ErrMalformedLEB},
		{"name past section", hdr + "\x02\x03\x01\x05a", "section 2: unexpected end of section", wasmbin.ErrTruncated},
		{"unknown import kind", hdr + "\x02\x07\x01\x01m\x01n\x09\x00", "section 2: import m.n has unknown kind 9", nil},
		{"not a func type", hdr + "\x01\x04\x01\x5f\x00\x00", "section 1: type 0 is not a function type (form 0x5f)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wasmbin.Decode([]byte(c.bin))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want it to wrap %v", err, c.is)
			}
		})
	}
}

// TestReaderNumbers: LEB128 widths, 64-bit memory limits and skips.
func TestReaderNumbers(t *testing.T) {
	r := wasmbin.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0xe5, 0x8e, 0x26}, 0)
	if v, err := r.U32(); err != nil || v != 0xffffffff {
		t.Fatalf("5-byte u32 = %#x, %v; want 0xffffffff", v, err)
	}
	if v, err := r.U32(); err != nil || v != 624485 || !r.Done() {
		t.Fatalf("u32 = %d, %v, done=%v; want 624485 and the end", v, err, r.Done())
	}
	// Limits with flags 5 (max, 64-bit): min 2^40, max 2^41.
	r = wasmbin.NewReader([]byte{0x05, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}, 0)
	l, err := r.Limits()
	if err != nil || !l.Is64 || !l.HasMax || l.Min != 1<<40 || l.Max != 1<<41 {
		t.Fatalf("limits %+v, %v; want 64-bit min 2^40 max 2^41", l, err)
	}
	r = wasmbin.NewReader([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 0)
	if err := r.SkipLEB(); !errors.Is(err, wasmbin.ErrMalformedLEB) {
		t.Fatalf("11-byte LEB skipped: err = %v", err)
	}
	r = wasmbin.NewReader([]byte{1, 2, 3}, 1)
	if err := r.Skip(3); !errors.Is(err, wasmbin.ErrTruncated) || r.Offset() != 1 {
		t.Fatalf("skip past end: err = %v, offset %d; want ErrTruncated at 1", err, r.Offset())
	}
	if got := wasmbin.ValTypeName(0x40); got != "0x40" {
		t.Fatalf("ValTypeName(0x40) = %q", got)
	}
}

// FuzzDecode: Decode never panics, and when it succeeds its imports are the
// ones Sections and ReadImports find and every export's index resolves
// without panicking. Seeds are the modules `make plugins` builds.
func FuzzDecode(f *testing.F) {
	dir, err := catalog.BuildDir()
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wasm") {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
				n++
			}
		}
		return nil
	})
	if n == 0 {
		f.Fatalf("no built plugins under %s: run `make plugins`", dir)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, bin []byte) {
		m, err := wasmbin.Decode(bin)
		if err != nil {
			return
		}
		var imps []wasmbin.Import
		for s, err := range wasmbin.Sections(bin) {
			if err != nil {
				t.Fatalf("Decode succeeded but Sections fails: %v", err)
			}
			if s.ID == wasmbin.SectionImport {
				more, err := wasmbin.ReadImports(s.Reader())
				if err != nil {
					t.Fatalf("Decode succeeded but ReadImports fails: %v", err)
				}
				imps = append(imps, more...)
			}
		}
		if len(imps) != len(m.Imports) {
			t.Fatalf("Decode found %d imports, ReadImports %d", len(m.Imports), len(imps))
		}
		for _, e := range m.Exports {
			m.FuncSig(e.Index)
			m.MemoryLimits(e.Index)
		}
	})
}

// wasmbin.SectionOrder follows the order the spec requires, which is not the
// numeric order of the ids (tag before global, data count before code).
func TestSectionOrder(t *testing.T) {
	spec := []byte{wasmbin.SectionType, wasmbin.SectionImport, wasmbin.SectionFunction, wasmbin.SectionTable, wasmbin.SectionMemory, wasmbin.SectionTag,
		wasmbin.SectionGlobal, wasmbin.SectionExport, wasmbin.SectionStart, wasmbin.SectionElement, wasmbin.SectionDataCount, wasmbin.SectionCode, wasmbin.SectionData}
	for i := 1; i < len(spec); i++ {
		if wasmbin.SectionOrder(spec[i-1]) >= wasmbin.SectionOrder(spec[i]) {
			t.Errorf("section %d does not come before section %d", spec[i-1], spec[i])
		}
	}
	if wasmbin.SectionOrder(wasmbin.SectionCustom) >= 0 {
		t.Error("a custom section has a place")
	}
}

// TestCustomSections: Decode names a module's custom sections and reads the
// languages of its producers section — a real Go module says "Go" and has
// Go's build id — and a custom section it cannot read adds nothing instead
// of failing the decode (custom sections never make a module invalid).
func TestCustomSections(t *testing.T) {
	m, err := wasmbin.Decode(readPlugin(t, "testdata/inspect/go-without-c-shared"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.Customs, "go:buildid") || !slices.Contains(m.Customs, "producers") || !slices.Equal(m.Languages, []string{"Go"}) {
		t.Fatalf("Go module: customs %v, languages %v", m.Customs, m.Languages)
	}
	for _, c := range []struct {
		drop []string
		left []string
	}{
		{[]string{"go:buildid"}, slices.DeleteFunc(slices.Clone(m.Customs), func(s string) bool { return s == "go:buildid" })},
		{[]string{"producers", "name"}, []string{"go:buildid"}},
		{nil, nil},
	} {
		bin, err := wasmbin.WithoutCustomSections(readPlugin(t, "testdata/inspect/go-without-c-shared"), c.drop...)
		if err != nil {
			t.Fatal(err)
		}
		stripped, err := wasmbin.Decode(bin)
		if err != nil {
			t.Fatalf("without %q: %v", c.drop, err)
		}
		if !slices.Equal(stripped.Customs, c.left) || !slices.Equal(stripped.Exports, m.Exports) || !slices.Equal(stripped.Functions, m.Functions) {
			t.Fatalf("without %q: customs %v (want %v), or other sections changed", c.drop, stripped.Customs, c.left)
		}
	}
	hdr := "\x00asm\x01\x00\x00\x00"
	producers := "\x09producers" + "\x01" + "\x08language" + "\x02" + "\x01C" + "\x0211" + "\x04Rust" + "\x00"
	for _, c := range []struct {
		name, section string
		customs       []string
		languages     []string
	}{
		{"producers", producers, []string{"producers"}, []string{"C", "Rust"}},
		{"producers cut short", producers[:len(producers)-6], []string{"producers"}, []string{"C"}},
		{"field count past the end", "\x09producers\xff\xff\x03", []string{"producers"}, nil},
		{"other", "\x04name\x00\x00", []string{"name"}, nil},
		{"no name", "", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := wasmbin.Decode([]byte(hdr + "\x00" + string(rune(len(c.section))) + c.section))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Customs, c.customs) || !slices.Equal(m.Languages, c.languages) {
				t.Fatalf("customs %q languages %q, want %q %q", m.Customs, m.Languages, c.customs, c.languages)
			}
		})
	}
}
