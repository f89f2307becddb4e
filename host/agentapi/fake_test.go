package agentapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
)

// Hand-built loopback servers for the client's edge cases: answers a real
// Agent API (or the emulator) would never give on purpose — malformed JSON,
// oversize bodies, hangs, echoed secrets. The documented behaviours are
// tested against the emulator in emulator_test.go.

const (
	testClientID     = "edge-client-id"
	testClientSecret = "edge-client-secret-s3cr3t"
	testAgentID      = "0XxAA0000000001AAA"
)

// fakeAPI serves /services/oauth2/token and an API handler chosen per test.
type fakeAPI struct {
	t        *testing.T
	srv      *httptest.Server
	tokens   atomic.Int64 // token requests served
	requests atomic.Int64 // API requests seen
	mu       sync.Mutex
	arrivals []time.Time
	api      http.HandlerFunc
	token    func(n int64) string // access token for the n-th token request
}

func newFakeAPI(t *testing.T, api http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, api: api}
	f.token = func(n int64) string { return fmt.Sprintf("edge-token-%d-abcdef", n) }
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/services/oauth2/token" {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("client_secret") != testClientSecret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"invalid client credentials %s"}`, r.PostForm.Get("client_secret"))
			return
		}
		n := f.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": f.token(n), "token_type": "Bearer", "instance_url": f.srv.URL,
			"issued_at": fmt.Sprint(time.Now().UnixMilli()), "scope": "api chatbot_api sfap_api",
		})
		return
	}
	// Read the body first, so the server notices a client that goes away.
	io.Copy(io.Discard, r.Body)
	f.requests.Add(1)
	f.mu.Lock()
	f.arrivals = append(f.arrivals, time.Now())
	f.mu.Unlock()
	f.api(w, r)
}

func (f *fakeAPI) client(t *testing.T, mod func(*agentapi.Config)) *agentapi.Client {
	t.Helper()
	cfg := agentapi.Config{
		MyDomain: f.srv.URL, APIBaseURL: f.srv.URL,
		ClientID: testClientID, ClientSecret: testClientSecret,
		Retry: agentapi.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 10 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := agentapi.New(cfg)
	if err != nil {
		t.Fatalf("agentapi.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// startBody is a valid Start Session body (agent-api.md §2) for endpoint.
func startBody(endpoint string) json.RawMessage {
	return json.RawMessage(`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":"` + endpoint + `"},"bypassUser":true}`)
}

// okStart answers like a documented Start Session 200 (agent-api.md §4).
func okStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-ID", "req-ok")
	fmt.Fprint(w, `{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33","_links":{"self":null},"messages":[{"type":"Inform","id":"m1","message":"Hello","isContentSafe":true,"feedbackId":""}]}`)
}

// errorBody writes a documented error body (agent-api.md §5).
func errorBody(w http.ResponseWriter, status int, class, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-ID", "req-err")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d,"path":"/x","requestId":"req-err","error":%q,"message":%q,"timestamp":1}`, status, class, msg)
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
