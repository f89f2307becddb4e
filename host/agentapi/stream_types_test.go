package agentapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// TestMessageBody: every documented message type (agent-api.md §13) builds a
// body the send-message-request schema accepts; a type or content the
// reference does not document is refused before anything is sent.
func TestMessageBody(t *testing.T) {
	for _, m := range []agentapi.RequestMessage{
		{Type: agentapi.MessageText, SequenceID: 1, Text: "hi"},
		{Type: agentapi.MessageText, SequenceID: 2, Text: "that one", InReplyToMessageID: "m1"},
		{Type: agentapi.MessageReply, SequenceID: 3, InReplyToMessageID: "m1", Reply: []agentapi.ReplyValue{{Type: "Order", Property: "orderNumber", Value: "00001234"}}},
		{Type: agentapi.MessageReply, SequenceID: 4, InReplyToMessageID: "m1"},
		{Type: agentapi.MessageCancel, SequenceID: 5, InReplyToMessageID: "m1"},
		{Type: agentapi.MessageTransferFailed, SequenceID: 6, InReplyToMessageID: "m1", Reason: "Error", Description: "queue closed"},
		{Type: agentapi.MessageTransferSucceeded, SequenceID: 7, InReplyToMessageID: "m1"},
		{Type: agentapi.MessagePlanTemplate, SequenceID: 8, InReplyToMessageID: "m1", Details: json.RawMessage(`{"planId":"p1","intent":"track","userUtterance":"track it","variables":{}}`)},
	} {
		b, err := agentapi.MessageBody(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		if vs, err := schemas.Validate(schemas.SendMessageRequest, b); err != nil || len(vs) != 0 {
			t.Errorf("%s: %s is not a valid send-message-request: %v %v", m.Type, b, vs, err)
		}
	}
	for _, m := range []agentapi.RequestMessage{
		{Type: "Inform", SequenceID: 1},
		{Type: agentapi.MessageTransferFailed, SequenceID: 1, Reason: "Busy"},
		{Type: agentapi.MessagePlanTemplate, SequenceID: 1},
	} {
		if _, err := agentapi.MessageBody(m); !errors.Is(err, agentapi.ErrInvalidArgument) || !strings.Contains(err.Error(), "agent-api.md §13") {
			t.Errorf("%+v: %v", m, err)
		}
	}
}

// TestStreamValidationFailureChunk: against a scripted emulator on
// 127.0.0.1, every event type arrives in order, and a ValidationFailureChunk
// withdraws the text chunks streamed before it (agent-api.md §12).
func TestStreamValidationFailureChunk(t *testing.T) {
	org := emulator.DefaultOrg()
	org.Agents[0].StreamScript = []emulator.StreamStep{
		{Type: "ProgressIndicator", Text: "Looking up your order…"},
		{Type: "TextChunk", Text: "Your order "},
		{Type: "TextChunk", Text: "was lost."},
		{Type: "ValidationFailureChunk", Text: "withdrawn by the trust layer"},
		{Type: "TextChunk", Text: "Your order shipped."},
		{Type: "Inform", Text: "Your order shipped."},
		{Type: "Inquire", Text: "Anything else?"},
		{Type: "EndOfTurn"},
	}
	srv := startEmulator(t, org)
	c := emuClient(t, srv, nil)
	ctx := context.Background()
	started, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var shown []string // what a chat window shows, chunk by chunk
	out, err := c.SendMessageStream(ctx, started.Session.SessionID, agentapi.TextMessage(1, "Where is my order?"), func(e agentapi.StreamEvent) error {
		names = append(names, e.Type)
		b, _ := json.Marshal(map[string]any{"event": e.Type, "data": e.Data})
		if vs, err := schemas.Validate(schemas.StreamEvent, b); err != nil || len(vs) != 0 {
			t.Errorf("event %s is not a valid stream-event: %v %v", e.Type, vs, err)
		}
		switch {
		case e.Withdraws > 0:
			shown = shown[:len(shown)-e.Withdraws]
		case e.Message != nil && e.Message.Type == "TextChunk":
			shown = append(shown, e.Message.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "PROGRESS_INDICATOR TEXT_CHUNK TEXT_CHUNK VALIDATION_FAILURE_CHUNK TEXT_CHUNK INFORM INQUIRE END_OF_TURN"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
	if got := strings.Join(shown, ""); got != "Your order shipped." {
		t.Errorf("the window shows %q after the withdrawal, want only what streamed after it", got)
	}
	var types []string
	for _, m := range out.Messages.Messages {
		types = append(types, m.Type)
	}
	if got := strings.Join(types, " "); got != "ProgressIndicator ValidationFailureChunk TextChunk Inform Inquire EndOfTurn" {
		t.Errorf("the outcome keeps %s; the withdrawn chunks must be gone", got)
	}
}
