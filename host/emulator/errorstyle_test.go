package emulator_test

import (
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// TestLiveErrorStyle: with errorStyle live the emulator answers as recorded
// live orgs do (agent-api.md §5): …Exception classes, mode and expected, a
// versioned internal path, and 500 HttpServerErrorException for a malformed
// agent ID where the reference documents 400. Both styles validate against
// error-response.
func TestLiveErrorStyle(t *testing.T) {
	for _, style := range []emulator.ErrorStyle{emulator.DocumentedErrors, emulator.LiveErrors} {
		t.Run(string(style), func(t *testing.T) {
			org := emulator.DefaultOrg()
			org.ErrorStyle = style
			srv := start(t, org)
			tok := token(t, srv)
			live := style == emulator.LiveErrors

			bad := startSession(t, srv, tok, "0Xxbad", startBody)
			gone := do(t, "POST", srv.URL+emulator.APIPrefix+"/sessions/2b8e4f60-d1a3-47c9-9e05-6f7a8b9c0d1e/messages",
				`{"message":{"type":"Text","sequenceId":1,"text":"hi"}}`, authJSON(tok))
			unauth := startSession(t, srv, "not-a-token", agentID, startBody)
			for _, r := range []reply{bad, gone, unauth} {
				if vs, err := schemas.Validate(schemas.ErrorResponse, r.body); err != nil || len(vs) != 0 {
					t.Errorf("%s is not a valid error-response: %v %v", r.body, vs, err)
				}
				m := r.json(t)
				if _, has := m["expected"]; has != live {
					t.Errorf("expected member present %v, want %v: %s", has, live, r.body)
				}
			}
			if !live {
				wantError(t, bad, 400, "BadRequestError", "0Xxbad is not a valid agent ID")
				wantError(t, gone, 404, "NotFoundException", "V6Session not found")
				wantError(t, unauth, 401, "UnauthorizedError", "")
				if p := gone.json(t)["path"]; p != emulator.APIPrefix+"/sessions/2b8e4f60-d1a3-47c9-9e05-6f7a8b9c0d1e/messages" {
					t.Errorf("path %v", p)
				}
				return
			}
			wantError(t, bad, 500, "HttpServerErrorException", "UNKNOWN_EXCEPTION")
			if m := bad.json(t); m["expected"] != false || m["mode"] != "unknown" || m["path"] != "v6.0.0/agents/0Xxbad/sessions" {
				t.Errorf("malformed agent ID, live: %s", bad.body)
			}
			wantError(t, gone, 404, "NotFoundException", "V6Session not found for sessionId: 2b8e4f60-d1a3-47c9-9e05-6f7a8b9c0d1e")
			if m := gone.json(t); m["expected"] != true || m["path"] != "v6.0.0/sessions/2b8e4f60-d1a3-47c9-9e05-6f7a8b9c0d1e/messages" {
				t.Errorf("gone session, live: %s", gone.body)
			}
			wantError(t, unauth, 401, "UnauthorizedException", "")
		})
	}
}

func TestErrorStyleRefusesOthers(t *testing.T) {
	org := emulator.DefaultOrg()
	org.ErrorStyle = "loud"
	if err := org.Normalize(); err == nil {
		t.Fatal("errorStyle loud was accepted")
	}
	if _, err := emulator.ParseOrg([]byte("myDomain: https://a.my.salesforce.com\nerrorStyle: loud\nagents: [{id: 0XxAA0000000001AAA}]\nclientApps: [{clientId: a, clientSecret: b, runAs: {username: u}}]\n")); err == nil {
		t.Fatal("the org file's errorStyle loud was accepted")
	}
}
