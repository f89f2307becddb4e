package inspect_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/inspect"
	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/agentshape/agentshape/plugins/catalog"
)

func inspectFile(t *testing.T, rel string, opts inspect.Options) *inspect.Report {
	t.Helper()
	path := catalog.MustPath(t, rel)
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(context.Background(), bin, opts)
	if err != nil {
		t.Fatalf("inspect %s: %v", rel, err)
	}
	rep.File = path
	return rep
}

func codes(rep *inspect.Report, sev inspect.Severity) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Severity == sev {
			out = append(out, f.Code)
		}
	}
	return out
}

// TestFixtures runs inspection over the WAT fixtures in plugins/testdata/inspect,
// each built to a real module by `make plugins`, and checks the verdict and
// the finding codes each one exists to trigger.
func TestFixtures(t *testing.T) {
	cases := []struct {
		name     string
		kind     string
		accepted bool
		refused  []string
		warnings []string
		message  string // substring of some finding's message
	}{
		{"both-kinds", inspect.KindReactor, true, nil, []string{"both_kinds"}, "never runs _start"},
		{"log-wrong-type", inspect.KindReactor, false, []string{"import_type"}, nil, "agentshape.log with type (i32, i32) -> (), want (i32, i32, i32) -> ()"},
		{"env-abort", inspect.KindReactor, false, []string{"forbidden_import"}, nil, "--use abort="},
		{"wasi-unknown", inspect.KindReactor, false, []string{"forbidden_import"}, nil, "wasi_snapshot_preview1.sock_open, which is not a wasi_snapshot_preview1 function"},
		{"wasi-wrong-type", inspect.KindReactor, false, []string{"import_type"}, nil, "random_get with type (i32) -> (i32), want (i32, i32) -> (i32)"},
		{"global-import", inspect.KindReactor, false, []string{"forbidden_import"}, nil, "env.__stack_pointer (a global)"},
		{"memory-too-large", inspect.KindReactor, false, []string{"memory_too_large"}, nil, "starts at 600 pages, over the host limit of 512 pages"},
		{"memory-max-over", inspect.KindReactor, true, nil, []string{"memory_max_over_limit"}, "up to 1000 pages"},
		{"shape-wrong-type", inspect.KindReactor, false, []string{"export_type"}, nil, `export "shape" has type (i32, i32) -> (i32), want (i32, i32) -> (i64)`},
		{"no-memory-export", inspect.KindReactor, false, []string{"no_memory"}, nil, `missing export "memory"`},
		{"not-a-plugin", inspect.KindNone, false, []string{"not_a_plugin", "no_abi_marker", "missing_export", "missing_export"}, nil, "neither shape"},
		{"command-no-marker", inspect.KindCommand, true, nil, []string{"no_abi_marker"}, "runs commands without it"},
		{"start-section", inspect.KindReactor, true, nil, []string{"start_function"}, "start function"},
		// A Go plugin built without -buildmode=c-shared (plugins/plugins.mk's
		// no-c-shared marker): the host loads it, but every call traps.
		{"go-without-c-shared", inspect.KindReactor, false, []string{"go_not_c_shared"}, nil, "built without -buildmode=c-shared: it exports _start and no _initialize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := inspectFile(t, "testdata/inspect/"+tc.name, inspect.Options{})
			if rep.Kind != tc.kind {
				t.Errorf("kind = %q, want %q", rep.Kind, tc.kind)
			}
			if rep.Accepted != tc.accepted {
				t.Errorf("accepted = %v, want %v; findings %+v", rep.Accepted, tc.accepted, rep.Findings)
			}
			if got := codes(rep, inspect.Refused); !slices.Equal(got, tc.refused) {
				t.Errorf("refused codes = %v, want %v", got, tc.refused)
			}
			if got := codes(rep, inspect.Warning); !slices.Equal(got, tc.warnings) {
				t.Errorf("warning codes = %v, want %v", got, tc.warnings)
			}
			found := false
			for _, f := range rep.Findings {
				found = found || strings.Contains(f.Message, tc.message)
			}
			if !found {
				t.Errorf("no finding says %q: %+v", tc.message, rep.Findings)
			}
		})
	}
}

// TestMemoryLimitOption checks the page limit comes from the options (the
// manifest's limits.memoryMaxPages), not only the default.
func TestMemoryLimitOption(t *testing.T) {
	rep := inspectFile(t, "testdata/inspect/memory-too-large", inspect.Options{MemoryMaxPages: 1024})
	if !rep.Accepted || len(rep.Findings) != 0 {
		t.Fatalf("with a 1024-page limit a 600-page module is fine, got %+v", rep.Findings)
	}
	if rep.Memory == nil || rep.Memory.MinPages != 600 || rep.Memory.MaxPages != nil {
		t.Fatalf("memory = %+v, want min 600 and no max", rep.Memory)
	}
	rep = inspectFile(t, "testdata/inspect/memory-max-over", inspect.Options{})
	if rep.Memory == nil || rep.Memory.MaxPages == nil || *rep.Memory.MaxPages != 1000 || rep.Memory.MinPages != 1 {
		t.Fatalf("memory = %+v, want min 1 max 1000", rep.Memory)
	}
}

// TestKitPlugins inspects the kit benchmark plugin built with each kit: all
// are accepted reactors declaring ABI v1 with the four ABI exports.
func TestKitPlugins(t *testing.T) {
	for _, kit := range []string{"go", "c", "as"} {
		t.Run(kit, func(t *testing.T) {
			rep := inspectFile(t, "testdata/kitbench/"+kit, inspect.Options{})
			if !rep.Accepted || rep.Kind != inspect.KindReactor || rep.ABIVersion != 1 {
				t.Fatalf("report = kind %s abi %d accepted %v findings %+v", rep.Kind, rep.ABIVersion, rep.Accepted, rep.Findings)
			}
			if len(codes(rep, inspect.Warning)) != 0 {
				t.Errorf("kit plugins should inspect clean, got warnings %+v", rep.Findings)
			}
			want := map[string]string{
				"agentshape_abi_v1": "() -> ()",
				"alloc":             "(i32) -> (i32)",
				"shape":             "(i32, i32) -> (i64)",
				"memory":            "",
			}
			for _, e := range rep.Exports {
				if sig, ok := want[e.Name]; ok {
					if e.Type != sig {
						t.Errorf("export %s type %q, want %q", e.Name, e.Type, sig)
					}
					delete(want, e.Name)
				}
			}
			if len(want) != 0 {
				t.Errorf("missing exports %v in %+v", want, rep.Exports)
			}
			for _, imp := range rep.Imports {
				if !imp.Allowed || (imp.Module != "agentshape" && imp.Module != "wasi_snapshot_preview1") {
					t.Errorf("import %+v", imp)
				}
			}
			bin, _ := os.ReadFile(rep.File)
			sum := sha256.Sum256(bin)
			if rep.SHA256 != hex.EncodeToString(sum[:]) || rep.Size != len(bin) {
				t.Errorf("sha256/size = %s/%d, want %x/%d", rep.SHA256, rep.Size, sum, len(bin))
			}
		})
	}
}

// TestNotWasm feeds inspection a text file and a truncated module: both are
// errors that say what is wrong, not a report.
func TestNotWasm(t *testing.T) {
	text := catalog.MustReadRepoFile(t, "plugins/testdata/inspect/both-kinds.wat")
	if _, err := inspect.Inspect(context.Background(), text, inspect.Options{}); err == nil || !strings.Contains(err.Error(), "not a WebAssembly binary") {
		t.Fatalf("wat text: err = %v, want 'not a WebAssembly binary'", err)
	}
	bin, err := os.ReadFile(catalog.MustPath(t, "testdata/kitbench/as"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = inspect.Inspect(context.Background(), bin[:len(bin)/2], inspect.Options{})
	if err == nil || !strings.Contains(err.Error(), "past the end") {
		t.Fatalf("truncated module: err = %v, want a 'runs past the end' error", err)
	}
}

// TestJSONAndText checks both renderings carry the same facts.
func TestJSONAndText(t *testing.T) {
	rep := inspectFile(t, "testdata/inspect/env-abort", inspect.Options{})
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"kind", "reactor", "abi", "v1", rep.SHA256, "env.abort", "REFUSED", "refused: forbidden_import", "verdict: the host will REFUSE"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back["kind"] != "reactor" || back["accepted"] != false || back["sha256"] != rep.SHA256 || back["abiVersion"].(float64) != 1 {
		t.Fatalf("json = %s", js)
	}
}

// TestAgreesWithHost inspects every module `make plugins` builds (examples,
// kits, the hostile corpus, these fixtures) and loads each into the real
// host: the static verdict must match the host's except for faults that only
// show when the module runs (phase instantiate), and with Options.Load the
// verdicts must match exactly.
func TestAgreesWithHost(t *testing.T) {
	dir, err := catalog.BuildDir()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wasm") {
			files = append(files, p)
		}
		return nil
	})
	hostile := 0
	for _, f := range files {
		if strings.Contains(f, "hostile") {
			hostile++
		}
	}
	if len(files) < 20 || hostile < 10 {
		t.Fatalf("found %d modules (%d hostile) under %s: run `make plugins`", len(files), hostile, dir)
	}
	ctx := context.Background()
	cache := t.TempDir() // shared, so each module compiles once
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: cache, Deterministic: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			bin, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, loadErr := rt.Load(ctx, plugin.Spec{Name: rel, Bytes: bin, Limits: plugin.Limits{PoolSize: 1, InitTimeout: 2 * time.Second}})
			if loadErr == nil {
				p.Close(ctx)
			}
			static, err := inspect.Inspect(ctx, bin, inspect.Options{})
			if err != nil {
				if loadErr == nil {
					t.Fatalf("inspect failed (%v) but the host loads it", err)
				}
				return
			}
			var perr *plugin.Error
			runtimeFault := errors.As(loadErr, &perr) && perr.Phase == plugin.PhaseInstantiate
			if static.Accepted != (loadErr == nil || runtimeFault) {
				t.Fatalf("static verdict accepted=%v, host load: %v; findings %+v", static.Accepted, loadErr, static.Findings)
			}
			if errors.Is(loadErr, plugin.ErrTimeout) {
				return // a start-up loop: the Load check would only wait out the host's 10 s init timeout again
			}
			full, err := inspect.Inspect(ctx, bin, inspect.Options{Load: true, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			if full.Accepted != (loadErr == nil) {
				t.Fatalf("verdict with Load accepted=%v, host load: %v; findings %+v", full.Accepted, loadErr, full.Findings)
			}
			if loadErr != nil {
				if len(full.Findings) == 0 || full.Findings[0].Severity != inspect.Refused {
					t.Fatalf("host refuses (%v) but no refusal is reported first: %+v", loadErr, full.Findings)
				}
			}
		})
	}
}

// TestGoWithoutCShared: a Go plugin built without -buildmode=c-shared is
// refused with the build line, known as Go by its build id section or, when
// that was stripped, by its producers section; the same source built as a
// reactor is not; the host refuses it at load for the same reason, in the
// same words; and the refusal is right: the module with every sign of Go
// stripped loads, but a call traps in alloc because the Go runtime never
// started.
func TestGoWithoutCShared(t *testing.T) {
	bin, err := os.ReadFile(catalog.MustPath(t, "testdata/inspect/go-without-c-shared"))
	if err != nil {
		t.Fatal(err)
	}
	without := func(bin []byte, custom string) []byte {
		out, err := wasmbin.WithoutCustomSections(bin, custom)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ctx := context.Background()
	static := func(b []byte) *inspect.Report {
		t.Helper()
		rep, err := inspect.Inspect(ctx, b, inspect.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	stripped := without(bin, "go:buildid")
	for name, b := range map[string][]byte{"as built": bin, "build id stripped": stripped} {
		rep := static(b)
		if rep.Accepted || len(rep.Findings) == 0 || rep.Findings[0].Code != "go_not_c_shared" ||
			rep.Findings[0].Message != plugin.ErrGoNotCShared.Error() || !strings.Contains(rep.Findings[0].Message, buildhint.GoLine) {
			t.Errorf("%s: findings %+v, want go_not_c_shared first, with the build line", name, rep.Findings)
		}
	}
	anon := without(stripped, "producers")
	if slices.Contains(codes(static(anon), inspect.Refused), "go_not_c_shared") {
		t.Error("a module with no sign of Go was taken for Go")
	}
	for _, rel := range []string{"testdata/broken/unchecked-attribute", "context-vars", "testdata/kitbench/go", "testdata/inspect/both-kinds"} {
		rep := inspectFile(t, rel, inspect.Options{})
		if slices.Contains(codes(rep, inspect.Refused), "go_not_c_shared") {
			t.Errorf("%s is a c-shared reactor or not Go, but was refused as built without c-shared", rel)
		}
	}
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: "-", Deterministic: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	if _, err := rt.Load(ctx, plugin.Spec{Name: "go-without-c-shared", Bytes: bin}); !errors.Is(err, plugin.ErrGoNotCShared) {
		t.Fatalf("the host loads the module (%v); it should refuse it as the finding does", err)
	}
	p, err := rt.Load(ctx, plugin.Spec{Name: "anonymous", Bytes: anon, Limits: plugin.Limits{PoolSize: 1}})
	if err != nil {
		t.Fatalf("the host refused the module stripped of every sign of Go: %v", err)
	}
	if _, err := p.Call(ctx, []byte(`{"abi":1,"plugin":{"name":"x","config":{}},"context":{},"request":{}}`)); !errors.Is(err, plugin.ErrTrap) || !strings.Contains(err.Error(), "alloc(") {
		t.Fatalf("call = %v; want the trap in alloc that makes the refusal right", err)
	}
}
