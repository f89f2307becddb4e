package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/inspect"
	"github.com/agentshape/agentshape/internal/testregistry"
	"github.com/agentshape/agentshape/plugins/catalog"
)

// registryWith starts go-containerregistry's in-process registry on a
// loopback listener, pushes the built plugin name to REPO:1 and returns the
// pinned reference and the module's sha256.
func registryWith(t *testing.T, name string) (ref ociplugin.Ref, sha string) {
	t.Helper()
	host, _ := testregistry.InProcess(t, nil)
	bin, err := os.ReadFile(catalog.MustPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(context.Background(), bin, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := newOCIClient(t, false).Push(context.Background(), host+"/team/"+name+":1", bin, ociplugin.Info{ABIVersion: rep.ABIVersion, Kind: rep.Kind})
	if err != nil {
		t.Fatal(err)
	}
	return pushed.Ref, pushed.SHA256
}

func newOCIClient(t *testing.T, offline bool) *ociplugin.Client {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ociplugin.New(ociplugin.Options{CacheDir: t.TempDir(), RegistryConfig: cfg, Offline: offline})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegistryPluginShapes(t *testing.T) {
	ctx := context.Background()
	ref, sha := registryWith(t, "timezone")
	path := writeManifest(t, "version: 1\nplugins:\n  - path: "+ref.URI()+"\n    sha256: \""+sha+"\"\n")
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Plugins[0].Name != "timezone" {
		t.Fatalf("default name %q, want the repository's last element, timezone", m.Plugins[0].Name)
	}
	if _, err := pipeline.New(ctx, newRuntime(t), m); err == nil || !strings.Contains(err.Error(), "ResolveRemote") {
		t.Fatalf("New on an unresolved registry plugin: %v", err)
	}
	if err := m.ResolveRemote(ctx, newOCIClient(t, false)); err != nil {
		t.Fatal(err)
	}
	spec, err := m.Plugins[0].Spec(m.Dir)
	if err != nil || spec.SHA256 != sha {
		t.Fatalf("spec %+v, %v: want the module pinned to %s", spec, err, sha)
	}
	pl, err := pipeline.New(ctx, newRuntime(t), m)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close(ctx)
	c := ctxAcme
	c.User.Timezone = "Europe/Berlin"
	res, err := pl.Run(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provenance["/tz"] != "timezone" || !strings.Contains(string(res.Request), `"Europe/Berlin"`) {
		t.Fatalf("the registry plugin did not shape tz: %s %v", res.Request, res.Provenance)
	}
}

// The entry's own sha256 pin and the digest must name the same module: a
// mismatch is refused before anything is compiled, naming the entry.
func TestRegistryPluginPinMismatch(t *testing.T) {
	ref, _ := registryWith(t, "timezone")
	path := writeManifest(t, "version: 1\nplugins:\n  - path: "+ref.URI()+"\n    sha256: sha256:"+strings.Repeat("0", 64)+"\n")
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	err = m.ResolveRemote(context.Background(), newOCIClient(t, false))
	if !errors.Is(err, ociplugin.ErrPinMismatch) || !strings.Contains(err.Error(), path+":3: plugins[0] (timezone)") {
		t.Fatalf("pin mismatch: %v", err)
	}
}

// A tag without a digest is refused with the digest to pin, unless the
// manifest opts in.
func TestRegistryPluginTagNeedsOptIn(t *testing.T) {
	ref, _ := registryWith(t, "timezone")
	tagOnly := ref
	tagOnly.Digest = ""
	path := writeManifest(t, "version: 1\nplugins:\n  - path: "+tagOnly.URI()+"\n")
	m, err := pipeline.LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	err = m.ResolveRemote(context.Background(), newOCIClient(t, false))
	if !errors.Is(err, ociplugin.ErrUnpinned) || !strings.Contains(err.Error(), "path: "+ref.URI()) {
		t.Fatalf("tag without digest: %v\nwant the digest to pin: %s", err, ref.URI())
	}
	m, err = pipeline.LoadManifest(writeManifest(t, "version: 1\nallowUnpinnedTags: true\nplugins:\n  - path: "+tagOnly.URI()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ResolveRemote(context.Background(), newOCIClient(t, false)); err != nil {
		t.Fatalf("opted-in tag: %v", err)
	}
}

// A damaged cached module is caught by the load's pin, before it is
// compiled.
func TestRegistryPluginDamagedCacheCaughtAtLoad(t *testing.T) {
	ctx := context.Background()
	ref, _ := registryWith(t, "timezone")
	m, err := pipeline.LoadManifest(writeManifest(t, "version: 1\nplugins:\n  - path: "+ref.URI()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ResolveRemote(ctx, newOCIClient(t, false)); err != nil {
		t.Fatal(err)
	}
	spec, _ := m.Plugins[0].Spec(m.Dir)
	bin, _ := os.ReadFile(spec.Path)
	bin[len(bin)-1] ^= 1
	if err := os.WriteFile(spec.Path, bin, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.New(ctx, newRuntime(t), m)
	if !errors.Is(err, plugin.ErrHashMismatch) {
		t.Fatalf("damaged cached module: %v, want ErrHashMismatch", err)
	}
}
