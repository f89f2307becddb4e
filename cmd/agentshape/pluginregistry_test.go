package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/internal/testfs"
	"github.com/agentshape/agentshape/internal/testregistry"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// registryArgs are the registry flags of a test: its own plugin cache and
// no credentials from the machine.
func registryArgs(t *testing.T) (args []string, cache string) {
	t.Helper()
	cache = t.TempDir()
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--plugin-cache", cache, "--registry-config", cfg}, cache
}

var digestLine = regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`)

// pushPlugin pushes a built plugin with the CLI and returns its digest.
func pushPlugin(t *testing.T, host, plugin, ref string) string {
	t.Helper()
	args, _ := registryArgs(t)
	code, out, errOut := runShapeCLI(t, append([]string{"plugin", "push", "--cache-dir", shapeCacheDir, catalog.MustPath(t, plugin), host + "/" + ref}, args...)...)
	if code != exitOK || !digestLine.MatchString(out) {
		t.Fatalf("plugin push: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	return strings.TrimSpace(out)
}

func TestPluginPushPullInspect(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.Options{})
	digest := pushPlugin(t, reg.Host, "timezone", "team/timezone:1.0.0")
	mod, err := os.ReadFile(catalog.MustPath(t, "timezone"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mod)
	pinned := "oci://" + reg.Host + "/team/timezone:1.0.0@" + digest

	args, cache := registryArgs(t)
	outFile := filepath.Join(t.TempDir(), "tz.wasm")
	code, out, errOut := runShapeCLI(t, append([]string{"plugin", "pull", reg.Host + "/team/timezone:1.0.0", "-o", outFile}, args...)...)
	if code != exitOK {
		t.Fatalf("plugin pull: exit %d, stderr %s", code, errOut)
	}
	if want := "path: " + pinned + "\nsha256: " + hex.EncodeToString(sum[:]) + "\n"; out != want {
		t.Fatalf("plugin pull printed\n%s\nwant\n%s", out, want)
	}
	if got, _ := os.ReadFile(outFile); !bytes.Equal(got, mod) {
		t.Fatal("-o wrote other bytes than the pushed module")
	}

	// Offline, from the cache the pull filled.
	code, out, errOut = runShapeCLI(t, append([]string{"plugin", "inspect", "--offline", "--cache-dir", shapeCacheDir, pinned}, args...)...)
	if code != exitOK || !strings.Contains(out, "file     "+pinned) || !strings.Contains(out, "verdict: the host accepts this plugin") {
		t.Fatalf("plugin inspect REF: exit %d, stdout %s, stderr %s", code, out, errOut)
	}

	// Offline, a digest never pulled: a clear error, nothing cached.
	other := "oci://" + reg.Host + "/team/timezone@sha256:" + strings.Repeat("0", 64)
	before := testfs.Files(t, cache)
	code, _, errOut = runShapeCLI(t, append([]string{"plugin", "pull", "--offline", other}, args...)...)
	if code != exitFailure || !strings.Contains(errOut, "offline") || !strings.Contains(errOut, "not in the plugin cache") {
		t.Fatalf("offline pull of an uncached digest: exit %d, stderr %s", code, errOut)
	}
	if after := testfs.Files(t, cache); len(after) != len(before) {
		t.Fatalf("a failed pull changed the cache: %v -> %v", before, after)
	}
}

func TestPluginPushRefusesWhatTheHostRefuses(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.Options{})
	args, _ := registryArgs(t)
	bad := catalog.MustPath(t, "testdata/hostile/unknown-import")
	code, out, errOut := runShapeCLI(t, append([]string{"plugin", "push", bad, reg.Host + "/team/bad:1"}, args...)...)
	if code != exitFailure || out != "" || !strings.Contains(errOut, "not pushed") {
		t.Fatalf("push of a refused module: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	code, _, errOut = runShapeCLI(t, append([]string{"plugin", "push", catalog.MustPath(t, "timezone"), reg.Host + "/team/tz@sha256:" + strings.Repeat("0", 64)}, args...)...)
	if code != exitUsage || !strings.Contains(errOut, "names a tag") {
		t.Fatalf("push to a digest: exit %d, stderr %s", code, errOut)
	}
}

// The round trip on a real registry: a team pushes its plugins, a
// pipeline names them by digest, shape and the gate resolve them; then the
// registry goes away and the pipeline still runs from the plugin cache.
func TestRegistryPushPullShapeGate(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.Options{})
	endpoint := pushPlugin(t, reg.Host, "endpoint", "platform/endpoint:1.4.0")
	tz := pushPlugin(t, reg.Host, "timezone", "platform/timezone:2.0.0")
	manifest := writeShapeFile(t, "pipeline.yaml", `version: 1
plugins:
  - path: oci://`+reg.Host+`/platform/endpoint:1.4.0@`+endpoint+`
  - path: oci://`+reg.Host+`/platform/timezone:2.0.0@`+tz+`
`)
	ctxFile := writeShapeFile(t, "ctx.json", `{"agentId":"0XxAA0000000001AAA","org":{"myDomain":"acme"},"user":{"timezone":"Europe/Berlin"}}`)
	base := writeShapeFile(t, "base.json", `{"bypassUser":false,"externalSessionKey":"3f2c8a8e-5a5e-4c1b-9d3e-7c1f0e2b9a11"}`)
	args, _ := registryArgs(t)
	shape := func(extra ...string) (int, string, string) {
		return runShapeCLI(t, append(append([]string{"shape", "-m", manifest, "-c", ctxFile, "-r", base, "--explain", "--deterministic", "--cache-dir", shapeCacheDir}, args...), extra...)...)
	}
	code, out, errOut := shape()
	if code != exitOK {
		t.Fatalf("shape: exit %d, stderr %s", code, errOut)
	}
	var ex struct {
		Provenance map[string]string `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Provenance["/instanceConfig/endpoint"] != "endpoint" || ex.Provenance["/tz"] != "timezone" {
		t.Fatalf("provenance %v: want the registry plugins named after their repositories", ex.Provenance)
	}

	code, out, errOut = runShapeCLI(t, append([]string{"conformance", "-q", "--manifest", manifest, "--cases", "3", "--cache-dir", shapeCacheDir, "--repro-dir", t.TempDir()}, args...)...)
	if code != exitOK {
		t.Fatalf("conformance: exit %d\n%s\n%s", code, out, errOut)
	}

	reg.Stop()
	for _, extra := range [][]string{nil, {"--offline"}} {
		if code, _, errOut := shape(extra...); code != exitOK {
			t.Fatalf("shape %v with the registry gone: exit %d, stderr %s", extra, code, errOut)
		}
	}
	// start, against the embedded emulator, from the cache.
	startCtx := writeShapeFile(t, "start-ctx.json", `{"agentId":"0XxAA0000000001AAA","user":{"timezone":"Europe/Berlin"}}`)
	code, out, errOut = runShapeCLI(t, append([]string{"start", "-m", manifest, "-c", startCtx, "-r", base, "--offline", "--cache-dir", shapeCacheDir}, args...)...)
	if code != exitOK || !strings.Contains(out, `"output": "200"`) {
		t.Fatalf("start --offline: exit %d, stdout %s, stderr %s", code, out, errOut)
	}
	// Another machine, offline, with nothing cached: a clear error, and
	// nothing half-written.
	other := t.TempDir()
	code, _, errOut = runShapeCLI(t, "shape", "-m", manifest, "-c", ctxFile, "--offline", "--plugin-cache", other, "--registry-config", args[3])
	if code != exitFailure || !strings.Contains(errOut, "plugins[0] (endpoint)") || !strings.Contains(errOut, "not in the plugin cache") {
		t.Fatalf("offline, empty cache: exit %d, stderr %s", code, errOut)
	}
	if files := testfs.Files(t, other); len(files) != 0 {
		t.Fatalf("left %v in the cache", files)
	}
}

// A manifest naming a tag without a digest is refused with the digest to
// pin; allowUnpinnedTags follows the tag.
func TestRegistryTagWithoutDigest(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.Options{})
	digest := pushPlugin(t, reg.Host, "timezone", "platform/timezone:2.0.0")
	ctxFile := writeShapeFile(t, "ctx.json", `{"agentId":"0XxAA0000000001AAA","org":{"myDomain":"acme"},"user":{"timezone":"Europe/Berlin"}}`)
	args, _ := registryArgs(t)
	unpinned := writeShapeFile(t, "pipeline.yaml", "version: 1\nplugins:\n  - path: oci://"+reg.Host+"/platform/timezone:2.0.0\n")
	code, _, errOut := runShapeCLI(t, append([]string{"shape", "-m", unpinned, "-c", ctxFile, "--cache-dir", shapeCacheDir}, args...)...)
	if want := "path: oci://" + reg.Host + "/platform/timezone:2.0.0@" + digest; code != exitUsage || !strings.Contains(errOut, want) {
		t.Fatalf("unpinned tag: exit %d, stderr %s\nwant exit 2 and %q", code, errOut, want)
	}
	optIn := writeShapeFile(t, "pipeline.yaml", "version: 1\nallowUnpinnedTags: true\nplugins:\n  - path: oci://"+reg.Host+"/platform/timezone:2.0.0\n")
	code, out, errOut := runShapeCLI(t, append([]string{"shape", "-m", optIn, "-c", ctxFile, "--cache-dir", shapeCacheDir}, args...)...)
	if code != exitOK && code != exitInvalid || !strings.Contains(out, "Europe/Berlin") {
		t.Fatalf("opted-in tag: exit %d, stdout %s, stderr %s", code, out, errOut)
	}
}

// A module changed in the registry's storage after it was pushed: shape
// refuses it before compiling anything, names the entry, and caches nothing.
func TestRegistryShapeRefusesTamperedModule(t *testing.T) {
	t.Parallel()
	reg := testregistry.Start(t, testregistry.Options{})
	digest := pushPlugin(t, reg.Host, "timezone", "platform/timezone:2.0.0")
	mod, err := os.ReadFile(catalog.MustPath(t, "timezone"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mod)
	evil := bytes.Clone(mod)
	evil[len(evil)/2] ^= 0x80
	if err := os.WriteFile(reg.BlobPath(hex.EncodeToString(sum[:])), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := writeShapeFile(t, "pipeline.yaml", "version: 1\nplugins:\n  - path: oci://"+reg.Host+"/platform/timezone:2.0.0@"+digest+"\n")
	ctxFile := writeShapeFile(t, "ctx.json", shapeContext)
	args, cache := registryArgs(t)
	code, out, errOut := runShapeCLI(t, append([]string{"shape", "-m", manifest, "-c", ctxFile, "--cache-dir", shapeCacheDir}, args...)...)
	if code != exitFailure || out != "" || !strings.Contains(errOut, "plugins[0] (timezone)") || !strings.Contains(errOut, "does not match") {
		t.Fatalf("tampered module: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if files := testfs.Files(t, cache); len(files) != 0 {
		t.Fatalf("left %v in the plugin cache", files)
	}
}
