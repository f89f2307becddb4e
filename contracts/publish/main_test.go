package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/agentshape/agentshape/internal/version"
)

const testPact = `{"consumer":{"name":"agentshape"},"provider":{"name":"salesforce-agent-api"},"interactions":[],"metadata":{"pact-go":{"version":"2.7.0"},"pactSpecification":{"version":"4.0"}}}`

// build is the agentshape build the tests publish as.
var build = version.Info{Version: "v0.4.0", Commit: "0123456789abcdef0123456789abcdef01234567"}

func init() { currentVersion = func() version.Info { return build } }

// broker is a loopback Pact Broker that records what POST /contracts/publish received.
type broker struct {
	mu       sync.Mutex
	status   int
	auth     []string
	bodies   []publishRequest
	paths    []string
	ctypes   []string
	rejected []string
}

func (b *broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paths = append(b.paths, r.Method+" "+r.URL.Path)
	b.auth = append(b.auth, r.Header.Get("Authorization"))
	b.ctypes = append(b.ctypes, r.Header.Get("Content-Type"))
	raw, _ := io.ReadAll(r.Body)
	var req publishRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		b.rejected = append(b.rejected, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.bodies = append(b.bodies, req)
	if b.status != 0 {
		w.WriteHeader(b.status)
		_, _ = io.WriteString(w, `{"errors":{"x":["nope"]}}`)
		return
	}
	w.Header().Set("Content-Type", "application/hal+json")
	_, _ = io.WriteString(w, `{"notices":[{"type":"success","text":"ok"}]}`)
}

func writePact(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishSendsPactWithVersionAndBranch(t *testing.T) {
	b := &broker{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	dir := t.TempDir()
	f := writePact(t, dir, "agentshape-salesforce-agent-api.json", testPact)

	n, err := publish(context.Background(), options{BrokerURL: srv.URL + "/", Token: "s3cret-token",
		Version: "0123abc", Branch: "main", BuildURL: "https://ci.example/1", Files: []string{f}, Client: srv.Client(), Agentshape: build})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if n != 1 {
		t.Fatalf("published %d files, want 1", n)
	}
	if len(b.bodies) != 1 || b.paths[0] != "POST /contracts/publish" {
		t.Fatalf("broker saw %v (rejected %v), want one POST /contracts/publish", b.paths, b.rejected)
	}
	if b.auth[0] != "Bearer s3cret-token" || b.ctypes[0] != "application/json" {
		t.Errorf("Authorization %q, Content-Type %q", b.auth[0], b.ctypes[0])
	}
	got := b.bodies[0]
	if got.PacticipantName != "agentshape" || got.PacticipantVersionNumber != "0123abc" || got.Branch != "main" || got.BuildURL != "https://ci.example/1" {
		t.Errorf("publish request header fields = %+v", got)
	}
	if len(got.Contracts) != 1 {
		t.Fatalf("contracts = %d, want 1", len(got.Contracts))
	}
	c := got.Contracts[0]
	if c.ConsumerName != "agentshape" || c.ProviderName != "salesforce-agent-api" || c.Specification != "pact" || c.ContentType != "application/json" {
		t.Errorf("contract = %+v", c)
	}
	content, err := base64.StdEncoding.DecodeString(c.Content)
	if err != nil {
		t.Fatal(err)
	}
	var published, written map[string]any
	if err := json.Unmarshal(content, &published); err != nil {
		t.Fatalf("content is not JSON: %v\n%s", err, content)
	}
	_ = json.Unmarshal([]byte(testPact), &written)
	meta := published["metadata"].(map[string]any)
	if a, _ := meta["agentshape"].(map[string]any); a["version"] != build.Version || a["commit"] != build.Commit {
		t.Errorf("metadata.agentshape = %v, want version %s and commit %s", meta["agentshape"], build.Version, build.Commit)
	}
	if meta["pact-go"].(map[string]any)["version"] != "2.7.0" {
		t.Errorf("metadata.pact-go = %v, want the recorded 2.7.0", meta["pact-go"])
	}
	delete(meta, "agentshape")
	if !reflect.DeepEqual(published, written) {
		t.Errorf("published pact %s differs from the file beyond metadata.agentshape", content)
	}
}

// A pact whose metadata says pact-go "dev", and a build that does not know its own version, are
// not published: the broker would show versions nobody can trace.
func TestPublishRefusesUnknownVersions(t *testing.T) {
	b := &broker{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	dev := writePact(t, t.TempDir(), "dev.json", strings.Replace(testPact, `"2.7.0"`, `"dev"`, 1))
	_, err := publish(context.Background(), options{BrokerURL: srv.URL, Version: "v1", Files: []string{dev}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), `"dev"`) || !strings.Contains(err.Error(), "make contracts") {
		t.Errorf("pact-go dev: err = %v, want a refusal naming the version and make contracts", err)
	}
	f := writePact(t, t.TempDir(), "p.json", testPact)
	_, err = publish(context.Background(), options{BrokerURL: srv.URL, Version: "v1", Files: []string{f}, Client: srv.Client(),
		Agentshape: version.Info{Version: version.Unknown, Commit: version.Unknown}})
	if err == nil || !strings.Contains(err.Error(), "make publish-pacts") {
		t.Errorf("unknown build: err = %v, want a refusal pointing to make publish-pacts", err)
	}
	if len(b.bodies) != 0 {
		t.Errorf("the broker received %d publications, want none", len(b.bodies))
	}
}

func TestPublishBasicAuthAndDetachedHead(t *testing.T) {
	b := &broker{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	f := writePact(t, t.TempDir(), "p.json", testPact)
	if _, err := publish(context.Background(), options{BrokerURL: srv.URL, Username: "u", Password: "p",
		Version: "v1", Branch: "HEAD", Files: []string{f}, Client: srv.Client(), Agentshape: build}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.auth[0], "Basic ") {
		t.Errorf("Authorization %q, want basic auth", b.auth[0])
	}
	if b.bodies[0].Branch != "" {
		t.Errorf("branch %q sent for a detached HEAD, want none", b.bodies[0].Branch)
	}
}

func TestPublishErrorsNameTheCauseAndHideSecrets(t *testing.T) {
	b := &broker{status: http.StatusUnauthorized}
	srv := httptest.NewServer(b)
	defer srv.Close()
	f := writePact(t, t.TempDir(), "p.json", testPact)
	_, err := publish(context.Background(), options{BrokerURL: srv.URL, Token: "s3cret-token", Version: "v1", Files: []string{f}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), "PACT_BROKER_TOKEN") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("401: err = %v, want a credentials error without the token", err)
	}

	b.status = http.StatusNotFound
	_, err = publish(context.Background(), options{BrokerURL: srv.URL, Version: "v1", Files: []string{f}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), "v2.86") {
		t.Errorf("404: err = %v, want a hint about the broker version", err)
	}

	bad := writePact(t, t.TempDir(), "bad.json", `{"consumer":`)
	_, err = publish(context.Background(), options{BrokerURL: srv.URL, Version: "v1", Files: []string{bad}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("malformed pact: err = %v", err)
	}

	notPact := writePact(t, t.TempDir(), "other.json", `{"a":1}`)
	_, err = publish(context.Background(), options{BrokerURL: srv.URL, Version: "v1", Files: []string{notPact}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), "not a pact file") {
		t.Errorf("non-pact JSON: err = %v", err)
	}

	_, err = publish(context.Background(), options{BrokerURL: srv.URL, Version: "", Files: []string{f}, Client: srv.Client(), Agentshape: build})
	if err == nil || !strings.Contains(err.Error(), "PACT_CONSUMER_VERSION") {
		t.Errorf("no version: err = %v", err)
	}

	srv.Close()
	_, err = publish(context.Background(), options{BrokerURL: "http://user:pw-secret@" + strings.TrimPrefix(srv.URL, "http://"), Version: "v1", Files: []string{f}, Agentshape: build})
	if err == nil || strings.Contains(err.Error(), "pw-secret") || !strings.Contains(err.Error(), "PACT_BROKER_BASE_URL") {
		t.Errorf("unreachable broker: err = %v, want a network error without the password", err)
	}
	if len(b.rejected) != 0 {
		t.Errorf("broker rejected request bodies: %v", b.rejected)
	}
}

func TestRunIsOffWithoutBrokerURL(t *testing.T) {
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	if code := run([]string{"-dir", t.TempDir()}, env, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d, want 0 (stderr %q)", code, errOut.String())
	}
	if !strings.Contains(out.String(), "PACT_BROKER_BASE_URL is not set") || !strings.Contains(out.String(), "make publish-pacts") {
		t.Errorf("output %q does not say how to enable publishing", out.String())
	}
}

func TestRunPublishesDirectory(t *testing.T) {
	b := &broker{}
	srv := httptest.NewServer(b)
	defer srv.Close()
	dir := t.TempDir()
	writePact(t, dir, "a.json", testPact)
	env := map[string]string{"PACT_BROKER_BASE_URL": srv.URL, "PACT_BROKER_TOKEN": "tok-secret-xyz", "PACT_CONSUMER_VERSION": "abc", "PACT_CONSUMER_BRANCH": "feature/x"}
	var out, errOut bytes.Buffer
	if code := run([]string{"-dir", dir}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d: %s", code, errOut.String())
	}
	if len(b.bodies) != 1 || b.bodies[0].Branch != "feature/x" || b.bodies[0].PacticipantVersionNumber != "abc" {
		t.Fatalf("broker got %+v", b.bodies)
	}
	if strings.Contains(errOut.String(), "tok-secret-xyz") {
		t.Errorf("log output leaks the token: %q", errOut.String())
	}

	var out2, errOut2 bytes.Buffer
	if code := run([]string{"-dir", t.TempDir()}, func(k string) string { return env[k] }, &out2, &errOut2); code != 1 || !strings.Contains(errOut2.String(), "make contracts") {
		t.Errorf("empty dir: code %d, stderr %q; want 1 and a hint to run make contracts", code, errOut2.String())
	}
}
