package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
