package ociplugin_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

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

// faultProxy puts a reverse proxy on a loopback port in front of the real
// registry; fault, when it returns true, answers a request instead.
func faultProxy(t *testing.T, registryHost string, fault func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	target, _ := url.Parse("http://" + registryHost)
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fault(w, r) {
			forward.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Every fault of the issue, against the real registry: each ends in a
// typed error and leaves the cache empty.
func TestDistributionFaults(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.Start(t, testregistry.Options{})
	mod := pluginBytes(t, "session-key-as.wasm")
	pushed, err := newClient(t, ociplugin.Options{}).Push(ctx, reg.Host+"/platform/p:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	notWasm := pushRaw(t, reg.Host, "platform/image", "1",
		blob{mediaType: "application/vnd.oci.image.config.v1+json", data: []byte(`{"architecture":"amd64","os":"linux"}`)},
		blob{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", data: []byte("layer bytes")})
	wasmTypedText := pushRaw(t, reg.Host, "platform/text", "1", blob{mediaType: ociplugin.ConfigMediaType, data: []byte(`{}`)},
		blob{mediaType: ociplugin.LayerMediaType, data: []byte("this is not a WebAssembly module")})
	blobs := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/blobs/") }
	none := func(http.ResponseWriter, *http.Request) bool { return false }
	cases := []struct {
		name  string
		ref   string // path after the host
		fault func(w http.ResponseWriter, r *http.Request) bool
		opts  ociplugin.Options
		want  error
	}{
		{"wrong digest", "platform/p@sha256:" + strings.Repeat("e", 64), none, ociplugin.Options{}, ociplugin.ErrNotFound},
		{"slow", "platform/p@" + pushed.Ref.Digest, func(w http.ResponseWriter, r *http.Request) bool {
			if !blobs(r) {
				return false
			}
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return true
		}, ociplugin.Options{Timeout: 400 * time.Millisecond}, ociplugin.ErrTimeout},
		{"5xx", "platform/p@" + pushed.Ref.Digest, func(w http.ResponseWriter, r *http.Request) bool {
			if !blobs(r) {
				return false
			}
			http.Error(w, "upstream storage failed", http.StatusBadGateway)
			return true
		}, ociplugin.Options{Retries: 2}, ociplugin.ErrRegistry},
		{"container image", "platform/image@" + notWasm, none, ociplugin.Options{}, ociplugin.ErrNotPlugin},
		{"text with a wasm media type", "platform/text@" + wasmTypedText, none, ociplugin.Options{}, ociplugin.ErrNotPlugin},
		{"module over the limit", "platform/p@" + pushed.Ref.Digest, none, ociplugin.Options{MaxModuleBytes: 1000}, ociplugin.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := faultProxy(t, reg.Host, tc.fault)
			c := newClient(t, tc.opts)
			_, err := c.Pull(ctx, host+"/"+tc.ref, ociplugin.PullOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("pull: %v, want %v", err, tc.want)
			}
			if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
				t.Fatalf("left %v in the cache", files)
			}
		})
	}
}
