package emulator_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
)

// agent-api.md §7: the token endpoint's refusals, OAuth style.
func TestTokenEndpointErrors(t *testing.T) {
	srv := start(t, nil)
	form := func(v url.Values) string { return v.Encode() }
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	cases := []struct {
		name, method, body string
		hdr                map[string]string
		status             int
		code               string
	}{
		{"wrong secret", "POST", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {emulator.DemoClientID}, "client_secret": {"nope"}}), ct, 400, "invalid_client"},
		{"unknown client", "POST", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"who"}, "client_secret": {"x"}}), ct, 400, "invalid_client_id"},
		{"no client", "POST", form(url.Values{"grant_type": {"client_credentials"}}), ct, 400, "invalid_client_id"},
		{"password grant", "POST", form(url.Values{"grant_type": {"password"}, "client_id": {emulator.DemoClientID}, "client_secret": {emulator.DemoClientSecret}}), ct, 400, "unsupported_grant_type"},
		{"JSON body", "POST", `{"grant_type":"client_credentials"}`, map[string]string{"Content-Type": "application/json"}, 400, "invalid_request"},
		{"GET", "GET", "", nil, 405, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, srv.URL+emulator.TokenPath, c.body, c.hdr)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			m := r.json(t)
			if m["error"] != c.code || m["error_description"] == "" {
				t.Errorf("body %s, want error %s", r.body, c.code)
			}
			if s := string(r.body); strings.Contains(s, emulator.DemoClientSecret) {
				t.Errorf("answer leaks the client secret: %s", s)
			}
		})
	}
	if got := srv.State().TokensIssued; got != 0 {
		t.Errorf("TokensIssued = %d after refusals", got)
	}
}

// Client credentials in an HTTP Basic header are accepted too.
func TestTokenEndpointBasicAuth(t *testing.T) {
	srv := start(t, nil)
	r := do(t, "POST", srv.URL+emulator.TokenPath, "grant_type=client_credentials", map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded",
		"Authorization": "Basic YWdlbnRzaGFwZS1kZW1vOmRlbW8tc2VjcmV0", // agentshape-demo:demo-secret
	})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// Revoked tokens get 401; a fresh token works again (agent-api.md §5).
func TestRevokeTokens(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	srv.RevokeTokens()
	wantError(t, startSession(t, srv, tok, agentID, startBody), 401, "UnauthorizedError", "revoked")
	if r := startSession(t, srv, token(t, srv), agentID, startBody); r.status != 200 {
		t.Fatalf("fresh token after revoke: %d %s", r.status, r.body)
	}
}
