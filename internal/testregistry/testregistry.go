// Package testregistry runs OCI registries for tests: Debian's
// docker-registry (CNCF distribution 2.8), a real registry process on a
// loopback port with its own config.yml and storage in a temporary
// directory (Start; `make test` installs the package,
// .ci/install-toolchains.sh), and go-containerregistry's in-process
// registry for tests that need no process (InProcess). Both stop when the
// test ends.
package testregistry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
)

// Binary is the registry's executable, found on PATH.
const Binary = "docker-registry"

// Registry is one running registry.
type Registry struct {
	// Host is its host:port on 127.0.0.1, as a reference names it.
	Host string
	// Root is its storage directory.
	Root string

	stopOnce sync.Once
	stop     func()
}

// Stop ends the registry (it is stopped when the test ends anyway); a test
// stops it to prove that what follows needs no registry.
func (r *Registry) Stop() { r.stopOnce.Do(r.stop) }

// Options configure the registry.
type Options struct {
	// Htpasswd, when set, turns on basic authentication with this htpasswd
	// file content (bcrypt entries).
	Htpasswd string
}

// Start runs a registry until t ends. It fails t when docker-registry is not
// installed (run `make setup`) or does not come up.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		t.Fatalf("%s is not installed: run `make setup` (or apt-get install docker-registry): %v", Binary, err)
	}
	dir := t.TempDir()
	r := &Registry{Root: filepath.Join(dir, "storage")}
	// The port is free a moment before the registry binds it; another
	// process may take it in between, so a registry that does not come up
	// is started again on a new port.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		r.Host = freeAddr(t)
		if lastErr = r.run(t, bin, dir, opts); lastErr == nil {
			return r
		}
	}
	t.Fatalf("%s did not start: %v", Binary, lastErr)
	return nil
}

func (r *Registry) run(t testing.TB, bin, dir string, opts Options) error {
	auth := ""
	if opts.Htpasswd != "" {
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(opts.Htpasswd), 0o600); err != nil {
			return err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: agentshape-test\n    path: %s\n", pw)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: agentshape-test-only
%s`, r.Root, r.Host, auth)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	var out lockedBuffer
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited (%v): %s", err, strings.TrimSpace(out.String()))
		case <-ctx.Done():
			stop()
			return fmt.Errorf("not answering on %s after 15s: %s", r.Host, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
			r.stop = stop
			t.Cleanup(r.Stop)
			return nil
		}
	}
}

// lockedBuffer collects the registry's output, written by the pipes'
// copying goroutines while the start-up loop may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// InProcess starts go-containerregistry's in-process registry (no
// process, no storage on disk) on a loopback port until t ends or stop is
// called, and returns its host:port; wrap, when not nil, puts a handler in
// front of it (to log requests or inject faults).
func InProcess(t testing.TB, wrap func(http.Handler) http.Handler) (host string, stop func()) {
	t.Helper()
	h := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), srv.Close
}

// BlobPath returns the file where the registry stores the blob with this
// sha256 (hex), for tests that damage what it serves.
func (r *Registry) BlobPath(hexDigest string) string {
	return filepath.Join(r.Root, "docker", "registry", "v2", "blobs", "sha256", hexDigest[:2], hexDigest, "data")
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
