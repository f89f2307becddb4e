package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/plugins/catalog"
	"github.com/agentshape/agentshape/schemas"
)

var cacheDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "agentshape-pipeline-cache")
	if err != nil {
		panic(err)
	}
	cacheDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func writeManifest(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newRuntime(t *testing.T) *plugin.Runtime {
	t.Helper()
	rt, err := plugin.NewRuntime(context.Background(), plugin.RuntimeOptions{CacheDir: cacheDir, Deterministic: true, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

// openPipeline loads the manifest at path and opens its pipeline on a test
// runtime; the pipeline is closed when the test ends.
func openPipeline(t *testing.T, path string) *pipeline.Pipeline {
	t.Helper()
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := pipeline.New(context.Background(), newRuntime(t), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pl.Close(context.Background()) })
	return pl
}

// examplesManifest is the three example plugins in order (agent-api.md §2:
// instanceConfig.endpoint, variables, externalSessionKey).
func examplesManifest(t *testing.T) string {
	return writeManifest(t, `version: 1
plugins:
  - name: endpoint
    path: `+catalog.MustPath(t, "endpoint")+`
  - name: context-vars
    path: `+catalog.MustPath(t, "context-vars")+`
    limits: { timeout: 2s, poolSize: 2 }
  - name: session-key
    path: `+catalog.MustPath(t, "session-key")+`
`)
}

var ctxAcme = abi.Context{
	AgentID:        "0XxAA0000000001AAA",
	Org:            abi.Org{MyDomain: "acme"},
	ConversationID: "conv-1",
	User:           abi.User{Locale: "de_DE"},
}

func TestRunShapesInOrderWithProvenance(t *testing.T) {
	pl := openPipeline(t, examplesManifest(t))
	base := json.RawMessage(`{"bypassUser":true,"streamingCapabilities":{"chunkTypes":["Text"]}}`)
	res, err := pl.Run(context.Background(), ctxAcme, base)
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(res.Request, &req); err != nil {
		t.Fatal(err)
	}
	if ep := req["instanceConfig"].(map[string]any)["endpoint"]; ep != "https://acme.my.salesforce.com" {
		t.Fatalf("endpoint = %v", ep)
	}
	if req["bypassUser"] != true || req["externalSessionKey"] == nil || req["variables"] == nil {
		t.Fatalf("final request lost or lacks fields: %s", res.Request)
	}
	want := map[string]string{
		"/instanceConfig/endpoint":            "endpoint",
		"/instanceConfig":                     "endpoint",
		"/variables/0/name":                   "context-vars",
		"/variables":                          "context-vars",
		"/externalSessionKey":                 "session-key",
		"/bypassUser":                         pipeline.BaseOwner,
		"/streamingCapabilities/chunkTypes/0": pipeline.BaseOwner,
		"":                                    "session-key",
	}
	for ptr, owner := range want {
		if got := res.Provenance[ptr]; got != owner {
			t.Errorf("provenance[%q] = %q, want %q (all: %v)", ptr, got, owner, res.Provenance)
		}
	}
	// Every pointer of the final request has an owner.
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		if _, ok := res.Provenance[ptr]; !ok {
			t.Errorf("pointer %q has no owner", ptr)
		}
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, ptr+"/"+k)
			}
		case []any:
			for i, c := range x {
				b, _ := json.Marshal(i)
				walk(c, ptr+"/"+string(b))
			}
		}
	}
	walk(req, "")
	// Owner walks up for pointers that do not exist.
	if o := res.Provenance.Owner("/instanceConfig/missingField"); o != "endpoint" {
		t.Errorf("Owner of a missing child of /instanceConfig = %q, want endpoint", o)
	}
	if o := res.Provenance.Owner("/streamingCapabilities/nope/deeper"); o != pipeline.BaseOwner {
		t.Errorf("Owner(/streamingCapabilities/nope/deeper) = %q, want base", o)
	}
	// Value is Request decoded.
	if decoded, err := schemas.Decode(res.Request); err != nil || !reflect.DeepEqual(any(res.Value), decoded) {
		t.Fatalf("Value %#v, want Request decoded %#v (%v)", res.Value, decoded, err)
	}
	// Deterministic mode: the same inputs give the same request.
	res2, err := pl.Run(context.Background(), ctxAcme, base)
	if err != nil || string(res2.Request) != string(res.Request) {
		t.Fatalf("deterministic rerun differs: %s vs %s (%v)", res2.Request, res.Request, err)
	}
}

func TestRunConcurrently(t *testing.T) {
	pl := openPipeline(t, examplesManifest(t))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := ctxAcme
			c.Org.MyDomain = "org" + string(rune('a'+g))
			for i := 0; i < 5; i++ {
				res, err := pl.Run(context.Background(), c, nil)
				if err != nil {
					errs <- err
					return
				}
				if !strings.Contains(string(res.Request), "https://"+c.Org.MyDomain+".my.salesforce.com") {
					errs <- errors.New("crossed requests: " + string(res.Request))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestRunStopsAtAFailingPlugin(t *testing.T) {
	path := writeManifest(t, `version: 1
plugins:
  - name: passthrough
    path: `+catalog.MustPath(t, "testdata/passthrough")+`
  - name: trap
    path: `+catalog.MustPath(t, "testdata/hostile/trap")+`
`)
	pl := openPipeline(t, path)
	_, err := pl.Run(context.Background(), abi.Context{}, nil)
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Plugin != "trap" || !errors.Is(err, plugin.ErrTrap) || !strings.Contains(err.Error(), "step 2 of 2") {
		t.Fatalf("err = %v, want step 2's *plugin.Error (trap)", err)
	}
	if _, err := pl.Run(context.Background(), abi.Context{}, json.RawMessage(`[]`)); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Fatalf("array base: err = %v", err)
	}
}

// TestRunWithoutPluginsReturnsTheBase: a pipeline of no plugins returns the
// base request, decoded in Value, every field owned by the base.
func TestRunWithoutPluginsReturnsTheBase(t *testing.T) {
	res, err := pipeline.FromPlugins().Run(context.Background(), abi.Context{}, json.RawMessage(` {"tz":"UTC","variables":[{"name":"n","value":2.0}]} `))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tz": "UTC", "variables": []any{map[string]any{"name": "n", "value": json.Number("2.0")}}}
	if string(res.Request) != `{"tz":"UTC","variables":[{"name":"n","value":2.0}]}` || !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("Request %s, Value %#v", res.Request, res.Value)
	}
	if res.Provenance.Owner("/variables/0/value") != pipeline.BaseOwner || res.Provenance[""] != pipeline.BaseOwner {
		t.Fatalf("provenance %v", res.Provenance)
	}
}

func TestNewNamesTheFailingEntry(t *testing.T) {
	path := writeManifest(t, `version: 1
plugins:
  - path: `+catalog.MustPath(t, "testdata/passthrough")+`
  - name: pinned
    path: `+catalog.MustPath(t, "testdata/trivial")+`
    sha256: `+strings.Repeat("ab", 32)+`
`)
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Plugins[0].Name != "passthrough" {
		t.Fatalf("default name = %q, want passthrough", m.Plugins[0].Name)
	}
	_, err = pipeline.New(context.Background(), newRuntime(t), m)
	if !errors.Is(err, plugin.ErrHashMismatch) || !strings.Contains(err.Error(), "pipeline.yaml:4: plugins[1] (pinned)") {
		t.Fatalf("err = %v, want hash mismatch naming pipeline.yaml:4 plugins[1] (pinned)", err)
	}
}

func TestManifestErrorsNameLineAndField(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		field      string
		says       string
	}{
		{"unknown field", "version: 1\nplugins:\n  - name: a\n    path: a.wasm\n    timeout: 2s\n", 5, "", "unknown field \"timeout\""},
		{"bad timeout", "version: 1\nplugins:\n  - name: a\n    path: a.wasm\n    limits:\n      timeout: soon\n", 6, "plugins[0].limits.timeout", "not a positive duration"},
		{"missing path", "version: 1\nplugins:\n  - name: a\n    path: a.wasm\n  - name: b\n    config: {x: 1}\n", 5, "plugins[1].path", "is required"},
		{"duplicate name", "version: 1\nplugins:\n  - path: x/a.wasm\n  - path: y/a.wasm\n", 4, "plugins[1].name", "already the name of plugins[0]"},
		{"wrong version", "version: 2\nplugins:\n  - path: a.wasm\n", 1, "version", "reads manifest version 1"},
		{"no plugins", "version: 1\nplugins: []\n", 2, "plugins", "lists no plugins"},
		{"bad sha", "version: 1\nplugins:\n  - path: a.wasm\n    sha256: nope\n", 4, "plugins[0].sha256", "not 64 hex digits"},
		{"wrong type", "version: 1\nplugins:\n  - path: a.wasm\n    limits: {poolSize: many}\n", 4, "", "poolSize"},
		{"syntax", "version: 1\nplugins:\n  - path: [a.wasm\n", 3, "", ""},
		{"grant guest", "version: 1\nplugins:\n  - path: a.wasm\n    grants:\n      env: [SALT]\n      dirs:\n        - host: data\n          guest: data\n", 8, "plugins[0].grants.dirs[0].guest", "clean absolute path"},
		{"grant env name", "version: 1\nplugins:\n  - path: a.wasm\n    grants:\n      env: [SALT, 9LIVES]\n", 5, "plugins[0].grants.env[1]", "not an environment variable name"},
		{"path leaves the directory", "version: 1\nplugins:\n  - path: a.wasm\n  - path: plugins/../../../etc/passwd\n", 4, "plugins[1].path", `"plugins/../../../etc/passwd" leaves the manifest's root (its own directory)`},
		{"path leaves the root", "version: 1\nroot: ..\nplugins:\n  - path: ../../x.wasm\n", 4, "plugins[0].path", "leaves the manifest's root (root: ..)"},
		{"grant leaves the directory", "version: 1\nplugins:\n  - path: a.wasm\n    grants:\n      dirs:\n        - {host: ../secrets, guest: /data}\n", 6, "plugins[0].grants.dirs[0].host", `"../secrets" leaves the manifest's root`},
		{"absolute root", "version: 1\nroot: /\nplugins:\n  - path: a.wasm\n", 2, "root", "is absolute"},
		{"sha256 read as a number", "version: 1\nplugins:\n  - path: a.wasm\n    sha256: " + strings.Repeat("0", 64) + "\n", 4, "plugins[0].sha256",
			`is not text to YAML (it reads ` + strings.Repeat("0", 64) + ` as an integer); write the pin in quotes: sha256: "` + strings.Repeat("0", 64) + `"`},
		{"nested too deep", "version: 1\nplugins:\n  - path: a.wasm\n    config:\n      k: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", 5, "", "nested deeper than 128 levels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pipeline.LoadManifest(writeManifest(t, c.yaml))
			var me *pipeline.ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *ManifestError", err)
			}
			if me.Line != c.line || me.Field != c.field || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "pipeline.yaml:") {
				t.Fatalf("got line %d field %q: %v; want line %d field %q saying %q", me.Line, me.Field, err, c.line, c.field, c.says)
			}
		})
	}
}

// TestManifestPaths: relative paths stay in the manifest's root (its own
// directory unless root: widens it), through symbolic links too; absolute
// paths are taken as written; a quoted all-zero pin is text.
func TestManifestPaths(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	wasm := catalog.MustPath(t, "testdata/trivial")
	mustWrite := func(p string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(filepath.Join(dir, "build", "p.wasm"), bin)
	mustWrite(filepath.Join(outside, "secret.wasm"), bin)
	if err := os.MkdirAll(filepath.Join(dir, "team"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.wasm"), filepath.Join(dir, "team", "escape.wasm")); err != nil {
		t.Fatal(err)
	}
	mustWrite(filepath.Join(dir, "team", "build", "p.wasm"), bin)
	if err := os.Symlink(filepath.Join("build", "p.wasm"), filepath.Join(dir, "team", "inside.wasm")); err != nil {
		t.Fatal(err)
	}
	zeros := strings.Repeat("0", 64)
	for _, c := range []struct{ name, manifest, says string }{
		{"root widened", "version: 1\nroot: ..\nplugins:\n  - path: ../build/p.wasm\n", ""},
		{"absolute path", "version: 1\nplugins:\n  - path: " + wasm + "\n", ""},
		{"symlink inside the root", "version: 1\nplugins:\n  - path: inside.wasm\n", ""},
		{"symlink out of the root", "version: 1\nplugins:\n  - path: escape.wasm\n", `path "escape.wasm" resolves outside the manifest's root (its own directory) through a symbolic link`},
		{"quoted zero pin", "version: 1\nroot: ..\nplugins:\n  - path: ../build/p.wasm\n    sha256: \"" + zeros + "\"\n", "sha256 mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "team", "pipeline.yaml")
			mustWrite(path, []byte(c.manifest))
			m, err := pipeline.LoadManifest(path)
			if err != nil {
				t.Fatalf("LoadManifest: %v", err)
			}
			pl, err := pipeline.New(context.Background(), newRuntime(t), m)
			if err == nil {
				pl.Close(context.Background())
			}
			if c.says == "" && err != nil || c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)) {
				t.Fatalf("New: %v; want %q", err, c.says)
			}
		})
	}
}

func TestManifestConfigAndLimits(t *testing.T) {
	m, err := pipeline.ParseManifest([]byte(`version: 1
plugins:
  - name: cv
    path: plugins/cv.wasm
    config:
      mapping:
        tier: { variable: Tier, type: Text }
      list: [1, two]
    limits: { memoryMaxPages: 128, timeout: 750ms, maxOutputBytes: 4096, poolSize: 3, fuel: 250000 }
`), "inline.yaml", "/base")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := m.Plugins[0].Spec(m.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Path != filepath.Join("/base", "plugins", "cv.wasm") || spec.Limits.MemoryMaxPages != 128 || spec.Limits.Timeout.String() != "750ms" || spec.Limits.MaxOutputBytes != 4096 || spec.Limits.PoolSize != 3 || spec.Limits.Fuel != 250000 {
		t.Fatalf("spec = %+v", spec)
	}
	b, err := json.Marshal(spec.Config)
	if err != nil || string(b) != `{"list":[1,"two"],"mapping":{"tier":{"type":"Text","variable":"Tier"}}}` {
		t.Fatalf("config JSON = %s, %v", b, err)
	}
}

// TestManifestSchemaAgreesWithParser: manifests the parser accepts are valid
// against schemas/pipeline-manifest.schema.json, and ones it refuses are not.
func TestManifestSchemaAgreesWithParser(t *testing.T) {
	good := []string{
		"version: 1\nplugins:\n  - path: a.wasm\n",
		"version: 1\nplugins:\n  - name: cv\n    path: a.wasm\n    sha256: sha256:" + strings.Repeat("a", 64) + "\n    config: {x: [1]}\n    limits: {memoryMaxPages: 64, timeout: 1.5s, maxOutputBytes: 10, poolSize: 1, fuel: 1000}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {env: [SALT, _X1], dirs: [{host: data, guest: /data}, {host: /srv/ref, guest: /ref/v1}]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {}\n",
		"version: 1\nplugins:\n  - path: oci://ghcr.io/acme/endpoint:1.4.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"version: 1\nplugins:\n  - path: oci://localhost:5000/endpoint@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"version: 1\nallowUnpinnedTags: true\nplugins:\n  - path: oci://ghcr.io/acme/endpoint:latest\n",
	}
	bad := []string{
		"version: 2\nplugins:\n  - path: a.wasm\n",
		"version: 1\nplugins: []\n",
		"version: 1\nplugins:\n  - name: a\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    limits: {timeout: soon}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    limits: {fuel: -5}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    sha256: nope\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    extra: 1\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {env: [1SALT]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {env: [SALT, SALT]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {dirs: [{host: data, guest: data}]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {dirs: [{host: data, guest: /data/../etc}]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {dirs: [{host: data, guest: /}]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {dirs: [{guest: /data}]}\n",
		"version: 1\nplugins:\n  - path: a.wasm\n    grants: {network: true}\n",
		"version: 1\nplugins:\n  - path: oci://ghcr.io/acme/endpoint\n",
		"version: 1\nplugins:\n  - path: oci://ghcr.io/Acme/endpoint:1\n",
		"version: 1\nplugins:\n  - path: oci://ghcr.io/acme/endpoint@sha256:abc\n",
		"version: 1\nplugins:\n  - path: oci://user:pw@ghcr.io/acme/endpoint:1\n",
		"version: 1\nplugins:\n  - path: oci://endpoint:1\n",
		"version: 1\nallowUnpinnedTags: yes please\nplugins:\n  - path: a.wasm\n",
	}
	check := func(src string, wantValid bool) {
		_, perr := pipeline.ParseManifest([]byte(src), "m.yaml", "/")
		js, err := yaml.YAMLToJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		v, err := schemas.Validate(schemas.PipelineManifest, js)
		if err != nil {
			t.Fatal(err)
		}
		if (perr == nil) != wantValid || (len(v) == 0) != wantValid {
			t.Errorf("manifest %q: parser err %v, schema violations %v; want valid=%v from both", src, perr, v, wantValid)
		}
	}
	for _, s := range good {
		check(s, true)
	}
	for _, s := range bad {
		check(s, false)
	}
}

// A plugin that inserts an array element owns only that element: the
// variables it shifted keep their owners, so a bad value is blamed on the
// plugin that wrote it, not on the one that moved it.
func TestProvenanceFollowsShiftedArrayElements(t *testing.T) {
	pl := openPipeline(t, writeManifest(t, `version: 1
plugins:
  - name: context-vars
    path: `+catalog.MustPath(t, "context-vars")+`
  - name: prepend
    path: `+catalog.MustPath(t, "testdata/provenance/prepend")+`
    config: {variable: {name: first, type: Text, value: "1"}}
`))
	base := json.RawMessage(`{"variables":[{"name":"orderTier","type":"Text","value":"gold"}]}`)
	res, err := pl.Run(context.Background(), ctxAcme, base)
	if err != nil {
		t.Fatal(err)
	}
	var req struct{ Variables []struct{ Name string } }
	if err := json.Unmarshal(res.Request, &req); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range req.Variables {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != "first,orderTier,$Context.EndUserLanguage" {
		t.Fatalf("variables = %v, want first, orderTier, $Context.EndUserLanguage", names)
	}
	want := map[string]string{
		"/variables":         "prepend", // it changed the array
		"/variables/0":       "prepend",
		"/variables/0/value": "prepend",
		"/variables/1":       pipeline.BaseOwner, // shifted, not written
		"/variables/1/value": pipeline.BaseOwner,
		"/variables/2":       "context-vars",
		"/variables/2/value": "context-vars",
	}
	for ptr, owner := range want {
		if got := res.Provenance[ptr]; got != owner {
			t.Errorf("provenance[%q] = %q, want %q", ptr, got, owner)
		}
	}
}

// Grants in a manifest reach the plugin: a directory relative to the
// manifest and a variable of agentshape's environment; a variable that is
// not set stops the pipeline from opening, naming the manifest entry.
func TestManifestGrants(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "value.txt"), []byte("gold\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "pipeline.yaml")
	body := `version: 1
plugins:
  - name: reader
    path: ` + catalog.MustPath(t, "testdata/grants/reader") + `
    grants:
      env: [GRANT_TEST_VALUE]
      dirs:
        - {host: data, guest: /data}
`
	if err := os.WriteFile(manifest, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRANT_TEST_VALUE", "salt-from-env")
	res, err := openPipeline(t, manifest).Run(context.Background(), abi.Context{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"value":"salt-from-env"`, `"value":"gold"`} {
		if !strings.Contains(string(res.Request), want) {
			t.Errorf("request %s lacks %s", res.Request, want)
		}
	}
	os.Unsetenv("GRANT_TEST_VALUE")
	m, err := pipeline.LoadManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.New(context.Background(), newRuntime(t), m)
	if !errors.Is(err, plugin.ErrGrant) || !strings.Contains(err.Error(), "pipeline.yaml:3") || !strings.Contains(err.Error(), "GRANT_TEST_VALUE is not set") {
		t.Fatalf("err = %v, want ErrGrant at pipeline.yaml:3 naming GRANT_TEST_VALUE", err)
	}
}

// A manifest whose YAML aliases would expand a few hundred bytes into
// millions of nodes (in plugin config, which is encoded into every envelope)
// is refused before anything is decoded.
func TestManifestAliasBombRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nplugins:\n  - path: a.wasm\n    config:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 7; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "      a%d: &a%d [%s]\n", i, i, refs)
	}
	_, err := pipeline.ParseManifest([]byte(b.String()), "bomb.yaml", "/")
	var me *pipeline.ManifestError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "aliases") || !strings.Contains(err.Error(), "bomb.yaml") {
		t.Fatalf("err = %v, want a ManifestError about aliases", err)
	}
}

// TestTraceAgreesWithRun: Trace over the outputs each plugin gave, one call
// at a time, is the provenance Run records for the same run (what the
// conformance gate blames with and what `shape --explain` prints).
func TestTraceAgreesWithRun(t *testing.T) {
	pl := openPipeline(t, examplesManifest(t))
	ctx := context.Background()
	base := json.RawMessage(`{"bypassUser":true,"variables":[{"name":"keep","type":"Text","value":"x"}]}`)
	res, err := pl.Run(ctx, ctxAcme, base)
	if err != nil {
		t.Fatal(err)
	}
	var steps []pipeline.Step
	req := []byte(base)
	for _, p := range pl.Plugins() {
		out, err := p.Shape(ctx, ctxAcme, req)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, pipeline.Step{Plugin: p.Name(), Request: out})
		req = out
	}
	prov, err := pipeline.Trace(base, steps)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(prov) != fmt.Sprint(res.Provenance) {
		t.Fatalf("Trace = %v\nRun   = %v", prov, res.Provenance)
	}
	if prov["/variables/0/value"] != pipeline.BaseOwner || prov["/instanceConfig/endpoint"] != "endpoint" {
		t.Fatalf("provenance %v", prov)
	}
	if _, err := pipeline.Trace(base, []pipeline.Step{{Plugin: "bad", Request: json.RawMessage(`{`)}}); err == nil || !strings.Contains(err.Error(), "step 1 (bad)") {
		t.Fatalf("a step that is not JSON: %v", err)
	}
}

// TestManifestHostileInputs: the 60 KB manifest nesting 30,000
// levels (go-yaml took it to 15 GB) and a manifest over the size cap are
// refused before the YAML parser sees them, naming the file, the line and
// the limit.
func TestManifestHostileInputs(t *testing.T) {
	nested := "../../plugins/testdata/hostile-inputs/nested-manifest.yaml"
	_, err := pipeline.LoadManifest(nested)
	var me *pipeline.ManifestError
	if !errors.As(err, &me) || me.Line != 9 || !errors.Is(err, inputlimit.ErrTooDeep) ||
		!strings.HasPrefix(err.Error(), "manifest "+nested+":9: nested deeper than 128 levels") {
		t.Errorf("nested manifest: %v", err)
	}
	big := writeManifest(t, "version: 1\nplugins:\n  - path: a.wasm\n"+strings.Repeat("# padding\n", inputlimit.MaxYAMLBytes/10))
	_, err = pipeline.LoadManifest(big)
	if !errors.As(err, &me) || !errors.Is(err, inputlimit.ErrTooLarge) || !strings.Contains(err.Error(), big+": exceeds 65536 bytes (64 KiB)") {
		t.Errorf("big manifest: %v", err)
	}
}
