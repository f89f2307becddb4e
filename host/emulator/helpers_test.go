package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

const agentID = emulator.DemoAgentID

// startBody is a valid Start Session body for the demo org (agent-api.md §2).
const startBody = `{
  "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
  "instanceConfig": {"endpoint": "https://example-co.my.salesforce.com"},
  "tz": "Europe/Berlin",
  "variables": [
    {"name": "$Context.EndUserLanguage", "type": "Text", "value": "de"},
    {"name": "orderTier", "type": "Text", "value": "gold"}
  ],
  "streamingCapabilities": {"chunkTypes": ["Text"]},
  "bypassUser": true
}`

// start runs a real emulator on 127.0.0.1 for the test.
func start(t testing.TB, org *emulator.Org, opts ...func(*emulator.Options)) *emulator.Server {
	t.Helper()
	o := emulator.Options{Addr: "127.0.0.1:0", Org: org}
	for _, f := range opts {
		f(&o)
	}
	srv, err := emulator.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// reply is a decoded HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

var client = &http.Client{Timeout: 10 * time.Second}

func do(t testing.TB, method, u string, body string, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// getToken runs the client-credentials flow (agent-api.md §7).
func getToken(t testing.TB, srv *emulator.Server, id, secret string) reply {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	return do(t, "POST", srv.URL+emulator.TokenPath, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func token(t testing.TB, srv *emulator.Server) string {
	t.Helper()
	r := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}

func authJSON(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
}

func startSession(t testing.TB, srv *emulator.Server, tok, agent, body string) reply {
	t.Helper()
	return do(t, "POST", srv.URL+emulator.APIPrefix+"/agents/"+agent+"/sessions", body, authJSON(tok))
}

// wantError checks the documented error body (agent-api.md §5).
func wantError(t testing.TB, r reply, status int, class, msgPart string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.json(t)
	for _, k := range []string{"status", "path", "requestId", "error", "message", "timestamp"} {
		if _, ok := m[k]; !ok {
			t.Errorf("error body lacks %q (agent-api.md §5): %s", k, r.body)
		}
	}
	if int(m["status"].(float64)) != status {
		t.Errorf("body status %v, want %d", m["status"], status)
	}
	if m["error"] != class {
		t.Errorf("error class %v, want %s", m["error"], class)
	}
	if msg, _ := m["message"].(string); !strings.Contains(msg, msgPart) {
		t.Errorf("message %q does not contain %q", msg, msgPart)
	}
	if rid := r.header.Get("X-Request-ID"); rid == "" || rid != m["requestId"] {
		t.Errorf("X-Request-ID %q does not echo requestId %v", rid, m["requestId"])
	}
	if !uuidRE.MatchString(m["requestId"].(string)) {
		t.Errorf("requestId %v is not a UUID", m["requestId"])
	}
	if ts := m["timestamp"].(float64); ts < 1e12 {
		t.Errorf("timestamp %v is not Unix milliseconds", ts)
	}
}

// fakeClock is a settable clock for expiry and rate-limit tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func withClock(c *fakeClock) func(*emulator.Options) {
	return func(o *emulator.Options) { o.Clock = c.Now }
}

// testOrg loads testdata/org.yaml (My Domain https://acme.my.salesforce.com).
func testOrg(t testing.TB) *emulator.Org {
	t.Helper()
	org, err := emulator.LoadOrg("testdata/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return org
}

// acmeBody is a Start Session body for testdata/org.yaml.
func acmeBody(extra string) string {
	return `{"externalSessionKey":"6b1a9c3e-1111-4abc-8def-0123456789ab","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}` + extra + `}`
}

func acmeToken(t testing.TB, srv *emulator.Server, id, secret string) string {
	t.Helper()
	r := getToken(t, srv, id, secret)
	if r.status != 200 {
		t.Fatalf("token for %s: %d %s", id, r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}
