package ociplugin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/host/ociplugin"
)

// The registry's name in these tests: under the reserved .test domain, so
// it never resolves; every connection goes through the test's proxy on
// 127.0.0.1, which sends it to the in-process registry.
const farRegistry = "registry.example.test"

// recordingProxy is an HTTP proxy on a loopback port that records what it
// was asked and forwards everything to one registry: CONNECT tunnels (what
// an HTTPS client sends) and absolute-URL requests (plain HTTP).
type recordingProxy struct {
	mu   sync.Mutex
	seen []string
}

func (p *recordingProxy) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, s)
}

func (p *recordingProxy) start(t *testing.T, registryHost string) string {
	target, _ := url.Parse("http://" + registryHost)
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			p.record("CONNECT " + r.Host)
			up, err := net.Dial("tcp", registryHost)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				up.Close()
				return
			}
			fmt.Fprint(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
			go func() { _, _ = io.Copy(up, buf); up.Close() }()
			_, _ = io.Copy(conn, up)
			conn.Close()
			return
		}
		p.record(r.Method + " " + r.URL.Scheme + "://" + r.URL.Host)
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Plain HTTP is used only where allowed: a registry that is not on this
// machine is reached over TLS, and one that answers in plain HTTP is refused
// with advice, unless --insecure-registry names it. (Go reads the proxy
// settings once per process, so each pull runs in a child test process.)
func TestPlainHTTPOnlyWhenAllowed(t *testing.T) {
	reg := startFake(t)
	mod := pluginBytes(t, "timezone.wasm")
	pushed, err := newClient(t, ociplugin.Options{}).Push(context.Background(), reg.host+"/team/tz:1", mod, info)
	if err != nil {
		t.Fatal(err)
	}
	ref := farRegistry + "/team/tz@" + pushed.Ref.Digest
	for _, tc := range []struct {
		insecure  string
		wantProxy string
		wantOut   string
	}{
		{"", "CONNECT " + farRegistry + ":443", "kind=" + ociplugin.ErrInsecure.Error()},
		{farRegistry, "GET http://" + farRegistry, "pulled " + pushed.SHA256},
	} {
		var p recordingProxy
		proxy := p.start(t, reg.host)
		cmd := exec.Command(os.Args[0], "-test.run=^TestPlainHTTPChild$", "-test.v")
		cmd.Env = append(os.Environ(), "HTTPS_PROXY="+proxy, "HTTP_PROXY="+proxy, "NO_PROXY=", "no_proxy=",
			"OCIPLUGIN_CHILD_REF="+ref, "OCIPLUGIN_CHILD_INSECURE="+tc.insecure, "OCIPLUGIN_CHILD_CACHE="+t.TempDir())
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.wantOut) {
			t.Errorf("insecure=%q: child said\n%s\nwant %q", tc.insecure, out, tc.wantOut)
		}
		p.mu.Lock()
		seen := strings.Join(p.seen, "\n")
		p.mu.Unlock()
		if !strings.Contains(seen, tc.wantProxy) || (tc.insecure == "" && strings.Contains(seen, "http://")) {
			t.Errorf("insecure=%q: the proxy saw\n%s\nwant %q and no plain HTTP request", tc.insecure, seen, tc.wantProxy)
		}
	}
}

// TestPlainHTTPChild is TestPlainHTTPOnlyWhenAllowed's child process; on
// its own it has nothing to do.
func TestPlainHTTPChild(t *testing.T) {
	ref := os.Getenv("OCIPLUGIN_CHILD_REF")
	if ref == "" {
		t.Skip("run by TestPlainHTTPOnlyWhenAllowed")
	}
	opts := ociplugin.Options{CacheDir: os.Getenv("OCIPLUGIN_CHILD_CACHE"), Retries: -1}
	if h := os.Getenv("OCIPLUGIN_CHILD_INSECURE"); h != "" {
		opts.InsecureRegistries = []string{h}
	}
	m, err := newClient(t, opts).Pull(context.Background(), ref, ociplugin.PullOptions{})
	var oe *ociplugin.Error
	switch {
	case errors.As(err, &oe):
		fmt.Printf("kind=%v\nerror=%v\n", oe.Kind, err)
	case err != nil:
		fmt.Printf("error=%v\n", err)
	default:
		fmt.Printf("pulled %s\n", m.SHA256)
	}
}
