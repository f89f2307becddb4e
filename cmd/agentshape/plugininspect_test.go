package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/plugins/catalog"
)

// TestPluginInspect runs `agentshape plugin inspect` on real built modules:
// an accepted AssemblyScript example, a hostile module the host refuses, and
// a file that is not WebAssembly at all.
func TestPluginInspect(t *testing.T) {
	t.Parallel()
	ok := catalog.MustPath(t, "session-key-as")
	code, out, errOut := runShapeCLI(t, "plugin", "inspect", "--cache-dir", shapeCacheDir, ok)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"kind     reactor", "abi      v1", "agentshape.log", "wasi_snapshot_preview1.random_get", "verdict: the host accepts this plugin"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	bad := catalog.MustPath(t, "testdata/hostile/unknown-import")
	code, out, errOut = runShapeCLI(t, "plugin", "inspect", "--format", "json", bad)
	if code != exitFailure || !strings.Contains(errOut, "the host will refuse this plugin") {
		t.Fatalf("hostile module: exit %d, stderr %s", code, errOut)
	}
	var rep struct {
		Kind     string
		Accepted bool
		SHA256   string
		Imports  []struct {
			Module, Name string
			Allowed      bool
		}
		Findings []struct{ Severity, Code, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--format json is not JSON: %v\n%s", err, out)
	}
	if rep.Accepted || len(rep.Findings) == 0 || rep.Findings[0].Code != "forbidden_import" || len(rep.SHA256) != 64 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Imports) != 1 || rep.Imports[0].Module != "env" || rep.Imports[0].Allowed {
		t.Fatalf("imports %+v", rep.Imports)
	}

	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runShapeCLI(t, "plugin", "inspect", root+"/plugins/testdata/inspect/env-abort.wat")
	if code != exitUsage || !strings.Contains(errOut, "not a WebAssembly binary") {
		t.Fatalf("wat file: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = runShapeCLI(t, "plugin", "inspect", "--format", "yaml", ok)
	if code != exitUsage || !strings.Contains(errOut, "use text or json") {
		t.Fatalf("bad format: exit %d, stderr %s", code, errOut)
	}
	// A module whose _initialize traps passes the static checks; the load check catches it.
	code, out, _ = runShapeCLI(t, "plugin", "inspect", "--static", catalog.MustPath(t, "testdata/inspect/init-trap"))
	if code != exitOK {
		t.Fatalf("--static on init-trap: exit %d\n%s", code, out)
	}
	code, out, _ = runShapeCLI(t, "plugin", "inspect", catalog.MustPath(t, "testdata/inspect/init-trap"))
	if code != exitFailure || !strings.Contains(out, "refused: host_load") {
		t.Fatalf("init-trap: exit %d\n%s", code, out)
	}
	// A Go plugin built without -buildmode=c-shared cannot answer: refused,
	// with the build line.
	code, out, errOut = runShapeCLI(t, "plugin", "inspect", "--cache-dir", shapeCacheDir, catalog.MustPath(t, "testdata/inspect/go-without-c-shared"))
	if code != exitFailure || !strings.Contains(out, "refused: go_not_c_shared") ||
		!strings.Contains(out, "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared") || strings.Contains(out, "both_kinds") {
		t.Fatalf("Go module without c-shared: exit %d, stderr %s\n%s", code, errOut, out)
	}
}
