package ociplugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/internal/testregistry"
)

// pluginBytes reads a built plugin (make plugins).
func pluginBytes(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "plugins", "build", name))
	if err != nil {
		t.Fatalf("%v (run `make plugins`)", err)
	}
	return b
}

// fakeRegistry is go-containerregistry's in-process registry on a real
// loopback listener, with a hook in front of it to inject faults and a log
// of the requests it saw.
type fakeRegistry struct {
	host string
	mu   sync.Mutex
	hook func(w http.ResponseWriter, r *http.Request) bool // true: handled
	seen []string
}

func startFake(t testing.TB) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{}
	f.host, _ = testregistry.InProcess(t, func(reg http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.seen = append(f.seen, r.Method+" "+r.URL.Path)
			hook := f.hook
			f.mu.Unlock()
			if hook != nil && hook(w, r) {
				return
			}
			reg.ServeHTTP(w, r)
		})
	})
	return f
}

func (f *fakeRegistry) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fakeRegistry) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func (f *fakeRegistry) resetLog() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = nil
}

// newClient is a client with its own cache and fast retries.
func newClient(t testing.TB, opts ociplugin.Options) *ociplugin.Client {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	if opts.RetryWait == 0 {
		opts.RetryWait = 5 * time.Millisecond
	}
	if opts.RegistryConfig == "" {
		// No credentials from the machine running the tests.
		opts.RegistryConfig = filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(opts.RegistryConfig, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ociplugin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// blob is one blob of a hand-made artifact.
type blob struct {
	mediaType string
	data      []byte
	size      int64 // announced size; 0 means len(data)
}

func (b blob) desc() ocispec.Descriptor {
	size := b.size
	if size == 0 {
		size = int64(len(b.data))
	}
	return ocispec.Descriptor{MediaType: b.mediaType, Digest: digest.FromBytes(b.data), Size: size}
}

// pushRaw pushes a hand-made artifact (any config, any layers) with the
// registry client directly, bypassing ociplugin's own checks, and returns
// its manifest digest.
func pushRaw(t testing.TB, host, repository, tag string, config blob, layers ...blob) string {
	t.Helper()
	ctx := context.Background()
	repo, err := remote.NewRepository(host + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: config.desc()}
	for _, b := range append([]blob{config}, layers...) {
		d := b.desc()
		d.Size = int64(len(b.data))
		if ok, _ := repo.Exists(ctx, d); !ok {
			if err := repo.Push(ctx, d, bytes.NewReader(b.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, l.desc())
	}
	mb, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	md := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb))}
	if err := repo.PushReference(ctx, md, bytes.NewReader(mb), tag); err != nil {
		t.Fatal(err)
	}
	return md.Digest.String()
}
