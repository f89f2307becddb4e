package ociplugin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/testfs"
	"github.com/agentshape/agentshape/internal/testregistry"
)

// Against the real thing: Debian's docker-registry (CNCF distribution).

func TestDistributionRoundTrip(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{})
	mod := pluginBytes(t, "session-key-as.wasm")
	pushed, err := newClient(t, ociplugin.Options{}).Push(ctx, reg.Host+"/platform/session-key:2.0.0", mod, ociplugin.Info{ABIVersion: 1, Kind: "reactor"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ociplugin.Options{})
	m, err := c.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{SHA256: hexSum(mod)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(m.Path)
	if !bytes.Equal(got, mod) {
		t.Fatal("the pulled module differs from the pushed one")
	}
	// The tag, followed where the manifest allows it.
	m, err = c.Pull(ctx, reg.Host+"/platform/session-key:2.0.0", ociplugin.PullOptions{AllowTag: true})
	if err != nil || m.Ref.Digest != pushed.Ref.Digest {
		t.Fatalf("pull by tag: %v %+v", err, m)
	}
}

// A blob damaged in the registry's own storage is caught, and nothing of it
// is cached.
func TestDistributionTamperedBlob(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{})
	mod := pluginBytes(t, "session-key-as.wasm")
	pushed, err := newClient(t, ociplugin.Options{}).Push(ctx, reg.Host+"/platform/session-key:1", mod, ociplugin.Info{ABIVersion: 1, Kind: "reactor"})
	if err != nil {
		t.Fatal(err)
	}
	evil := bytes.Clone(mod)
	evil[len(evil)/2] ^= 0x01 // same size, one bit changed
	if err := os.WriteFile(reg.BlobPath(pushed.SHA256), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ociplugin.Options{})
	_, err = c.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrDigestMismatch) {
		t.Fatalf("tampered blob: %v, want ErrDigestMismatch", err)
	}
	if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
		t.Fatalf("a tampered blob left %v in the cache", files)
	}
}

// Basic authentication (htpasswd) on the real registry, credentials from a
// Docker config.json.
func TestDistributionAuth(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{Htpasswd: testUser + ":" + testPasswordBcrypt + "\n"})
	mod := pluginBytes(t, "session-key-as.wasm")
	_, err := newClient(t, ociplugin.Options{}).Push(ctx, reg.Host+"/platform/p:1", mod, info)
	if !errors.Is(err, ociplugin.ErrUnauthorized) {
		t.Fatalf("push without credentials: %v, want ErrUnauthorized", err)
	}
	cfg := writeConfig(t, basicAuths(reg.Host, testUser, testPassword))
	pushed, err := newClient(t, ociplugin.Options{RegistryConfig: cfg}).Push(ctx, reg.Host+"/platform/p:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, ociplugin.Options{RegistryConfig: writeConfig(t, basicAuths(reg.Host, testUser, "not-the-Pa55word"))}).Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrUnauthorized) || strings.Contains(err.Error(), "not-the-Pa55word") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := newClient(t, ociplugin.Options{RegistryConfig: cfg}).Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A manifest that announces a huge module is refused before the module is
// requested.
func TestDistributionHugeArtifact(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{})
	mod := pluginBytes(t, "session-key-as.wasm")
	d := pushRaw(t, reg.Host, "platform/huge", "1", blob{mediaType: ociplugin.ConfigMediaType, data: []byte(`{}`)},
		blob{mediaType: ociplugin.LayerMediaType, data: mod, size: 1 << 40})
	c := newClient(t, ociplugin.Options{})
	_, err := c.Pull(ctx, reg.Host+"/platform/huge@"+d, ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrTooLarge) {
		t.Fatalf("huge module: %v, want ErrTooLarge", err)
	}
	if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
		t.Fatalf("left %v", files)
	}
}
