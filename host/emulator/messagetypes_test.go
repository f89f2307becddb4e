package emulator_test

import (
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// TestSendMessageTypes: every documented message type (agent-api.md §13) is
// accepted, answered, and counted; the answers validate.
func TestSendMessageTypes(t *testing.T) {
	srv := start(t, nil)
	tok := token(t, srv)
	sid := newSession(t, srv, tok)
	u := srv.URL + emulator.APIPrefix + "/sessions/" + sid + "/messages"
	for i, c := range []struct{ message, says string }{
		{`{"type":"Text","sequenceId":1,"text":"Where is my order?"}`, "You said: Where is my order?"},
		{`{"type":"Text","sequenceId":2,"text":"That one.","inReplyToMessageId":"m1"}`, "You said: That one."},
		{`{"type":"Reply","sequenceId":3,"inReplyToMessageId":"m1","reply":[{"type":"Order","property":"orderNumber","value":"00001234"}]}`, "Order.orderNumber = 00001234"},
		{`{"type":"Cancel","sequenceId":4,"inReplyToMessageId":"m1"}`, "Cancelled"},
		{`{"type":"TransferFailed","sequenceId":5,"inReplyToMessageId":"m1","reason":"NoAgentAvailable","description":"Nobody is online."}`, "The transfer failed (NoAgentAvailable): Nobody is online."},
		{`{"type":"TransferSucceeded","sequenceId":6,"inReplyToMessageId":"m1"}`, "transferred"},
		{`{"type":"PlanTemplate","sequenceId":7,"inReplyToMessageId":"m1","details":{"planId":"p9","intent":"track","userUtterance":"track it","variables":{}}}`, "Running plan p9."},
	} {
		r := do(t, "POST", u, `{"message":`+c.message+`,"variables":[{"name":"orderTier","type":"Text","value":"gold"}]}`, authJSON(tok))
		if r.status != 200 || !strings.Contains(string(r.body), c.says) {
			t.Fatalf("message %d: %d %s, want the answer to say %q", i, r.status, r.body, c.says)
		}
		if vs, err := schemas.Validate(schemas.SendMessageResponse, r.body); err != nil || len(vs) != 0 {
			t.Errorf("message %d: the answer is not a valid send-message-response: %v %v", i, vs, err)
		}
	}
	if n := srv.Sessions()[0].Messages; n != 7 {
		t.Fatalf("%d messages counted, want 7", n)
	}
}

// TestTypedVariableValues: a variable's value may be a string or the JSON
// value its type documents (agent-api.md §3, §13).
func TestTypedVariableValues(t *testing.T) {
	org := emulator.DefaultOrg()
	org.Agents[0].Variables = nil // apply every variable sent
	srv := start(t, org)
	tok := token(t, srv)
	body := `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[
	  {"name":"isVip","type":"Boolean","value":true},{"name":"openCases","type":"Number","value":3},
	  {"name":"prefs","type":"Json","value":{"lang":"de"}},{"name":"tags","type":"List","value":["a","b"]},
	  {"name":"since","type":"Date","value":"2024-02-29"},{"name":"asText","type":"Number","value":"4"}]}`
	if r := startSession(t, srv, tok, agentID, body); r.status != 200 {
		t.Fatalf("typed values: %d %s", r.status, r.body)
	}
	got := srv.Sessions()[0].Variables
	if len(got) != 6 || got[0].Value != true || got[1].Value != float64(3) || got[5].Value != "4" {
		t.Fatalf("variables applied as %#v", got)
	}
	// The same shape with a string value, then a number: the verdict cache
	// masks string values, never numbers, so the second is still judged.
	if r := startSession(t, srv, tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[{"name":"d","type":"Date","value":"2024-02-29"}]}`); r.status != 200 {
		t.Fatalf("Date as text: %d %s", r.status, r.body)
	}
	wantError(t, startSession(t, srv, tok, agentID, `{"externalSessionKey":"k","instanceConfig":{"endpoint":"https://example-co.my.salesforce.com"},"variables":[{"name":"d","type":"Date","value":20240229}]}`),
		400, "BadRequestError", "must be a string for a Text, Date, DateTime, Money or Ref variable")
}
