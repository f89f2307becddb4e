package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/testfs"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// hostileInput is a file of the hostile input corpus.
func hostileInput(name string) string {
	return filepath.Join("..", "..", "plugins", "testdata", "hostile-inputs", name)
}

// TestInputsOverTheCapRefused: every JSON input file is refused at 4 MiB
// (inputlimit.MaxJSONBytes) by its size, before it is read, with exit 2 and
// a message naming the flag, the file and the limit. (A 50 MB --context took
// 1.7 GB and 12 s before "must be a JSON object".)
func TestInputsOverTheCapRefused(t *testing.T) {
	t.Parallel()
	huge := testfs.Sparse(t, "huge.json", 1<<30)
	ctx := writeShapeFile(t, "ctx.json", `{"org":{"myDomain":"acme"}}`)
	manifest := examplePipeline(t)
	wasm := catalog.MustPath(t, "testdata/passthrough")
	for _, args := range [][]string{
		{"validate", huge},
		{"shape", "--manifest", manifest, "--context", huge},
		{"shape", "--manifest", manifest, "--context", ctx, "--request", huge},
		{"start", "--manifest", manifest, "--agent-id", "0XxAA0000000001AAA", "--context", huge},
		{"plugin", "call", wasm, "--input", huge},
	} {
		code, _, stderr := runShapeCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, huge+": exceeds 4194304 bytes (4 MiB), agentshape's limit for a JSON document") {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, stderr)
		}
	}
}

// TestOversizeModuleRefused: plugin inspect refuses a module file over
// inputlimit.MaxModuleBytes by its size (exit 2).
func TestOversizeModuleRefused(t *testing.T) {
	t.Parallel()
	huge := testfs.Sparse(t, "huge.wasm", 1<<40)
	code, _, stderr := runShapeCLI(t, "plugin", "inspect", huge)
	if code != exitUsage || !strings.Contains(stderr, huge+": exceeds 67108864 bytes (64 MiB), agentshape's limit for a WebAssembly module; a plugin is a few MiB at most") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestPluginCallBlamesTheInput: an envelope the plugin's memory cannot hold
// is the input's fault (exit 2), not the plugin's; so is a memory limit
// over the wasm32 maximum.
func TestPluginCallBlamesTheInput(t *testing.T) {
	t.Parallel()
	env := writeShapeFile(t, "env.json", `{"abi":1,"plugin":{"name":"p","config":{}},"context":{},"request":{"tz":"`+strings.Repeat("x", 70_000)+`"}}`)
	wasm := catalog.MustPath(t, "testdata/passthrough")
	code, _, stderr := runShapeCLI(t, "plugin", "call", wasm, "--input", env, "--memory-max-pages", "1", "--cache-dir", "-")
	if code != exitUsage || !strings.Contains(stderr, "--input "+env+": the envelope exceeds 65536 bytes, all the memory --memory-max-pages 1 gives the plugin") {
		t.Errorf("envelope over the memory limit: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runShapeCLI(t, "plugin", "call", wasm, "--input", env, "--memory-max-pages", "70000", "--cache-dir", "-")
	if code != exitUsage || !strings.Contains(stderr, "--memory-max-pages 70000: over the wasm32 maximum of 65536 pages") {
		t.Errorf("--memory-max-pages 70000: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runShapeCLI(t, "plugin", "inspect", wasm, "--memory-max-pages", "70000", "--static")
	if code != exitUsage || !strings.Contains(stderr, "--memory-max-pages 70000: over the wasm32 maximum of 65536 pages") {
		t.Errorf("plugin inspect --memory-max-pages 70000: exit %d, stderr %q", code, stderr)
	}
}

// TestDuplicateMembersRefused: a body naming instanceConfig twice (encoding/
// json kept the last, so it was judged by one endpoint and sent with both)
// is refused wherever it enters, naming the member and where it is.
func TestDuplicateMembersRefused(t *testing.T) {
	t.Parallel()
	dup := hostileInput("duplicate-members.json")
	ctx := writeShapeFile(t, "ctx.json", `{"org":{"myDomain":"acme"}}`)
	manifest := examplePipeline(t)
	env := writeShapeFile(t, "env.json", `{"abi":1,"plugin":{"name":"p","config":{}},"context":{},"request":{"tz":"UTC","tz":"Europe/Berlin"}}`)
	plain := writeShapeFile(t, "plain.json", `{"abi":1,"context":{},"request":{}}`)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"validate", dup}, dup + `: JSON refused at byte offset 165 (line 5, column 3): member "instanceConfig" appears twice in the top-level object (first at line 3, column 3)`},
		{[]string{"shape", "--manifest", manifest, "--context", ctx, "--request", dup}, `--request ` + dup + `: JSON refused at byte offset 165 (line 5, column 3): member "instanceConfig" appears twice`},
		{[]string{"start", "--manifest", manifest, "--agent-id", "0XxAA0000000001AAA", "--context", ctx, "--request", dup}, `member "instanceConfig" appears twice`},
		{[]string{"plugin", "call", catalog.MustPath(t, "testdata/passthrough"), "--input", env}, `member "tz" appears twice in the object at /request`},
		{[]string{"plugin", "call", catalog.MustPath(t, "testdata/passthrough"), "--input", plain, "--config", `vars={"a":1,"a":2}`}, `--config vars: JSON refused at byte offset 7`},
		{[]string{"conformance", "--plugin", catalog.MustPath(t, "testdata/passthrough"), "--config", `vars={"a":1,"a":2}`}, `--config vars: JSON refused at byte offset 7 (line 1, column 8): member "a" appears twice`},
	} {
		code, _, stderr := runShapeCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.says) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.args[0], code, stderr, c.says)
		}
	}
}

// TestNestedInputsRefused: documents nested past the limit — the issue's
// 60 KB manifest nesting 30,000 levels (15 GB in validate, 24 GB in shape),
// its org file, deep JSON — exit 2 naming the file, the line and the limit.
func TestNestedInputsRefused(t *testing.T) {
	t.Parallel()
	nested := hostileInput("nested-manifest.yaml")
	ctx := writeShapeFile(t, "ctx.json", `{"org":{"myDomain":"acme"}}`)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"validate", "--schema", "pipeline-manifest", nested}, nested + ":9: nested deeper than 128 levels, agentshape's limit for JSON and YAML documents"},
		{[]string{"shape", "--manifest", nested, "--context", ctx}, "manifest " + nested + ":9: nested deeper than 128 levels"},
		{[]string{"validate", hostileInput("deep.json")}, "(line 1, column 169): nested deeper than 128 levels"},
		{[]string{"validate", "--schema", "emulator-org", hostileInput("tag-chain.yaml")}, "tag-chain.yaml:131: nested deeper than 128 levels"},
	} {
		code, _, stderr := runShapeCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.says)
		}
	}
	code, _, stderr := runShapeCLI(t, "emulator", "--org", hostileInput("nested-org.yaml"))
	if code != exitUsage || !strings.Contains(stderr, "line 7: nested deeper than 128 levels") {
		t.Errorf("emulator --org: exit %d, stderr %q", code, stderr)
	}
}

// TestManifestRulesAtTheCLI: a plugin path that climbs out of the manifest's
// directory, and a pin YAML reads as a number, are usage errors naming the
// line and what to write.
func TestManifestRulesAtTheCLI(t *testing.T) {
	t.Parallel()
	ctx := writeShapeFile(t, "ctx.json", `{"org":{"myDomain":"acme"}}`)
	for _, c := range []struct{ manifest, says string }{
		{"version: 1\nplugins:\n  - path: ../../../../etc/passwd\n", `pipeline.yaml:3: plugins[0].path: "../../../../etc/passwd" leaves the manifest's root`},
		{"version: 1\nplugins:\n  - path: p.wasm\n    sha256: " + strings.Repeat("0", 64) + "\n", `pipeline.yaml:4: plugins[0].sha256: is not text to YAML`},
	} {
		code, _, stderr := runShapeCLI(t, "shape", "--manifest", writeShapeFile(t, "pipeline.yaml", c.manifest), "--context", ctx)
		if code != exitUsage || !strings.Contains(stderr, c.says) {
			t.Errorf("exit %d, stderr %q, want %q", code, stderr, c.says)
		}
	}
}
