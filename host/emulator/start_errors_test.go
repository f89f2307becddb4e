package emulator_test

import (
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// TestStartSessionErrors drives every documented Start Session failure
// through a real server (agent-api.md §5, §8).
func TestStartSessionErrors(t *testing.T) {
	srv := start(t, testOrg(t))
	tok := acmeToken(t, srv, "acme-app", "acme-secret")
	noPerm := acmeToken(t, srv, "no-permission", "np-secret")
	narrow := acmeToken(t, srv, "narrow-scopes", "ns-secret")
	big := acmeBody(`,"tz":"` + strings.Repeat("x", emulator.MaxBodyBytes) + `"`)

	cases := []struct {
		name, ref  string
		tok, agent string
		body       string
		hdr        map[string]string
		status     int
		class, msg string
	}{
		{"unknown top-level field", "§2 Strictness", tok, agentID, acmeBody(`,"userId":"005xx"`), nil, 400, "BadRequestError", `Unrecognized field "userId"`},
		{"unknown nested field", "§2 Strictness", tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com","region":"eu"}}`, nil, 400, "BadRequestError", `Unrecognized field "region"`},
		{"unknown variable member", "§2 Strictness", tok, agentID, acmeBody(`,"variables":[{"name":"orderTier","type":"Text","value":"gold","scope":"x"}]`), nil, 400, "BadRequestError", `Unrecognized field "scope"`},
		{"first unknown in document order", "§2 Strictness", tok, agentID, `{"zeta":1,"externalSessionKey":"k","alpha":2,"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`, nil, 400, "BadRequestError", `Unrecognized field "zeta"`},
		{"case-sensitive member names", "§2 Strictness", tok, agentID, `{"ExternalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`, nil, 400, "BadRequestError", `Unrecognized field "ExternalSessionKey"`},
		{"flow-only message member", "§6", tok, agentID, acmeBody(`,"message":{"TextVariable":{"text":"hi","name":"$Context.X"}}`), nil, 400, "BadRequestError", `Unrecognized field "message"`},
		{"malformed JSON", "§5", tok, agentID, `{"externalSessionKey": "k",`, nil, 400, "BadRequestError", "Malformed JSON"},
		{"not an object", "§5", tok, agentID, `["x"]`, nil, 400, "BadRequestError", "must be a JSON object"},
		{"member named twice", "[A]", tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.my.salesforce.com"},"instanceConfig":{"endpoint":"https://other.my.salesforce.com"}}`, nil, 400, "BadRequestError", `member "instanceConfig" appears twice in the top-level object`},
		{"nested past the limit", "[A]", tok, agentID, acmeBody(`,"variables":[{"name":"orderTier","type":"Text","value":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}]`), nil, 400, "BadRequestError", "nested deeper than 128 levels"},
		{"trailing data", "§5", tok, agentID, acmeBody("") + `{}`, nil, 400, "BadRequestError", "Malformed JSON request body"},
		{"empty body", "§5", tok, agentID, ` `, nil, 400, "BadRequestError", "body is missing"},
		{"missing externalSessionKey", "§2", tok, agentID, `{"instanceConfig":{"endpoint":"https://acme.my.salesforce.com"}}`, nil, 400, "BadRequestError", "externalSessionKey"},
		{"missing instanceConfig", "§2", tok, agentID, `{"externalSessionKey":"k"}`, nil, 400, "BadRequestError", "instanceConfig"},
		{"wrong type bypassUser", "§2", tok, agentID, acmeBody(`,"bypassUser":"yes"`), nil, 400, "BadRequestError", "bypassUser"},
		{"bad variable type", "§3", tok, agentID, acmeBody(`,"variables":[{"name":"orderTier","type":"Currency","value":"1"}]`), nil, 400, "BadRequestError", "Metadata API types"},
		{"duplicate variable", "§3", tok, agentID, acmeBody(`,"variables":[{"name":"orderTier","type":"Text","value":"a"},{"name":"orderTier","type":"Text","value":"b"}]`), nil, 400, "BadRequestError", "repeats the variable"},
		{"declared variable with other type", "§3 [A]", tok, agentID, acmeBody(`,"variables":[{"name":"orderTier","type":"Number","value":"1"}]`), nil, 400, "BadRequestError", `declares it as "Text"`},
		{"bad featureSupport", "§2", tok, agentID, acmeBody(`,"featureSupport":"Batch"`), nil, 400, "BadRequestError", "Sync or Streaming"},
		{"malformed agent ID", "§5", tok, "0XxBAD", acmeBody(""), nil, 400, "BadRequestError", "0XxBAD is not a valid agent ID"},
		{"agent ID with wrong prefix", "§1", tok, "001AA0000000001AAA", acmeBody(""), nil, 400, "BadRequestError", "001AA0000000001AAA is not a valid agent ID"},
		{"bypassUser on employee agent", "§8", tok, "0XxAA0000000002AAA", acmeBody(`,"bypassUser":true`), nil, 400, "BadRequestError", "Invalid user ID provided on start session: "},
		{"missing token", "§5", "", agentID, acmeBody(""), nil, 401, "UnauthorizedError", "Access bearer token is missing or invalid"},
		{"garbage token", "§5", "not-a-token", agentID, acmeBody(""), nil, 401, "UnauthorizedError", "Access bearer token is missing or invalid"},
		{"tampered token", "§5", tok[:len(tok)-2] + "xx", agentID, acmeBody(""), nil, 401, "UnauthorizedError", "not issued by this emulator"},
		{"run-as user without Manage AI Agents", "§6", noPerm, agentID, acmeBody(""), nil, 403, "ForbiddenError", "lacks the Manage AI Agents permission"},
		{"token without chatbot_api/sfap_api", "§7", narrow, agentID, acmeBody(""), nil, 403, "ForbiddenError", "chatbot_api"},
		{"unknown agent", "§5", tok, "0XxAA0000000009AAA", acmeBody(""), nil, 404, "NotFoundError", "Resource not found"},
		{"no active version", "§5", tok, "0XxAA0000000003AAA", acmeBody(""), nil, 422, "RequestProcessingException", "Cannot determine the active version for the agent"},
		{"endpoint is another My Domain", "§8", tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://other.my.salesforce.com"}}`, nil, 500, "EngineConfigLookupException", "EngineConfigLookupException"},
		{"endpoint is a Lightning URL", "§8", tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://acme.lightning.force.com"}}`, nil, 500, "EngineConfigLookupException", "My Domain"},
		{"wrong Content-Type", "§8", tok, agentID, acmeBody(""), map[string]string{"Content-Type": "text/plain"}, 500, "HttpMediaTypeNotSupportedException", "Unsupported Media Type"},
		{"no Content-Type", "§8", tok, agentID, acmeBody(""), map[string]string{"Content-Type": ""}, 500, "HttpMediaTypeNotSupportedException", "Unsupported Media Type"},
		{"body over 1 MiB", "[A]", tok, agentID, big, nil, 413, "PayloadTooLargeError", "1 MiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			if c.tok != "" {
				h["Authorization"] = "Bearer " + c.tok
			}
			for k, v := range c.hdr {
				h[k] = v
			}
			r := do(t, "POST", srv.URL+emulator.APIPrefix+"/agents/"+c.agent+"/sessions", c.body, h)
			wantError(t, r, c.status, c.class, c.msg)
			if m := r.json(t); m["path"] != emulator.APIPrefix+"/agents/"+c.agent+"/sessions" {
				t.Errorf("path = %v", m["path"])
			}
		})
	}
	if n := srv.SessionsCreated(); n != 0 {
		t.Errorf("failed starts created %d sessions", n)
	}
}

// agent-api.md §5: the 401 for an expired token, with a settable clock.
func TestStartSessionExpiredToken(t *testing.T) {
	clk := newFakeClock()
	srv := start(t, testOrg(t), withClock(clk))
	tok := acmeToken(t, srv, "acme-app", "acme-secret")
	if r := startSession(t, srv, tok, agentID, acmeBody("")); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	clk.Add(30*60e9 + 1) // tokenLifetime 30m in testdata/org.yaml
	wantError(t, startSession(t, srv, tok, agentID, acmeBody("")), 401, "UnauthorizedError", "expired")
}

// agent-api.md §6: Agentforce off → 403 (the emulator's documented choice).
func TestStartSessionAgentforceOff(t *testing.T) {
	org := testOrg(t)
	off := false
	org.AgentforceEnabled = &off
	srv := start(t, org)
	tok := acmeToken(t, srv, "acme-app", "acme-secret")
	wantError(t, startSession(t, srv, tok, agentID, acmeBody("")), 403, "ForbiddenError", "Agentforce is not enabled")
}

// agent-api.md §3: settable variables are applied, read-only and undeclared
// ones ignored; §1: the 15-character agent ID names the same agent; the spec
// sample endpoint with a trailing slash matches My Domain.
func TestStartSessionVariablesAndIDForms(t *testing.T) {
	srv := start(t, testOrg(t))
	tok := acmeToken(t, srv, "acme-app", "acme-secret")
	body := `{"externalSessionKey":"not-a-uuid","instanceConfig":{"endpoint":"https://ACME.my.salesforce.com/"},"variables":[` +
		`{"name":"$Context.EndUserLanguage","type":"Text","value":"de"},` +
		`{"name":"verifiedCustomerId","type":"Ref","value":"003xx"},` +
		`{"name":"undeclared","type":"Text","value":"x"}],"bypassUser":false}`
	r := startSession(t, srv, tok, agentID[:15], body)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	g := r.json(t)["messages"].([]any)[0].(map[string]any)
	if g["message"] != "Welcome to Acme." {
		t.Errorf("greeting %v, want the org file's", g["message"])
	}
	ss := srv.Sessions()
	if len(ss) != 1 {
		t.Fatalf("sessions %v", ss)
	}
	s := ss[0]
	if s.AgentID != agentID || len(s.Variables) != 1 || s.Variables[0].Name != "$Context.EndUserLanguage" || s.Variables[0].Value != "de" {
		t.Errorf("applied variables %+v (agent %s)", s.Variables, s.AgentID)
	}
	if strings.Join(s.IgnoredVariables, ",") != "verifiedCustomerId,undeclared" {
		t.Errorf("ignored %v", s.IgnoredVariables)
	}
	// agent-api.md §8: bypassUser false works on an employee agent.
	if r := startSession(t, srv, tok, "0XxAA0000000002AAA", acmeBody(`,"bypassUser":false`)); r.status != 200 {
		t.Errorf("employee agent, bypassUser false: %d %s", r.status, r.body)
	}
}

// agent-api.md §1: wrong methods and unknown paths answer with the error body.
func TestRoutingErrors(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	r := do(t, "GET", srv.URL+emulator.APIPrefix+"/agents/"+agentID+"/sessions", "", authJSON(tok))
	wantError(t, r, 405, "MethodNotAllowedError", "use POST")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	wantError(t, do(t, "POST", srv.URL+emulator.APIPrefix+"/nothing", "{}", authJSON(tok)), 404, "NotFoundError", "no Agent API operation")
	wantError(t, do(t, "GET", srv.URL+"/", "", nil), 404, "NotFoundError", "Resource not found")
	if srv.SessionsCreated() != 0 {
		t.Error("routing errors created a session")
	}
}

// The schema verdict cache never turns an invalid body valid: after a valid
// body is cached, bodies of the same shape with an empty session key or a
// non-string variable value are still refused (agent-api.md §2, §3).
func TestVerdictCacheKeepsRefusing(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	valid := `{"externalSessionKey":"@K@","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[{"name":"orderTier","type":"Text","value":"@V@"}]}`
	for _, k := range []string{"a", "b"} {
		if r := startSession(t, srv, tok, agentID, strings.NewReplacer("@K@", k, "@V@", k).Replace(valid)); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	wantError(t, startSession(t, srv, tok, agentID, strings.NewReplacer(`"@K@"`, `""`, "@V@", "x").Replace(valid)), 400, "BadRequestError", "externalSessionKey")
	wantError(t, startSession(t, srv, tok, agentID, strings.NewReplacer("@K@", "c", `"@V@"`, `7`).Replace(valid)), 400, "BadRequestError", "must be a string")
	if r := startSession(t, srv, tok, agentID, strings.NewReplacer("@K@", "d", "@V@", "").Replace(valid)); r.status != 200 {
		t.Fatalf("empty variable value: %d %s", r.status, r.body)
	}
}
