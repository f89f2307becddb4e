package emulator_test

import (
	"bufio"
	"context"
	"encoding/json"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// mustValidate fails the test when body breaks the named schema.
func mustValidate(t *testing.T, name schemas.Name, what string, body []byte) {
	t.Helper()
	vs, err := schemas.Validate(name, body)
	if err != nil || len(vs) != 0 {
		t.Errorf("%s is not a valid %s: %v %v\n%s", what, name, err, vs, body)
	}
}

// TestAnswersMatchTheirSchemas: every answer the client reads, as the real
// emulator on 127.0.0.1 sends it, is valid against its schema
// (agent-api.md §5, §7, §11, §12).
func TestAnswersMatchTheirSchemas(t *testing.T) {
	srv := start(t, nil)
	tr := getToken(t, srv, emulator.DemoClientID, emulator.DemoClientSecret)
	mustValidate(t, schemas.TokenResponse, "the token answer", tr.body)
	tok := tr.json(t)["access_token"].(string)

	sr := startSession(t, srv, tok, agentID, startBody)
	mustValidate(t, schemas.StartSessionResponse, "the Start Session answer", sr.body)
	sid := sr.json(t)["sessionId"].(string)
	base := srv.URL + emulator.APIPrefix + "/sessions/" + sid

	send := do(t, "POST", base+"/messages", `{"message":{"type":"Text","sequenceId":1,"text":"Where is my order?"}}`, authJSON(tok))
	mustValidate(t, schemas.SendMessageResponse, "the Send Message answer", send.body)

	resp := streamReq(t, context.Background(), base+"/messages/stream", tok, `{"message":{"type":"Text","sequenceId":2,"text":"And the invoice?"}}`, "text/event-stream")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	n := 0
	for {
		ev, ok := readEvent(t, br)
		if !ok {
			break
		}
		n++
		b, _ := json.Marshal(map[string]any{"event": ev.event, "data": ev.data})
		mustValidate(t, schemas.StreamEvent, "streamed event "+ev.event, b)
	}
	if n == 0 {
		t.Fatal("the stream held no event")
	}

	end := do(t, "DELETE", base, "", map[string]string{"Authorization": "Bearer " + tok, "x-session-end-reason": "UserRequest"})
	mustValidate(t, schemas.EndSessionResponse, "the End Session answer", end.body)

	gone := do(t, "DELETE", base, "", map[string]string{"Authorization": "Bearer " + tok, "x-session-end-reason": "UserRequest"})
	if gone.status != 404 {
		t.Fatalf("a second End Session answered %d", gone.status)
	}
	mustValidate(t, schemas.ErrorResponse, "the 404 answer", gone.body)
}
