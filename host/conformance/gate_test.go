package conformance_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/conformance"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/buildhint"
	"github.com/agentshape/agentshape/internal/version"
	"github.com/agentshape/agentshape/internal/wasmbin"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

// cacheDir is one compile cache shared by the tests of this package.
var cacheDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "conformance-test-cache-")
	if err != nil {
		panic(err)
	}
	cacheDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func run(t *testing.T, opts conformance.Options) *conformance.Report {
	t.Helper()
	if opts.Cases == 0 {
		opts.Cases = 20
	}
	opts.CacheDir = cacheDir
	opts.ReproDir = t.TempDir()
	rep, err := conformance.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("conformance.Run: %v", err)
	}
	return rep
}

// examplePlugins lists plugins/examples/<name> directories that build a plugin.
func examplePlugins(t *testing.T) []string {
	t.Helper()
	root, err := catalog.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(root, "plugins", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "internal" {
			names = append(names, e.Name())
		}
	}
	if len(names) < 3 {
		t.Fatalf("found only %v under plugins/examples", names)
	}
	return names
}

// TestGatePassesEveryExamplePlugin: the examples keep the contract.
func TestGatePassesEveryExamplePlugin(t *testing.T) {
	for _, name := range examplePlugins(t) {
		t.Run(name, func(t *testing.T) {
			rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, name)})
			var b strings.Builder
			_ = rep.WriteText(&b)
			if rep.Failed() {
				t.Fatalf("example plugin %s fails the gate:\n%s", name, b.String())
			}
			p, f, s := rep.Counts()
			if p < 10 || f != 0 || s != 0 {
				t.Fatalf("counts passed=%d failed=%d skipped=%d:\n%s", p, f, s, b.String())
			}
		})
	}
}

// TestGatePassesExamplePipeline: the demo pipeline keeps the contract as a whole.
// TestGateFailsOutputTheHostRefuses: output naming a member twice (which
// encoding/json would read as its last value) fails the gate as it fails in
// a pipeline, saying which member.
func TestGateFailsOutputTheHostRefuses(t *testing.T) {
	rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, "testdata/hostile/duplicate-keys"), Cases: 3})
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if !rep.Failed() || !strings.Contains(txt.String(), `member "instanceConfig" appears twice in the object at /request`) {
		t.Fatalf("the gate does not refuse the output as the host does:\n%s", txt.String())
	}
}

func TestGatePassesExamplePipeline(t *testing.T) {
	root, _ := catalog.RepoRoot()
	rep := run(t, conformance.Options{Manifest: filepath.Join(root, "plugins", "examples", "pipeline.yaml")})
	if rep.Failed() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("the example pipeline fails the gate:\n%s", b.String())
	}
	if len(rep.Members) != 4 {
		t.Fatalf("members = %d, want the 4 plugins of pipeline.yaml", len(rep.Members))
	}
}

// TestGateFailsBrokenPlugins: each deliberately broken plugin fails, for its
// own reason, blamed on itself, with a reproducer that replays it.
func TestGateFailsBrokenPlugins(t *testing.T) {
	cases := []struct {
		name    string
		want    string   // check that must fail
		allowed []string // checks that may fail besides
		message string   // text the failure of want contains
	}{
		{"wrong-field", "schema", []string{"e2e"}, "userId"},
		{"forbidden-field", "reserved", []string{"schema", "e2e"}, "tenantKeyId"},
		{"nondeterministic", "deterministic", nil, "different answers"},
		{"slow", "limits", nil, "timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wasm := catalog.MustPath(t, "testdata/broken/"+tc.name)
			rep := run(t, conformance.Options{Plugin: wasm, Cases: 10})
			var txt strings.Builder
			_ = rep.WriteText(&txt)
			if !rep.Failed() {
				t.Fatalf("the gate passed %s:\n%s", tc.name, txt.String())
			}
			var hit *conformance.Failure
			for i, f := range rep.Failures {
				if f.Plugin != tc.name {
					t.Errorf("failure blames %q, want %q: %s", f.Plugin, tc.name, f)
				}
				if f.Check != tc.want && !slices.Contains(tc.allowed, f.Check) {
					t.Errorf("unexpected %s failure for %s: %s", f.Check, tc.name, f)
				}
				if f.Check == tc.want && strings.Contains(f.Message, tc.message) && hit == nil {
					hit = &rep.Failures[i]
				}
			}
			if hit == nil {
				t.Fatalf("no %s failure mentioning %q:\n%s", tc.want, tc.message, txt.String())
			}
			checkReproducer(t, wasm, *hit)
			if tc.want == "deterministic" && !strings.Contains(hit.Detail, "first difference at /") {
				t.Errorf("determinism detail %q does not say where the answers differ", hit.Detail)
			}
			if tc.want != "limits" {
				checkShrunk(t, *hit)
			}
			if !strings.Contains(txt.String(), hit.Command) {
				t.Errorf("the text report does not print the reproducer command %q", hit.Command)
			}
		})
	}
}

// checkReproducer replays a failure's envelope through the real host and
// checks it shows the same fault.
func checkReproducer(t *testing.T, wasm string, f conformance.Failure) {
	t.Helper()
	if f.Envelope == "" || f.Command == "" {
		t.Fatalf("failure has no reproducer: %s", f)
	}
	if !strings.Contains(f.Command, "plugin call "+wasm+" --input "+f.Envelope+" --deterministic") {
		t.Errorf("reproducer command %q does not replay %s on %s", f.Command, wasm, f.Envelope)
	}
	env, err := os.ReadFile(f.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := schemas.Validate(schemas.PluginInput, env)
	if err != nil || len(vs) > 0 {
		t.Fatalf("reproducer envelope is not a valid plugin input: %v %v", err, vs)
	}
	ctx := context.Background()
	p := loadForReplay(t, wasm, nil)
	out1, err1 := p.Call(ctx, env)
	out2, err2 := p.Call(ctx, env)
	switch f.Check {
	case "limits":
		if err1 == nil {
			t.Fatalf("replaying %s did not break a limit: %s", f.Envelope, out1)
		}
	case "deterministic":
		if string(out1) == string(out2) {
			t.Fatalf("replaying %s twice gave the same answer %s", f.Envelope, out1)
		}
	case "schema", "reserved":
		if err1 != nil {
			t.Fatalf("replay: %v", err1)
		}
		var o struct{ Request json.RawMessage }
		if err := json.Unmarshal(out1, &o); err != nil {
			t.Fatal(err)
		}
		vs, _ := schemas.Validate(schemas.StartSessionRequest, o.Request)
		if len(vs) == 0 {
			t.Fatalf("replayed request %s is valid; the reproducer does not reproduce", o.Request)
		}
	}
	_ = err2
}

// checkShrunk: the reproducer's context was shrunk to what the failure needs
// (these broken plugins fail whatever the context, so nothing is left).
func checkShrunk(t *testing.T, f conformance.Failure) {
	t.Helper()
	env, err := os.ReadFile(f.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"agentId", "channel", "conversationId"} {
		if _, ok := e.Context[k]; ok {
			t.Errorf("reproducer context still has %s: %s", k, env)
		}
	}
	if string(e.Context["user"]) != "{}" || string(e.Context["org"]) != "{}" {
		t.Errorf("reproducer context was not shrunk: %s", env)
	}
	if !strings.Contains(f.Case, "shrunk by dropping") {
		t.Errorf("failure case %q does not say it was shrunk", f.Case)
	}
}

// TestGateBlamesThePluginInAPipeline: in a pipeline, the violation names the
// plugin that wrote the field, not the pipeline's last plugin.
func TestGateBlamesThePluginInAPipeline(t *testing.T) {
	manifest := writeManifest(t, "version: 1\nplugins:\n"+
		"  - name: broken-early\n    path: "+catalog.MustPath(t, "testdata/broken/wrong-field")+"\n"+
		"  - name: endpoint\n    path: "+catalog.MustPath(t, "endpoint")+"\n"+
		"  - name: session-key\n    path: "+catalog.MustPath(t, "session-key")+"\n")
	rep := run(t, conformance.Options{Manifest: manifest, Cases: 5})
	if !rep.Failed() {
		t.Fatal("the gate passed a pipeline with wrong-field in it")
	}
	found := false
	for _, f := range rep.Failures {
		if f.Check == "schema" && strings.Contains(f.Message, "userId") {
			found = true
			if f.Plugin != "broken-early" {
				t.Errorf("userId violation blamed on %q, want broken-early", f.Plugin)
			}
			if !strings.Contains(f.Command, "--name broken-early") {
				t.Errorf("reproducer %q does not name the plugin as the manifest does", f.Command)
			}
		}
	}
	if !found {
		t.Fatalf("no userId violation in %v", rep.Failures)
	}
}

// TestGateIsRepeatable: the same seed gives the same failures.
func TestGateIsRepeatable(t *testing.T) {
	wasm := catalog.MustPath(t, "testdata/broken/wrong-field")
	a := run(t, conformance.Options{Plugin: wasm, Cases: 8, Seed: 42})
	b := run(t, conformance.Options{Plugin: wasm, Cases: 8, Seed: 42})
	if len(a.Failures) != len(b.Failures) {
		t.Fatalf("%d vs %d failures for the same seed", len(a.Failures), len(b.Failures))
	}
	for i := range a.Failures {
		if a.Failures[i].Message != b.Failures[i].Message || a.Failures[i].Case != b.Failures[i].Case {
			t.Errorf("failure %d differs: %s vs %s", i, a.Failures[i], b.Failures[i])
		}
	}
}

func TestGenerateCases(t *testing.T) {
	demo := conformance.DemoOrg()
	a, b := conformance.GenerateCases(7, 40, demo), conformance.GenerateCases(7, 40, demo)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("the same seed generated different cases")
	}
	jc, _ := json.Marshal(conformance.GenerateCases(8, 40, demo))
	if string(jc) == string(ja) {
		t.Fatal("different seeds generated the same cases")
	}
	labels := strings.Join(func() []string {
		var l []string
		for _, c := range a {
			l = append(l, c.Label)
		}
		return l
	}(), "|")
	for _, want := range []string{"empty context", "huge values", "unicode values", "empty values", "no user", "locale ", "tz "} {
		if !strings.Contains(labels, want) {
			t.Errorf("40 generated cases have no %q case: %s", want, labels)
		}
	}
	for _, c := range a {
		env, _ := json.Marshal(map[string]any{"abi": 1, "plugin": map[string]any{"name": "x", "config": map[string]any{}}, "context": c.Context, "request": json.RawMessage(c.Request)})
		if vs, err := schemas.Validate(schemas.PluginInput, env); err != nil || len(vs) > 0 {
			t.Fatalf("case %d is not a valid plugin input: %v %v", c.Index, err, vs)
		}
		if vs, _ := schemas.Validate(schemas.StartSessionRequest, c.Request); len(vs) > 0 {
			t.Fatalf("case %d's base request is invalid: %v", c.Index, vs)
		}
	}
}

func TestOptionsNeedOneSubject(t *testing.T) {
	for _, o := range []conformance.Options{{}, {Plugin: "a.wasm", Manifest: "m.yaml"}} {
		if _, err := conformance.Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "exactly one") {
			t.Errorf("Run(%+v) = %v, want an error asking for exactly one subject", o, err)
		}
	}
	if _, err := conformance.Run(context.Background(), conformance.Options{Plugin: filepath.Join(t.TempDir(), "missing.wasm")}); err == nil || !strings.Contains(err.Error(), "make plugins") {
		t.Errorf("missing plugin: %v", err)
	}
}

// The gate runs a manifest's plugins with the grants the manifest gives
// them, as a pipeline would: a variable that is not set fails the load, and
// reproducers replay with the same grants.
func TestGateHonoursGrants(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string) string {
		m := filepath.Join(dir, strings.ReplaceAll(rel, "/", "-")+".yaml")
		body := "version: 1\nplugins:\n  - path: " + catalog.MustPath(t, rel) +
			"\n    grants: {env: [GRANT_TEST_VALUE], dirs: [{host: " + dir + ", guest: /data}]}\n"
		if err := os.WriteFile(m, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return m
	}
	text := func(rep *conformance.Report) string {
		var b strings.Builder
		_ = rep.WriteText(&b)
		return b.String()
	}
	reader := write("testdata/grants/reader")
	t.Setenv("GRANT_TEST_VALUE", "")
	os.Unsetenv("GRANT_TEST_VALUE")
	rep := run(t, conformance.Options{Manifest: reader, Cases: 2})
	if !rep.Failed() || !strings.Contains(text(rep), "GRANT_TEST_VALUE is not set") {
		t.Fatalf("a manifest granting an unset variable passed the gate or was not blamed on the grant:\n%s", text(rep))
	}
	t.Setenv("GRANT_TEST_VALUE", "salt")
	if rep = run(t, conformance.Options{Manifest: reader, Cases: 2}); rep.Failed() {
		t.Fatalf("with the variable set the granted plugin should pass:\n%s", text(rep))
	}
	// A failing plugin with grants: its reproducers carry them — a plugin
	// call's flags, or the replayed manifest of an end-to-end failure.
	rep = run(t, conformance.Options{Manifest: write("testdata/broken/wrong-field"), Cases: 2})
	called, started := false, false
	for _, f := range rep.Failures {
		args := strings.Fields(f.Command)
		switch {
		case len(args) > 3 && args[1] == "start" && args[2] == "--manifest":
			started = true
			m, err := pipeline.LoadManifest(args[3])
			if err != nil {
				t.Fatal(err)
			}
			if g := m.Plugins[0].Grants; !slices.Equal(g.Env, []string{"GRANT_TEST_VALUE"}) || !slices.Equal(g.Dirs, []pipeline.EntryDir{{Host: dir, Guest: "/data"}}) {
				t.Errorf("reproducer %q replays a manifest without the grants: %+v", f.Command, g)
			}
		case f.Command != "":
			called = true
			if !strings.Contains(f.Command, "--grant-env GRANT_TEST_VALUE") || !strings.Contains(f.Command, "--grant-dir "+dir+":/data") {
				t.Errorf("reproducer %q does not carry the grants", f.Command)
			}
		}
	}
	if !called || !started {
		t.Fatalf("want a plugin call and a start reproducer:\n%s", text(rep))
	}
}

// In a pipeline, a plugin that sets the Tenant Key ID fails the gate even
// when a later plugin removes it (agent-api.md §6: no plugin may set it).
func TestGateBlamesReservedFieldSetInPassing(t *testing.T) {
	manifest := writeManifest(t, "version: 1\nplugins:\n  - name: sets-it\n    path: "+catalog.MustPath(t, "testdata/broken/forbidden-field")+
		"\n  - name: drops-it\n    path: "+catalog.MustPath(t, "testdata/provenance/drop")+"\n    config: {member: tenantKeyId}\n")
	rep := run(t, conformance.Options{Manifest: manifest, Cases: 3})
	for _, f := range rep.Failures {
		if f.Check == "reserved" && f.Plugin == "sets-it" && strings.Contains(f.Message, "even in passing") {
			return
		}
	}
	var b strings.Builder
	_ = rep.WriteText(&b)
	t.Fatalf("no reserved failure blaming sets-it:\n%s", b.String())
}

// writeManifest writes a pipeline manifest into a fresh directory.
func writeManifest(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// scenarioStatus maps each scenario name of rep to its status.
func scenarioStatus(rep *conformance.Report) map[string]string {
	st := map[string]string{}
	for _, f := range rep.Features {
		for _, s := range f.Scenarios {
			st[s.Name] = s.Status()
		}
	}
	return st
}

// TestGateFailsAPanicAsAFault: a Go plugin doing an unchecked type assertion
// on a missing attribute panics; the Go kit answers plugin_panic, and the
// gate counts that as a fault of every scenario it happened in — not as a
// refusal (plugins/ABI.md §6.1). Before the rule it passed all scenarios.
func TestGateFailsAPanicAsAFault(t *testing.T) {
	wasm := catalog.MustPath(t, "testdata/broken/unchecked-attribute")
	rep := run(t, conformance.Options{Plugin: wasm, Cases: 10})
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if !rep.Failed() {
		t.Fatalf("the gate passed a plugin that panics on a missing attribute:\n%s", txt.String())
	}
	st := scenarioStatus(rep)
	for _, name := range []string{
		"An empty context does not break the plugin",
		"Every answer is a request or a refusal, within limits",
		"Every shaped request is valid",
		"Every shaped request leaves the reserved fields alone",
		"Every case gives the same answer when run again with the same seed",
	} {
		if st[name] != "failed" {
			t.Errorf("scenario %q is %q; the panic happened in it, so it must fail", name, st[name])
		}
	}
	// The typical context has a string tier: no panic there, nothing fails.
	for _, name := range []string{"A typical context gets a valid request", "The shaped request starts a session"} {
		if st[name] != "passed" {
			t.Errorf("scenario %q is %q; the plugin does not panic on it", name, st[name])
		}
	}
	var hit *conformance.Failure
	for i, f := range rep.Failures {
		if f.Plugin != "unchecked-attribute" || f.Check != "answer" {
			t.Errorf("unexpected failure: %s", f)
		}
		if strings.Contains(f.Message, "plugin_panic") && strings.Contains(f.Message, "not a refusal") && hit == nil {
			hit = &rep.Failures[i]
		}
	}
	if hit == nil {
		t.Fatalf("no answer failure naming plugin_panic as a fault:\n%s", txt.String())
	}
	if !strings.Contains(hit.Message, "interface conversion") || !strings.Contains(hit.Message, "v, ok :=") {
		t.Errorf("the failure does not carry the panic and the fix: %s", hit.Message)
	}
	checkReproducer(t, wasm, *hit)
	out, err := replay(t, wasm, hit.Envelope, nil)
	if err != nil || !strings.Contains(string(out), `"code":"plugin_panic"`) {
		t.Fatalf("replaying the reproducer gave %s, %v; want the plugin_panic answer", out, err)
	}
}

// TestGateTellsARefusalFromAFault: one plugin refusing every request, once
// with a code of its own (a deliberate refusal: only the end-to-end scenario,
// which needs a session, fails) and once with a reserved fault code (a fault:
// every scenario that shaped a request fails).
func TestGateTellsARefusalFromAFault(t *testing.T) {
	wasm := catalog.MustPath(t, "testdata/ckit/refuse")
	deliberate := run(t, conformance.Options{Plugin: wasm, Cases: 5,
		Config: map[string]any{"mode": "given", "code": "not_for_this_org", "message": "this plugin serves another org"}})
	for name, status := range scenarioStatus(deliberate) {
		want := "passed"
		if name == "The shaped request starts a session" {
			want = "failed"
		}
		if status != want {
			t.Errorf("deliberate refusal: scenario %q is %s, want %s", name, status, want)
		}
	}
	for _, f := range deliberate.Failures {
		if f.Check != "e2e" {
			t.Errorf("deliberate refusal: unexpected failure %s", f)
		}
	}
	fault := run(t, conformance.Options{Plugin: wasm, Cases: 5,
		Config: map[string]any{"mode": "given", "code": "out_of_memory", "message": "the kit ran out of memory"}})
	st := scenarioStatus(fault)
	for _, name := range []string{"A typical context gets a valid request", "An empty context does not break the plugin",
		"Shaping the same envelope twice gives the same answer", "The Tenant Key ID is reserved for internal use and stays unset",
		"Every shaped request is valid", "The shaped request starts a session"} {
		if st[name] != "failed" {
			t.Errorf("fault code: scenario %q is %s, want failed", name, st[name])
		}
	}
	found := false
	for _, f := range fault.Failures {
		found = found || (f.Check == "answer" && strings.Contains(f.Message, "fault code out_of_memory"))
	}
	if !found {
		t.Errorf("no answer failure naming the fault code: %v", fault.Failures)
	}
}

// loadForReplay loads wasm into a deterministic runtime seeded as the gate's
// default, as the reproducer command does; the runtime closes with the test.
func loadForReplay(t *testing.T, wasm string, config map[string]any) *plugin.Plugin {
	t.Helper()
	ctx := context.Background()
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: cacheDir, Deterministic: true, Seed: conformance.DefaultSeed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	p, err := rt.Load(ctx, plugin.Spec{Path: wasm, Config: config, Limits: plugin.Limits{PoolSize: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// replay calls wasm once on the envelope in file.
func replay(t *testing.T, wasm, file string, config map[string]any) ([]byte, error) {
	t.Helper()
	env, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return loadForReplay(t, wasm, config).Call(context.Background(), env)
}

// TestGateStopsAGoPluginBuiltWithoutCShared: a Go plugin built without
// -buildmode=c-shared fails once, where the host refuses to load it, with the
// build line, and is never called (it used to fail 46 times with
// near-identical "alloc(N): unreachable" traps and log a warning for each).
func TestGateStopsAGoPluginBuiltWithoutCShared(t *testing.T) {
	rep := run(t, conformance.Options{Plugin: catalog.MustPath(t, "testdata/inspect/go-without-c-shared"), Cases: 20})
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if !rep.Failed() || len(rep.Failures) != 1 {
		t.Fatalf("want exactly one failure:\n%s", txt.String())
	}
	f := rep.Failures[0]
	if f.Check != "abi" || !strings.Contains(f.Message, "the host refuses to load the plugin") ||
		!strings.Contains(f.Message, "without -buildmode=c-shared") || !strings.Contains(f.Message, buildhint.GoLine) {
		t.Fatalf("the failure does not name the cause and the build line: %s", f)
	}
	if st := scenarioStatus(rep)["The host loads every module with its limits"]; st != "failed" {
		t.Errorf("the load scenario is %s, want failed", st)
	}
	if strings.Contains(txt.String(), "alloc(") {
		t.Errorf("the gate called the module:\n%s", txt.String())
	}
}

// TestGateStopsAfterTheFirstABIFailure: the same module with every sign of
// Go stripped is called — and traps in alloc, before shape ever runs. The
// gate reports that once and calls the plugin no more, instead of one
// failure per envelope size.
func TestGateStopsAfterTheFirstABIFailure(t *testing.T) {
	bin, err := os.ReadFile(catalog.MustPath(t, "testdata/inspect/go-without-c-shared"))
	if err != nil {
		t.Fatal(err)
	}
	anon, err := wasmbin.WithoutCustomSections(bin)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := wasmbin.Decode(anon); err != nil || buildhint.GoWithoutCShared(m) {
		t.Fatal("the stripped module is still recognised as Go")
	}
	path := filepath.Join(t.TempDir(), "anonymous.wasm")
	if err := os.WriteFile(path, anon, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := run(t, conformance.Options{Plugin: path, Cases: 20})
	var txt strings.Builder
	_ = rep.WriteText(&txt)
	if len(rep.Failures) != 1 || rep.Failures[0].Similar != 0 {
		t.Fatalf("want one failure, nothing left out:\n%s", txt.String())
	}
	if f := rep.Failures[0]; f.Check != "abi" || !strings.Contains(f.Message, "alloc(") || !strings.Contains(f.Message, "trapped") {
		t.Fatalf("want the alloc trap as an abi failure: %s", f)
	}
}

// acmeOrg is the emulator-org file of a team's own org: My Domain
// https://acme.my.salesforce.com, an agent declaring orderTier as Number,
// and a fault and rate limit that the gate must ignore (they would fail
// every Start Session).
func acmeOrg(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "emulator", "testdata", "acme-org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// failuresOf renders a report's failures for test messages.
func failuresOf(rep *conformance.Report) string {
	var b strings.Builder
	_ = rep.WriteText(&b)
	return b.String()
}

// TestGateChecksAgainstTheOrgUnderTest: a correct plugin for the team's own
// org — its endpoint set to the team's My Domain, a variable sent with the
// type the team's agent declares — fails against the demo org, with a
// message that names the field, the plugin and --org, and passes with --org
// describing the team's org. Without --org the report says the demo org was
// used; with it, it names the file and never the client secret.
func TestGateChecksAgainstTheOrgUnderTest(t *testing.T) {
	org := acmeOrg(t)
	endpoint := catalog.MustPath(t, "endpoint")
	hardCoded := map[string]any{"myDomain": "https://acme.my.salesforce.com", "override": true}
	numberTier := map[string]any{"language": false, "variables": []any{map[string]any{"attribute": "openOrders", "name": "orderTier", "type": "Number"}}}

	for _, tc := range []struct {
		plugin string
		config map[string]any
		ptr    string // the offending field against the demo org
		text   string // what its failure explains
	}{
		{endpoint, hardCoded, "/instanceConfig/endpoint", "no --org was given"},
		{catalog.MustPath(t, "context-vars"), numberTier, "/variables/0/type", "declares it as Text"},
	} {
		name := strings.TrimSuffix(filepath.Base(tc.plugin), ".wasm")
		demo := run(t, conformance.Options{Plugin: tc.plugin, Config: tc.config, Cases: 5})
		if !demo.Org.Demo || demo.Org.MyDomain != "https://example-co.my.salesforce.com" || !strings.Contains(failuresOf(demo), "org: the built-in demo org") {
			t.Errorf("%s: the report does not say the demo org was used: %+v\n%s", name, demo.Org, failuresOf(demo))
		}
		found := false
		for _, f := range demo.Failures {
			if f.Check != "e2e" {
				t.Errorf("%s against the demo org: unexpected %s", name, f)
			}
			if strings.Contains(f.Message, "the offending field is "+tc.ptr+`, last written by plugin "`+name+`"`) &&
				strings.Contains(f.Message, tc.text) && strings.Contains(f.Message, "--org") && f.Plugin == name {
				found = true
			}
		}
		if !found {
			t.Errorf("%s against the demo org: no e2e failure naming %s, the plugin and --org:\n%s", name, tc.ptr, failuresOf(demo))
		}
		acme := run(t, conformance.Options{Plugin: tc.plugin, Config: tc.config, Cases: 5, Org: org})
		if acme.Failed() {
			t.Errorf("%s against its own org: fails:\n%s", name, failuresOf(acme))
		}
		if acme.Org.Demo || acme.Org.File != org || acme.Org.AgentID != "0XxAA0000000002AAA" || !strings.Contains(failuresOf(acme), "org: https://acme.my.salesforce.com from "+org) {
			t.Errorf("%s: the report does not name the org file: %+v", name, acme.Org)
		}
		js, _ := json.Marshal(acme)
		if strings.Contains(string(js), "acme-secret") || strings.Contains(failuresOf(acme), "acme-secret") {
			t.Errorf("the org's client secret reached a report")
		}
	}

	// Hard-coded to yet another org: fails against --org too, naming the file.
	other := run(t, conformance.Options{Plugin: endpoint, Cases: 5, Org: org,
		Config: map[string]any{"myDomain": "https://globex.my.salesforce.com", "override": true}})
	if !strings.Contains(failuresOf(other), "but --org "+org+" says the org's My Domain is https://acme.my.salesforce.com") {
		t.Errorf("a plugin hard-coded to another org passed or was not explained:\n%s", failuresOf(other))
	}
	// The generated cases name the org under test, in its URL and name forms.
	forms := map[string]bool{}
	o, err := conformance.LoadOrg(org, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conformance.GenerateCases(1, 40, o) {
		if md := c.Context.Org.MyDomain; md != "" {
			forms[md] = true
		}
		if !strings.Contains(string(c.Request), `"endpoint":"https://acme.my.salesforce.com"`) {
			t.Fatalf("case %d's base request does not target the org: %s", c.Index, c.Request)
		}
	}
	if len(forms) != 2 || !forms["acme"] || !forms["https://acme.my.salesforce.com"] {
		t.Errorf("generated contexts name the org as %v, want acme and its URL", forms)
	}
}

// TestGateOrgOptions: a bad org file and an agent the org lacks are errors
// (the CLI's exit 2) that say what to do.
func TestGateOrgOptions(t *testing.T) {
	wasm := catalog.MustPath(t, "endpoint")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("myDomain: http://acme.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts conformance.Options
		want string
	}{
		{conformance.Options{Plugin: wasm, Org: filepath.Join(t.TempDir(), "missing.yaml")}, "--print-org"},
		{conformance.Options{Plugin: wasm, Org: bad}, "org file " + bad},
		{conformance.Options{Plugin: wasm, Org: acmeOrg(t), AgentID: "0XxAA0000000009AAA"}, "has no such agent (its agents: 0XxAA0000000002AAA)"},
	} {
		if _, err := conformance.Run(context.Background(), tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(org %s, agent %s) = %v, want an error containing %q", tc.opts.Org, tc.opts.AgentID, err, tc.want)
		}
	}
}

// TestGateBlamesTheWriterOfTheOffendingField: in a pipeline, an end-to-end
// failure names the plugin that last wrote the field the org refused —
// found by field provenance, which follows a variable that a later plugin
// only shifted — not the pipeline's last plugin; and its reproducer replays
// the pipeline up to that plugin with `start` on the demo org's emulator
// (which the CLI test runs as printed), the manifest's notes giving the
// `shape --explain` that shows the field with its writer.
func TestGateBlamesTheWriterOfTheOffendingField(t *testing.T) {
	manifest := writeManifest(t, "version: 1\nplugins:\n"+
		"  - name: endpoint\n    path: "+catalog.MustPath(t, "endpoint")+"\n"+
		"  - name: tier-as-number\n    path: "+catalog.MustPath(t, "context-vars")+"\n"+
		"    config: {language: false, variables: [{attribute: openOrders, name: orderTier, type: Number}]}\n"+
		"  - name: channel-first\n    path: "+catalog.MustPath(t, "testdata/provenance/prepend")+"\n"+
		"    config: {variable: {name: channel, type: Text, value: web}}\n")
	rep := run(t, conformance.Options{Manifest: manifest, Cases: 3})
	var hit *conformance.Failure
	for i, f := range rep.Failures {
		if f.Check == "e2e" && strings.Contains(f.Message, `Variable "orderTier"`) && hit == nil {
			hit = &rep.Failures[i]
		}
	}
	if hit == nil {
		t.Fatalf("no e2e failure for the orderTier type:\n%s", failuresOf(rep))
	}
	if hit.Plugin != "tier-as-number" || !strings.Contains(hit.Message, `the offending field is /variables/1/type, last written by plugin "tier-as-number"`) {
		t.Fatalf("the failure blames %q: %s", hit.Plugin, hit)
	}
	// The reproducer: start over the pipeline up to the blamed plugin.
	args := strings.Fields(hit.Command)
	flag := func(name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
		}
		t.Fatalf("reproducer %q has no %s", hit.Command, name)
		return ""
	}
	if len(args) < 2 || args[1] != "start" || flag("--seed") != "1" || !slices.Contains(args, "--deterministic") ||
		flag("--agent-id") != emulator.DemoAgentID || slices.Contains(args, "--org") {
		t.Fatalf("reproducer %q does not replay the pipeline with start --deterministic --seed 1 on the demo org's agent", hit.Command)
	}
	m, err := pipeline.LoadManifest(flag("--manifest"))
	if err != nil {
		t.Fatal(err)
	}
	notes, err := os.ReadFile(flag("--manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(notes), "#   "+hit.Command+"\n") || !strings.Contains(string(notes), "#   agentshape shape --manifest "+flag("--manifest")) {
		t.Fatalf("the replay manifest's notes lack the start and shape --explain commands:\n%s", notes)
	}
	if len(m.Plugins) != 2 || m.Plugins[0].Name != "endpoint" || m.Plugins[1].Name != "tier-as-number" {
		t.Fatalf("the replayed pipeline is %+v, want endpoint then tier-as-number", m.Plugins)
	}
	var c abi.Context
	ctxJSON, _ := os.ReadFile(flag("--context"))
	if err := json.Unmarshal(ctxJSON, &c); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(flag("--request"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{CacheDir: cacheDir, Deterministic: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	pl, err := pipeline.New(ctx, rt, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pl.Run(ctx, c, base)
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Variables []struct{ Name, Type string }
	}
	if err := json.Unmarshal(res.Request, &req); err != nil || len(req.Variables) != 1 || req.Variables[0].Name != "orderTier" || req.Variables[0].Type != "Number" {
		t.Fatalf("the replay shaped %s (%v); want the orderTier Number variable", res.Request, err)
	}
	if who := res.Provenance["/variables/0/type"]; who != "tier-as-number" {
		t.Fatalf("the replay's provenance names %q for the variable's type", who)
	}
}

// TestReportsRecordTheRun: every report says what was checked — the
// plugin's sha256, the agentshape version, the org — and a JUnit failure
// carries the failure's text and reproducer, not only "scenario failed".
func TestReportsRecordTheRun(t *testing.T) {
	wasm := catalog.MustPath(t, "testdata/broken/wrong-field")
	bin, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	hexSum := hex.EncodeToString(sum[:])
	rep := run(t, conformance.Options{Plugin: wasm, Cases: 3})
	if len(rep.Plugins) != 1 || rep.Plugins[0].SHA256 != hexSum || rep.Plugins[0].Name != "wrong-field" {
		t.Fatalf("report plugins %+v, want wrong-field with sha256 %s", rep.Plugins, hexSum)
	}
	if rep.Version == "" || rep.Version != version.String() {
		t.Fatalf("report version %q, want %q", rep.Version, version.String())
	}
	text := failuresOf(rep)
	for _, want := range []string{"agentshape " + rep.Version, "plugin wrong-field: sha256 " + hexSum, "org: the built-in demo org"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	var x bytes.Buffer
	if err := rep.WriteJUnit(&x); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range suites.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	if props["agentshape.version"] != rep.Version || props["plugin.wrong-field.sha256"] != hexSum ||
		props["org.myDomain"] != "https://example-co.my.salesforce.com" || !strings.Contains(props["org.file"], "demo org") {
		t.Errorf("JUnit properties %v", props)
	}
	var cuke bytes.Buffer
	if err := rep.WriteCucumber(&cuke); err != nil {
		t.Fatal(err)
	}
	var features []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(cuke.Bytes(), &features); err != nil || len(features) == 0 {
		t.Fatalf("cucumber report: %v\n%s", err, cuke.String())
	}
	for _, f := range features {
		for _, want := range []string{"agentshape.version: " + rep.Version, "plugin.wrong-field.sha256: " + hexSum, "org.myDomain: https://example-co.my.salesforce.com"} {
			if !strings.Contains(f.Description, want) {
				t.Errorf("cucumber feature %q does not record %q:\n%s", f.Name, want, f.Description)
			}
		}
	}
	failed := 0
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			if c.Failure == nil {
				continue
			}
			failed++
			if c.Failure.Message == "scenario failed" || !strings.Contains(c.Failure.Message, "userId") {
				t.Errorf("%s: JUnit failure message %q does not carry the failure", c.Name, c.Failure.Message)
			}
			if !strings.Contains(c.Failure.Text, "re-run:   agentshape plugin call "+wasm) && !strings.Contains(c.Failure.Text, "re-run:   agentshape start --manifest ") {
				t.Errorf("%s: JUnit failure text lacks the reproducer:\n%s", c.Name, c.Failure.Text)
			}
		}
	}
	if failed == 0 {
		t.Fatalf("no failed JUnit test case:\n%s", x.String())
	}
}
