package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/inputlimit"
)

func admin(t *testing.T, srv *emulator.Server, method, path, body string) reply {
	t.Helper()
	return do(t, method, srv.URL+"/__admin"+path, body, map[string]string{"Content-Type": "application/json"})
}

// The admin API counts sessions, resets, and shows state.
func TestAdminStateAndReset(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	newSession(t, srv, tok)
	newSession(t, srv, tok)
	r := admin(t, srv, "GET", "/state", "")
	var st emulator.State
	if err := json.Unmarshal(r.body, &st); err != nil || r.status != 200 {
		t.Fatalf("%d %v %s", r.status, err, r.body)
	}
	if st.SessionsCreated != 2 || st.SessionsActive != 2 || st.Requests["start"] != 2 || st.TokensIssued != 1 {
		t.Errorf("state %+v", st)
	}
	if st.Org.MyDomain != emulator.DemoMyDomain || len(st.Org.Agents) != 1 || !st.Org.Agents[0].ActiveVersion {
		t.Errorf("org summary %+v", st.Org)
	}
	r = admin(t, srv, "GET", "/sessions", "")
	var ss []emulator.SessionInfo
	if err := json.Unmarshal(r.body, &ss); err != nil || len(ss) != 2 {
		t.Fatalf("sessions %s", r.body)
	}
	if r := admin(t, srv, "POST", "/reset", ""); r.status != 200 {
		t.Fatalf("reset %d", r.status)
	}
	if st := srv.State(); st.SessionsCreated != 0 || st.SessionsActive != 0 {
		t.Errorf("after reset %+v", st)
	}
	// Tokens survive a reset (a Pact provider state must not log the consumer out).
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Errorf("token after reset: %d", r.status)
	}
	if r := admin(t, srv, "DELETE", "/state", ""); r.status != 405 {
		t.Errorf("DELETE /state %d", r.status)
	}
	if r := admin(t, srv, "GET", "/nope", ""); r.status != 404 || !strings.Contains(string(r.body), "/__admin/state") {
		t.Errorf("unknown admin path %d %s", r.status, r.body)
	}
}

// Provider states: deactivate an agent, make it an employee agent, switch
// Agentforce off — each visible to the API immediately (agent-api.md §5, §6, §8).
func TestAdminOrgChanges(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	if r := admin(t, srv, "PATCH", "/agents/"+agentID, `{"activeVersion":false}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantError(t, startSession(t, srv, tok, agentID, startBody), 422, "RequestProcessingException", "Cannot determine the active version for the agent")
	admin(t, srv, "PATCH", "/agents/"+agentID, `{"activeVersion":true,"type":"employee"}`)
	wantError(t, startSession(t, srv, tok, agentID, startBody), 400, "BadRequestError", "Invalid user ID provided on start session: ")
	if r := admin(t, srv, "PATCH", "/agents/"+agentID, `{"type":"robot"}`); r.status != 400 || !strings.Contains(string(r.body), "service or employee") {
		t.Errorf("bad type: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, "PATCH", "/agents/0XxAA0000000009AAA", `{"activeVersion":true}`); r.status != 404 {
		t.Errorf("unknown agent: %d", r.status)
	}
	if r := admin(t, srv, "PATCH", "/agents/"+agentID, `{"active":true}`); r.status != 400 || !strings.Contains(string(r.body), "active") {
		t.Errorf("unknown member: %d %s", r.status, r.body)
	}
	admin(t, srv, "PATCH", "/org", `{"agentforceEnabled":false}`)
	wantError(t, startSession(t, srv, tok, agentID, startBody), 403, "ForbiddenError", "Agentforce")
	// GET /org redacts secrets.
	r := admin(t, srv, "GET", "/org", "")
	if strings.Contains(string(r.body), emulator.DemoClientSecret) || !strings.Contains(string(r.body), "[redacted]") {
		t.Errorf("GET /org leaks or lacks redaction: %s", r.body)
	}
	// PUT /org replaces the whole org (YAML), with clear errors for a bad one.
	y, err := os.ReadFile("testdata/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := admin(t, srv, "PUT", "/org", string(y)); r.status != 200 {
		t.Fatalf("PUT org: %d %s", r.status, r.body)
	}
	if st := srv.State(); st.Org.MyDomain != "https://acme.my.salesforce.com" || len(st.Org.Agents) != 3 {
		t.Errorf("after PUT: %+v", st.Org)
	}
	if r := admin(t, srv, "PUT", "/org", `{"myDomain":"https://x.my.salesforce.com"}`); r.status != 400 || !strings.Contains(string(r.body), "agents") {
		t.Errorf("bad PUT: %d %s", r.status, r.body)
	}
	// PATCH /org token lifetime and rate limit.
	if r := admin(t, srv, "PATCH", "/org", `{"rateLimit":{"requestsPerSecond":0}}`); r.status != 400 {
		t.Errorf("bad rate limit accepted: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, "PATCH", "/org", `{"tokenLifetime":"1s","rateLimit":{"requestsPerSecond":5}}`); r.status != 200 {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
	if st := srv.State(); st.Org.TokenLifetime.String() != "1s" || st.Org.RateLimit == nil || st.Org.RateLimit.Burst != 5 {
		t.Errorf("after patch %+v", st.Org)
	}
	// Reset restores the start-up org.
	admin(t, srv, "POST", "/reset", "")
	if st := srv.State(); st.Org.MyDomain != emulator.DemoMyDomain || !st.Org.AgentforceEnabled {
		t.Errorf("reset did not restore the org: %+v", st.Org)
	}
}

// TestAdminBodiesBounded: the credential-less admin API refuses, with a
// JSON error naming the line and the limit, an org body nesting 24,000
// levels (it took the emulator to 1 GB), an org body over the YAML cap
// (413, not read whole), and a JSON body naming a member twice.
func TestAdminBodiesBounded(t *testing.T) {
	srv := start(t, nil)
	nested, err := os.ReadFile("../../plugins/testdata/hostile-inputs/nested-org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error string }
	r := admin(t, srv, "PUT", "/org", string(nested))
	if r.status != 400 || json.Unmarshal(r.body, &e) != nil || !strings.Contains(e.Error, "org: org document: line 7: nested deeper than 128 levels") {
		t.Errorf("nested org: %d %s", r.status, r.body)
	}
	r = admin(t, srv, "PUT", "/org", strings.Repeat("# padding\n", inputlimit.MaxYAMLBytes/10+1))
	if r.status != 413 || json.Unmarshal(r.body, &e) != nil || !strings.Contains(e.Error, "the request body: exceeds 65536 bytes (64 KiB), agentshape's limit for a YAML document") {
		t.Errorf("big org: %d %s", r.status, r.body)
	}
	// A body with no Content-Length (chunked) is cut at the cap, not read whole.
	req, err := http.NewRequest("PUT", srv.URL+"/__admin/org", io.MultiReader(strings.NewReader("myDomain: x\n"), &endlessComments{}))
	if err != nil {
		t.Fatal(err)
	}
	// The server answers 413 and closes the connection; the client may see
	// that as a failed write instead. Either way the body was not read whole.
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Logf("endless org body: %v (connection closed by the server)", err)
	} else if resp.Body.Close(); resp.StatusCode != 413 {
		t.Errorf("endless org body: %d", resp.StatusCode)
	}
	r = admin(t, srv, "PATCH", "/org", `{"agentforceEnabled":true,"agentforceEnabled":false}`)
	if r.status != 400 || !strings.Contains(string(r.body), `member \"agentforceEnabled\" appears twice in the top-level object`) {
		t.Errorf("duplicate member: %d %s", r.status, r.body)
	}
	if st := srv.State(); st.Org.MyDomain != emulator.DemoMyDomain || !st.Org.AgentforceEnabled {
		t.Errorf("a refused body changed the org: %+v", st.Org)
	}
}

// endlessComments is a body that never ends.
type endlessComments struct{}

func (endlessComments) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "# x\n"[i%4]
	}
	return len(p), nil
}

// The faults endpoint: add, list, replace, clear.
func TestAdminFaults(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	r := admin(t, srv, "POST", "/faults", `{"operations":["start"],"status":503,"count":1,"retryAfter":"2"}`)
	if r.status != 201 || r.json(t)["id"] == nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantError(t, startSession(t, srv, tok, agentID, startBody), 503, "ServiceUnavailable", "unavailable")
	var fs []emulator.FaultState
	if err := json.Unmarshal(admin(t, srv, "GET", "/faults", "").body, &fs); err != nil || len(fs) != 1 || fs[0].Fired != 1 {
		t.Fatalf("faults %+v %v", fs, err)
	}
	if r := admin(t, srv, "PUT", "/faults", `[{"status":429,"count":1},{"latency":"1ms"}]`); r.status != 200 {
		t.Fatalf("PUT %d %s", r.status, r.body)
	}
	wantError(t, startSession(t, srv, tok, agentID, startBody), 429, "TooManyRequestsError", "Too many")
	if r := admin(t, srv, "POST", "/faults", `{"status":700}`); r.status != 400 || !strings.Contains(string(r.body), "4xx or 5xx") {
		t.Errorf("bad fault: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, "POST", "/faults", `{"status":503,"colour":"red"}`); r.status != 400 || !strings.Contains(string(r.body), "colour") {
		t.Errorf("unknown member: %d %s", r.status, r.body)
	}
	if r := admin(t, srv, "PUT", "/faults", `{"status":503}`); r.status != 400 {
		t.Errorf("PUT object instead of array: %d", r.status)
	}
	admin(t, srv, "DELETE", "/faults", "")
	if len(srv.Faults()) != 0 {
		t.Error("DELETE left faults")
	}
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Errorf("after clear %d", r.status)
	}
}

// Tokens minted by the admin API: usable, or already expired (provider state
// "the token has expired").
func TestAdminTokens(t *testing.T) {
	srv := start(t, nil)
	r := admin(t, srv, "POST", "/tokens", `{"clientId":"agentshape-demo"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	tok := r.json(t)["access_token"].(string)
	if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
		t.Errorf("minted token: %d", r.status)
	}
	expired := admin(t, srv, "POST", "/tokens", `{"clientId":"agentshape-demo","lifetime":"-1s"}`).json(t)["access_token"].(string)
	wantError(t, startSession(t, srv, expired, agentID, startBody), 401, "UnauthorizedError", "expired")
	if r := admin(t, srv, "POST", "/tokens", `{"clientId":"ghost"}`); r.status != 400 || !strings.Contains(string(r.body), "ghost") {
		t.Errorf("unknown client: %d %s", r.status, r.body)
	}
	admin(t, srv, "POST", "/tokens/revoke", "")
	wantError(t, startSession(t, srv, tok, agentID, startBody), 401, "UnauthorizedError", "revoked")
}

// DisableAdmin turns the admin API off.
func TestAdminDisabled(t *testing.T) {
	srv := start(t, nil, func(o *emulator.Options) { o.DisableAdmin = true })
	wantError(t, admin(t, srv, "GET", "/state", ""), 404, "NotFoundError", "Resource not found")
}

// The admin API has no credentials, so a web page in the user's browser must
// not reach it: cross-site requests and requests addressed to another host
// name (DNS rebinding) are refused with 403 and change nothing.
func TestAdminRefusesRequestsFromWebPages(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	newSession(t, srv, tok)
	for _, c := range []struct {
		name string
		hdr  map[string]string
		host string
		says string
	}{
		{"cross-origin page", map[string]string{"Origin": "http://evil.example"}, "", "cross-origin"},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", "web pages"},
		{"rebound host name", nil, "evil.example:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:], "loopback"},
	} {
		req, err := http.NewRequest("POST", srv.URL+"/__admin/reset", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(body), c.says) {
			t.Errorf("%s: %d %s, want 403 saying %q", c.name, resp.StatusCode, body, c.says)
		}
		if st := srv.State(); st.SessionsActive != 1 {
			t.Fatalf("%s: the refused reset still ran: %+v", c.name, st)
		}
	}
	// Scripts, the CLI and same-origin requests are served.
	for _, hdr := range []map[string]string{nil, {"Origin": srv.URL}, {"Sec-Fetch-Site": "same-origin"}} {
		if r := do(t, "GET", srv.URL+"/__admin/state", "", hdr); r.status != 200 {
			t.Errorf("admin state with %v: %d %s", hdr, r.status, r.body)
		}
	}
	if r := do(t, "GET", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/__admin/state", "", nil); r.status != 200 {
		t.Errorf("admin state via localhost: %d %s", r.status, r.body)
	}
}
