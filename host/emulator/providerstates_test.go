package emulator_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// setUpState posts a Pact provider state change, as the standard verifier
// does, and returns the answer.
func setUpState(t *testing.T, srv *emulator.Server, state string, params map[string]any, action string) reply {
	t.Helper()
	b, err := json.Marshal(map[string]any{"state": state, "params": params, "action": action})
	if err != nil {
		t.Fatal(err)
	}
	return do(t, "POST", srv.URL+emulator.ProviderStatesPath, string(b), map[string]string{"Content-Type": "application/json"})
}

// stateValues sets a state up and returns the values it hands out.
func stateValues(t *testing.T, srv *emulator.Server, state string, params map[string]any) map[string]any {
	t.Helper()
	r := setUpState(t, srv, state, params, "setup")
	if r.status != 200 {
		t.Fatalf("setup %q: %d %s", state, r.status, r.body)
	}
	return r.json(t)
}

func sendText(t *testing.T, srv *emulator.Server, tok, sid string, seq any) reply {
	t.Helper()
	return do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/"+sid+"/messages",
		fmt.Sprintf(`{"message":{"type":"Text","sequenceId":%v,"text":"Hi"}}`, seq), authJSON(tok))
}

// Every provider state the emulator names puts it where the Agent API gives
// the answer the state promises, using only the values the setup hands out
// (accessToken, sessionId, sequenceId), as a Pact verifier injects them.
func TestProviderStatesSetUpWhatTheyName(t *testing.T) {
	srv := start(t, nil)
	unknown := "0XxAA0000000009AAA"
	cases := []struct {
		state  string
		params map[string]any
		check  func(t *testing.T, v map[string]any)
	}{
		{emulator.StateClientApp, nil, func(t *testing.T, v map[string]any) {
			if r := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret); r.status != 200 {
				t.Errorf("token: %d %s", r.status, r.body)
			}
		}},
		{emulator.StateStreamEvent, map[string]any{"event": emulator.EventInform}, func(t *testing.T, v map[string]any) {
			if r := messageRequest(t, srv, emulator.EventInform); r.status != 200 {
				t.Errorf("message: %d %s", r.status, r.body)
			}
		}},
		{emulator.StateAgentActive, nil, func(t *testing.T, v map[string]any) {
			if r := startSession(t, srv, v["accessToken"].(string), agentID, startBody); r.status != 200 {
				t.Errorf("start: %d %s", r.status, r.body)
			}
		}},
		{emulator.StateAgentInactive, nil, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), agentID, startBody), 422, "RequestProcessingException", "active version")
		}},
		{emulator.StateNoAgent, map[string]any{"agentId": unknown}, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), unknown, startBody), 404, "NotFoundError", "Resource not found")
		}},
		{emulator.StateTokenExpired, nil, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), agentID, startBody), 401, "UnauthorizedError", "expired")
		}},
		{emulator.StateForbidden, nil, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), agentID, startBody), 403, "ForbiddenError", "Manage AI Agents")
		}},
		{emulator.StateBusy, nil, func(t *testing.T, v map[string]any) {
			tok := v["accessToken"].(string)
			wantError(t, startSession(t, srv, tok, agentID, startBody), 423, "ServerBusyError", "busy")
			if r := startSession(t, srv, tok, agentID, startBody); r.status != 200 {
				t.Errorf("the request after the busy one: %d, want 200", r.status)
			}
		}},
		{emulator.StateRateLimited, nil, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), agentID, startBody), 429, "TooManyRequestsError", "Too many requests")
		}},
		{emulator.StateUnavailable, nil, func(t *testing.T, v map[string]any) {
			wantError(t, startSession(t, srv, v["accessToken"].(string), agentID, startBody), 503, "ServiceUnavailable", "unavailable")
		}},
		{emulator.StateSession, nil, func(t *testing.T, v map[string]any) {
			if r := sendText(t, srv, v["accessToken"].(string), v["sessionId"].(string), v["sequenceId"]); r.status != 200 {
				t.Errorf("send: %d %s", r.status, r.body)
			}
		}},
		{emulator.StateSessionEnded, nil, func(t *testing.T, v map[string]any) {
			wantError(t, sendText(t, srv, v["accessToken"].(string), v["sessionId"].(string), v["sequenceId"]), 404, "NotFoundException", "V6Session not found")
		}},
	}
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.state)
		t.Run(c.state, func(t *testing.T) {
			v := stateValues(t, srv, c.state, c.params)
			if tok, _ := v["accessToken"].(string); tok == "" {
				t.Fatalf("setup handed out no accessToken: %v", v)
			}
			c.check(t, v)
		})
	}
	slices.Sort(covered)
	if !slices.Equal(covered, emulator.ProviderStates()) {
		t.Errorf("tested states %q, the emulator sets up %q: test every one", covered, emulator.ProviderStates())
	}
}

// A state sets the org up from its params: a client app, agent and My
// Domain the org file does not have are created, so a pact's own literals
// verify against any org.
func TestProviderStateParamsCreateFixtures(t *testing.T) {
	srv := start(t, testOrg(t)) // acme: no agentshape-demo app, no demo agent
	params := map[string]any{"clientId": "pact-app", "clientSecret": "pact-secret", "agentId": agentID,
		"myDomain": "https://example-co.my.salesforce.com"}
	v := stateValues(t, srv, emulator.StateAgentActive, params)
	if v["agentId"] != agentID || v["clientId"] != "pact-app" || v["myDomain"] != "https://example-co.my.salesforce.com" {
		t.Errorf("values %v do not echo the fixtures", v)
	}
	if r := getToken(t, srv, "pact-app", "pact-secret"); r.status != 200 {
		t.Errorf("token for the created app: %d %s", r.status, r.body)
	}
	if r := startSession(t, srv, v["accessToken"].(string), agentID, startBody); r.status != 200 {
		t.Errorf("start on the created agent with the example My Domain: %d %s", r.status, r.body)
	}
	// Teardown restores the org file's org: the created app is gone again.
	if r := setUpState(t, srv, emulator.StateAgentActive, params, "teardown"); r.status != 200 || strings.TrimSpace(string(r.body)) != "{}" {
		t.Fatalf("teardown: %d %s", r.status, r.body)
	}
	if r := getToken(t, srv, "pact-app", "pact-secret"); r.status != 400 {
		t.Errorf("token for the app after teardown: %d, want 400 (the org file has no such app)", r.status)
	}
}

// Teardown undoes a state: a deactivated agent is active again.
func TestProviderStateTeardown(t *testing.T) {
	srv := start(t, nil)
	v := stateValues(t, srv, emulator.StateAgentInactive, nil)
	if r := setUpState(t, srv, emulator.StateAgentInactive, nil, "teardown"); r.status != 200 {
		t.Fatalf("teardown: %d %s", r.status, r.body)
	}
	if r := startSession(t, srv, v["accessToken"].(string), agentID, startBody); r.status != 200 {
		t.Errorf("start after teardown: %d %s", r.status, r.body)
	}
}

// Bad state changes are refused with a message naming what was wrong.
func TestProviderStateRefusals(t *testing.T) {
	srv := start(t, nil)
	for _, c := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"unknown state", `{"state":"the moon is full","action":"setup"}`, 400, emulator.StateSession},
		{"unknown param", `{"state":"a session exists","params":{"agentID":"x"}}`, 400, `unknown param "agentID"`},
		{"param not a string", `{"state":"a session exists","params":{"agentId":7}}`, 400, `param "agentId" is a JSON number`},
		{"malformed agent ID", `{"state":"a session exists","params":{"agentId":"001AA0000000001AAA"}}`, 400, "not a valid agent ID"},
		{"app without secret", `{"state":"a client app may use the client credentials flow","params":{"clientId":"new"}}`, 400, "clientSecret"},
		{"last agent removed", `{"state":"no agent has the requested ID","params":{"agentId":"` + agentID + `"}}`, 400, "at least one agent"},
		{"no agent named", `{"state":"no agent has the requested ID"}`, 400, "params.agentId"},
		{"unknown action", `{"state":"a session exists","action":"reset"}`, 400, `action "reset"`},
		{"unknown member", `{"state":"a session exists","actions":"setup"}`, 400, "actions"},
		{"not JSON", `state=a`, 400, "provider state change"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "POST", srv.URL+emulator.ProviderStatesPath, c.body, map[string]string{"Content-Type": "application/json"})
			if msg, _ := r.json(t)["error"].(string); r.status != c.status || !strings.Contains(msg, c.want) {
				t.Errorf("%d %s; want %d mentioning %q", r.status, r.body, c.status, c.want)
			}
		})
	}
	if r := do(t, "GET", srv.URL+emulator.ProviderStatesPath, "", nil); r.status != 405 {
		t.Errorf("GET: %d, want 405", r.status)
	}
	// A refused change leaves the emulator as it was.
	if r := startSession(t, srv, token(t, srv), agentID, startBody); r.status != 200 {
		t.Errorf("start after refused changes: %d %s", r.status, r.body)
	}
}

// With the admin API off there is no provider-state endpoint.
func TestProviderStatesOffWithoutAdmin(t *testing.T) {
	srv := start(t, nil, func(o *emulator.Options) { o.DisableAdmin = true })
	if r := setUpState(t, srv, emulator.StateSession, nil, "setup"); r.status != 404 {
		t.Errorf("provider state with the admin API off: %d %s, want 404", r.status, r.body)
	}
}
