package ociplugin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/testfs"
	"github.com/agentshape/agentshape/internal/testnet"
)

var info = ociplugin.Info{ABIVersion: 1, Kind: "reactor", Title: "timezone.wasm"}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	pusher := newClient(t, ociplugin.Options{})
	ref := reg.host + "/team/timezone:1.0.0"
	pushed, err := pusher.Push(ctx, ref, mod, info)
	if err != nil {
		t.Fatal(err)
	}
	if pushed.SHA256 != hexSum(mod) || pushed.Ref.Digest == "" || pushed.Ref.Tag != "1.0.0" {
		t.Fatalf("pushed %+v", pushed)
	}
	// The same module pushed again is the same manifest: pins stay valid.
	again, err := pusher.Push(ctx, reg.host+"/team/timezone:latest", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ref.Digest != pushed.Ref.Digest {
		t.Fatalf("pushing the same module twice gave %s then %s", pushed.Ref.Digest, again.Ref.Digest)
	}

	puller := newClient(t, ociplugin.Options{})
	m, err := puller.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{SHA256: "sha256:" + hexSum(mod)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(m.Path)
	if err != nil || !bytes.Equal(got, mod) {
		t.Fatalf("pulled module differs from the pushed one (%v)", err)
	}
	if m.Cached {
		t.Fatal("the first pull says it came from the cache")
	}
	for k, want := range map[string]string{ociplugin.AnnotationABIVersion: "1", ociplugin.AnnotationKind: "reactor", ociplugin.AnnotationSHA256: hexSum(mod)} {
		if m.Annotations[k] != want {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], want)
		}
	}
	// The registry holds the WebAssembly artifact layout.
	mb := manifestBytes(t, puller, m)
	var man struct {
		Config struct{ MediaType string }   `json:"config"`
		Layers []struct{ MediaType string } `json:"layers"`
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	if man.Config.MediaType != ociplugin.ConfigMediaType || len(man.Layers) != 1 || man.Layers[0].MediaType != ociplugin.LayerMediaType {
		t.Fatalf("manifest %s", mb)
	}

	// A second pull needs no network: the registry is gone.
	reg.resetLog()
	m2, err := puller.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m2.Cached || m2.Path != m.Path || len(reg.requests()) != 0 {
		t.Fatalf("second pull: cached=%v, requests %v", m2.Cached, reg.requests())
	}
}

// manifestBytes reads the cached manifest of a pulled module.
func manifestBytes(t *testing.T, c *ociplugin.Client, m *ociplugin.Module) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.CacheDir(), "blobs", "sha256", strings.TrimPrefix(m.Ref.Digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOffline(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	cache := t.TempDir()
	pushed, err := newClient(t, ociplugin.Options{CacheDir: t.TempDir()}).Push(ctx, reg.host+"/team/tz:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	offline := newClient(t, ociplugin.Options{CacheDir: cache, Offline: true})
	reg.resetLog()
	_, err = offline.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrNotCached) || !strings.Contains(err.Error(), "without --offline") {
		t.Fatalf("offline pull of an uncached module: %v, want ErrNotCached saying what to do", err)
	}
	if len(reg.requests()) != 0 {
		t.Fatalf("offline pull talked to the registry: %v", reg.requests())
	}
	online := newClient(t, ociplugin.Options{CacheDir: cache})
	if _, err := online.Pull(ctx, reg.host+"/team/tz:1", ociplugin.PullOptions{AllowTag: true}); err != nil {
		t.Fatal(err)
	}
	reg.resetLog()
	for _, ref := range []string{pushed.Ref.URI(), reg.host + "/team/tz:1"} {
		m, err := offline.Pull(ctx, ref, ociplugin.PullOptions{AllowTag: true})
		if err != nil || !m.Cached {
			t.Fatalf("offline pull of %s after an online pull: %v", ref, err)
		}
	}
	if len(reg.requests()) != 0 {
		t.Fatalf("offline pulls talked to the registry: %v", reg.requests())
	}
}

// A tag without a digest is refused, and the message prints the digest to
// pin; the manifest may opt in to following the tag.
func TestTagWithoutDigest(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	c := newClient(t, ociplugin.Options{})
	pushed, err := c.Push(ctx, reg.host+"/team/tz:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Pull(ctx, "oci://"+reg.host+"/team/tz:1", ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrUnpinned) || !strings.Contains(err.Error(), "path: "+pushed.Ref.URI()) {
		t.Fatalf("tag without digest: %v\nwant ErrUnpinned printing path: %s", err, pushed.Ref.URI())
	}
	m, err := c.Pull(ctx, "oci://"+reg.host+"/team/tz:1", ociplugin.PullOptions{AllowTag: true})
	if err != nil || m.Ref.Digest != pushed.Ref.Digest {
		t.Fatalf("opted-in tag: %v, %+v", err, m)
	}
	// A digest alone works as well as tag@digest.
	if _, err := c.Pull(ctx, "oci://"+reg.host+"/team/tz@"+pushed.Ref.Digest, ociplugin.PullOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPinMismatch(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	c := newClient(t, ociplugin.Options{})
	pushed, err := c.Push(ctx, reg.host+"/team/tz:1", pluginBytes(t, "timezone.wasm"), info)
	if err != nil {
		t.Fatal(err)
	}
	other := hexSum([]byte("another module"))
	_, err = c.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{SHA256: other})
	if !errors.Is(err, ociplugin.ErrPinMismatch) || !strings.Contains(err.Error(), other) {
		t.Fatalf("pin mismatch: %v", err)
	}
}

// Every refused artifact ends in a typed error and leaves nothing in the
// cache, not even a temporary file.
func TestRefusedArtifactsLeaveNothing(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	wasmCfg := blob{mediaType: ociplugin.ConfigMediaType, data: []byte(`{"architecture":"wasm","os":"wasip1"}`)}
	cases := []struct {
		name string
		push func() string // returns the reference
		opts ociplugin.Options
		want error
	}{
		{"container image", func() string {
			d := pushRaw(t, reg.host, "team/image", "1",
				blob{mediaType: "application/vnd.oci.image.config.v1+json", data: []byte(`{"architecture":"amd64","os":"linux"}`)},
				blob{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", data: []byte("not a tarball")})
			return reg.host + "/team/image@" + d
		}, ociplugin.Options{}, ociplugin.ErrNotPlugin},
		{"wasm media type, not wasm bytes", func() string {
			d := pushRaw(t, reg.host, "team/fake", "1", wasmCfg, blob{mediaType: ociplugin.LayerMediaType, data: []byte("#!/bin/sh\necho not wasm\n")})
			return reg.host + "/team/fake@" + d
		}, ociplugin.Options{}, ociplugin.ErrNotPlugin},
		{"two layers", func() string {
			d := pushRaw(t, reg.host, "team/two", "1", wasmCfg, blob{mediaType: ociplugin.LayerMediaType, data: mod}, blob{mediaType: ociplugin.LayerMediaType, data: mod[:100]})
			return reg.host + "/team/two@" + d
		}, ociplugin.Options{}, ociplugin.ErrNotPlugin},
		{"huge module announced", func() string {
			d := pushRaw(t, reg.host, "team/huge", "1", wasmCfg, blob{mediaType: ociplugin.LayerMediaType, data: mod, size: 1 << 40})
			return reg.host + "/team/huge@" + d
		}, ociplugin.Options{}, ociplugin.ErrTooLarge},
		{"module over a lowered limit", func() string {
			d := pushRaw(t, reg.host, "team/big", "1", wasmCfg, blob{mediaType: ociplugin.LayerMediaType, data: mod})
			return reg.host + "/team/big@" + d
		}, ociplugin.Options{MaxModuleBytes: 1024}, ociplugin.ErrTooLarge},
		{"manifest over the limit", func() string {
			d := pushRaw(t, reg.host, "team/bigman", "1", wasmCfg, blob{mediaType: ociplugin.LayerMediaType, data: mod})
			return reg.host + "/team/bigman@" + d
		}, ociplugin.Options{MaxManifestBytes: 100}, ociplugin.ErrTooLarge},
		{"wrong digest", func() string {
			return reg.host + "/team/tz@sha256:" + hexSum([]byte("no such manifest"))
		}, ociplugin.Options{}, ociplugin.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.push()
			reg.resetLog()
			c := newClient(t, tc.opts)
			_, err := c.Pull(ctx, ref, ociplugin.PullOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("pull: %v, want %v", err, tc.want)
			}
			var oe *ociplugin.Error
			if !errors.As(err, &oe) || oe.Ref != ref {
				t.Fatalf("not an *ociplugin.Error naming the reference: %#v", err)
			}
			if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
				t.Fatalf("refused artifact left %v in the cache", files)
			}
			if tc.want == ociplugin.ErrTooLarge {
				for _, r := range reg.requests() {
					if strings.Contains(r, "/blobs/") {
						t.Fatalf("an artifact over the limit was downloaded: %v", reg.requests())
					}
				}
			}
		})
	}
}

// Faults of the registry: each a typed error, nothing cached.
func TestRegistryFaults(t *testing.T) {
	ctx := context.Background()
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	pushed, err := newClient(t, ociplugin.Options{}).Push(ctx, reg.host+"/team/tz:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	blobs := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/blobs/") }
	cases := []struct {
		name string
		hook func(w http.ResponseWriter, r *http.Request) bool
		opts ociplugin.Options
		want error
	}{
		{"5xx", func(w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}, ociplugin.Options{Retries: 1}, ociplugin.ErrRegistry},
		{"slow", func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return true
		}, ociplugin.Options{Timeout: 300 * time.Millisecond, Retries: -1}, ociplugin.ErrTimeout},
		{"tampered module", func(w http.ResponseWriter, r *http.Request) bool {
			if !blobs(r) {
				return false
			}
			evil := bytes.Clone(mod)
			evil[len(evil)-1] ^= 0xff
			w.Header().Set("Content-Length", fmt.Sprint(len(evil)))
			w.Write(evil)
			return true
		}, ociplugin.Options{}, ociplugin.ErrDigestMismatch},
		{"truncated module", func(w http.ResponseWriter, r *http.Request) bool {
			if !blobs(r) {
				return false
			}
			w.Write(mod[:len(mod)/2])
			return true
		}, ociplugin.Options{Retries: -1}, ociplugin.ErrDigestMismatch},
		{"tampered manifest", func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.Contains(r.URL.Path, "/manifests/") {
				return false
			}
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`))
			return true
		}, ociplugin.Options{}, ociplugin.ErrDigestMismatch},
		{"unauthorized", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}, ociplugin.Options{}, ociplugin.ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg.setHook(tc.hook)
			defer reg.setHook(nil)
			c := newClient(t, tc.opts)
			_, err := c.Pull(ctx, pushed.Ref.URI(), ociplugin.PullOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("pull: %v, want %v", err, tc.want)
			}
			if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
				t.Fatalf("a failed pull left %v in the cache", files)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	c := newClient(t, ociplugin.Options{Retries: -1})
	ref := testnet.ClosedAddr(t) + "/team/tz@sha256:" + hexSum([]byte("x"))
	_, err := c.Pull(context.Background(), ref, ociplugin.PullOptions{})
	if !errors.Is(err, ociplugin.ErrUnreachable) || !strings.Contains(err.Error(), "--offline") {
		t.Fatalf("unreachable registry: %v", err)
	}
	if files := testfs.Files(t, c.CacheDir()); len(files) != 0 {
		t.Fatalf("left %v", files)
	}
}

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	good := map[string]ociplugin.Ref{
		"oci://ghcr.io/acme/endpoint:1.2.0@" + d: {Registry: "ghcr.io", Repository: "acme/endpoint", Tag: "1.2.0", Digest: d},
		"localhost:5000/p@" + d:                  {Registry: "localhost:5000", Repository: "p", Digest: d},
		"reg.example/a/b/c:v1":                   {Registry: "reg.example", Repository: "a/b/c", Tag: "v1"},
	}
	for s, want := range good {
		got, err := ociplugin.ParseRef(s)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{
		"oci://", "noregistry", "reg.example/", "reg.example/Upper:1",
		"reg.example/p@sha512:" + strings.Repeat("ab", 64), "reg.example/p@sha256:abc",
		"user:secret@reg.example/p:1", "reg.example/p:",
	} {
		_, err := ociplugin.ParseRef(s)
		if !errors.Is(err, ociplugin.ErrBadReference) {
			t.Errorf("ParseRef(%q): %v, want ErrBadReference", s, err)
		}
		if strings.Contains(fmt.Sprint(err), "secret") {
			t.Errorf("ParseRef(%q) error repeats the password: %v", s, err)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for h, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:5000": true, "127.8.9.1": true, "[::1]:5000": true, "LOCALHOST": true,
		"ghcr.io": false, "10.0.0.1:5000": false, "localhost.evil.example": false, "[::2]:1": false,
	} {
		if got := ociplugin.IsLoopback(h); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", h, got, want)
		}
	}
}
