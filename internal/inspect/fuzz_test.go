package inspect_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/inspect"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// FuzzInspect feeds inspection arbitrary bytes, seeded with the small
// modules `make plugins` builds: it must return a report or an error, never
// panic or hang, and a report's verdict must agree with its findings.
func FuzzInspect(f *testing.F) {
	dir, err := catalog.BuildDir()
	if err != nil {
		f.Fatal(err)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wasm") {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
		return nil
	})
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, bin []byte) {
		rep, err := inspect.Inspect(context.Background(), bin, inspect.Options{})
		if err != nil {
			return
		}
		refused := false
		for _, fd := range rep.Findings {
			refused = refused || fd.Severity == inspect.Refused
		}
		if rep.Accepted == refused {
			t.Fatalf("accepted=%v with findings %+v", rep.Accepted, rep.Findings)
		}
	})
}
