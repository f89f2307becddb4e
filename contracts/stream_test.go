package contracts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
	message "github.com/pact-foundation/pact-go/v2/message/v4"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// Streaming in the contract (agent-api.md §1, §12) takes two forms a standard Pact verifier
// checks:
//
//   - one HTTP interaction, Send Message with Accept: text/event-stream, whose answer must be a
//     text/event-stream of server-sent events, each an event name and one line of JSON data
//     (sseBodyRe, a regex rule on the body that pact-go cannot declare; added like the status
//     rules);
//   - one V4 asynchronous message per documented event name (EventType), whose content is the
//     event's data with the members its message type documents and whose metadata names the
//     event. The verifier asks the provider for each message (POST / with the description and
//     provider states); the emulator builds it as its streaming endpoint does.

// sseBodyRe is a text/event-stream body: one or more events, each an "event:" line with an
// upper-case name and a "data:" line holding one JSON object, ended by a blank line; "id:",
// "retry:" and ":" comment lines may come between (WHATWG server-sent events; agent-api.md §1).
// The names are not limited to the documented ones: the client passes unknown names on (§12).
const sseBodyRe = `^(?:` + sseOther + `event: ?[A-Z][A-Z_]*\r?\n` + sseOther + `data: ?\{[^\r\n]*\}\r?\n` + sseOther + `\r?\n)+$`

// sseOther is any number of "id:", "retry:" and comment lines.
const sseOther = `(?:(?:id|retry)?:[^\r\n]*\r?\n)*`

// streamDescription is the description of the streaming HTTP interaction.
const streamDescription = "a streaming Send Message request"

// exampleStream is what the consumer test's mock server streams: the reply of §12's example turn.
func exampleStream() string {
	var b strings.Builder
	for _, ev := range []struct{ name, data string }{
		{emulator.EventTextChunk, `{"timestamp":1764324000000,"originEventId":"o1","traceId":"t1","offset":0,"message":{"type":"TextChunk","id":"c1","message":"Your order ","offset":0,"formatType":"Text"}}`},
		{emulator.EventTextChunk, `{"timestamp":1764324000001,"originEventId":"o1","traceId":"t1","offset":11,"message":{"type":"TextChunk","id":"c2","message":"ships tomorrow.","offset":11,"formatType":"Text"}}`},
		{emulator.EventInform, `{"timestamp":1764324000002,"originEventId":"o1","traceId":"t1","offset":26,"message":{"type":"Inform","id":"i1","message":"Your order ships tomorrow.","isContentSafe":true,"feedbackId":"f1"}}`},
		{emulator.EventEndOfTurn, `{"timestamp":1764324000003,"originEventId":"o1","traceId":"t1","offset":26,"message":{"type":"EndOfTurn","id":"e1"}}`},
	} {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", ev.name, ev.data)
	}
	return b.String()
}

// bodyRules are the body matching rules pact-go cannot declare, by interaction description.
func bodyRules() map[string]map[string]any {
	return map[string]map[string]any{
		streamDescription: {"$": map[string]any{"combine": "AND", "matchers": []any{map[string]any{"match": "regex", "regex": sseBodyRe}}}},
	}
}

func testSendMessageStream(t *testing.T) {
	p, in := sessionRequest(t, emulator.StateSession, streamDescription,
		"docs/agent-api.md §1, §12: Accept text/event-stream required, events with a name and JSON data; names beyond the documented ones passed on",
		"POST", "/messages/stream", textBody(1, "Where is my order?"), "Content-Type", "application/json", "Accept", "text/event-stream")
	in.WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
		b.Header("Content-Type", matchers.Regex("text/event-stream", `^text/event-stream(;.*)?$`))
		b.Body("text/event-stream", []byte(exampleStream()))
	})
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		var names []string
		out, err := newClient(t, cfg).SendMessageStream(context.Background(), exampleSessionID, agentapi.TextMessage(1, "Where is my order?"),
			func(e agentapi.StreamEvent) error { names = append(names, e.Type); return nil })
		if err != nil {
			return fmt.Errorf("SendMessageStream: %w", err)
		}
		want := []string{emulator.EventTextChunk, emulator.EventTextChunk, emulator.EventInform, emulator.EventEndOfTurn}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			return fmt.Errorf("events %v, want %v", names, want)
		}
		if out.Output != agentapi.OutputOK || out.Messages == nil || len(out.Messages.Messages) != 4 || out.Messages.Messages[2].Message != "Your order ships tomorrow." {
			return fmt.Errorf("outcome %+v, want 200 with the four messages", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// streamEventKind is one documented event name, the message type it carries and the members
// that type requires beside id and type, as the reference documents them (agent-api.md §11, §12).
type streamEventKind struct {
	event, messageType string
	members            m
}

func streamEventKinds() []streamEventKind {
	like := matchers.Like
	return []streamEventKind{
		{emulator.EventTextChunk, "TextChunk", m{"message": like("Your order "), "offset": matchers.Integer(0),
			"formatType": matchers.Regex("Text", `^(Text|Unknown)$`)}},
		{emulator.EventInform, "Inform", m{"message": like("Your order ships tomorrow."), "isContentSafe": like(true), "feedbackId": like("f1")}},
		{emulator.EventEndOfTurn, "EndOfTurn", m{}},
		{emulator.EventProgressIndicator, "ProgressIndicator", m{"indicatorType": like("ACTION"), "message": like("Looking up your order")}},
		{emulator.EventInquire, "Inquire", m{"feedbackId": like("f1"), "collect": matchers.EachLike(m{"targetType": like("@aiFunctionInput/LookUpOrder")}, 1)}},
		{emulator.EventConfirm, "Confirm", m{"feedbackId": like("f1"), "confirm": like([]any{})}},
		{emulator.EventFailure, "Failure", m{"feedbackId": like("f1"), "code": like("ACTION_FAILED")}},
		{emulator.EventEscalate, "Escalate", m{"feedbackId": like("f1"), "targets": matchers.EachLike(m{"type": like("Salesforce:Core:Queue:Id"), "value": like("00GAA0000000001AAA")}, 1)}},
		{emulator.EventSessionEnded, "SessionEnded", m{"reason": like("ClientRequest")}},
		{emulator.EventError, "Error", m{"feedbackId": like("f1"), "httpStatus": matchers.Integer(500), "error": like("HttpServerErrorException"),
			"message": like("The agent failed to answer."), "expected": like(false)}},
		// UNKNOWN names no message type: any type is accepted (agent-api.md §12).
		{emulator.EventUnknown, "", m{}},
	}
}

// eventDescription is the description of the message for one event name.
func eventDescription(event string) string { return "a streamed " + event + " event" }

// eventData is the data of a streamed event (CopilotEvent, agent-api.md §1, §12) carrying k's message.
func (k streamEventKind) eventData() m {
	msg := m{"id": matchers.Like("9d8e7f60-1a2b-4c3d-8e4f-5a6b7c8d9e0f"), "type": k.messageType}
	if k.messageType == "" {
		msg["type"] = matchers.Like("Unknown")
	}
	for name, v := range k.members {
		msg[name] = v
	}
	return m{
		"timestamp":     matchers.Integer(exampleMillis),
		"originEventId": matchers.Like("0e2b1c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e"),
		"traceId":       matchers.Like("69feac6d79e075633486f4f722fd97c3"),
		"offset":        matchers.Integer(0),
		"message":       msg,
	}
}

// testStreamEvents records one V4 asynchronous message per documented event name. The consumer
// is the real client: each message is streamed to it as a server-sent event and must come out as
// that event, with its message decoded.
func testStreamEvents(t *testing.T) {
	for _, k := range streamEventKinds() {
		t.Run(k.event, func(t *testing.T) {
			p, err := message.NewAsynchronousPact(message.Config{Consumer: consumerName, Provider: providerName, PactDir: pactOut})
			if err != nil {
				t.Fatalf("pact message provider: %v (is libpact_ffi installed? run `make setup-pact`)", err)
			}
			state := given(emulator.StateStreamEvent)
			state.Parameters[emulator.ParamEvent] = k.event
			err = p.AddAsynchronousMessage().
				GivenWithParameter(state).
				ExpectsToReceive(eventDescription(k.event)).
				WithMetadata(map[string]string{"event": k.event}).
				WithJSONContent(k.eventData()).
				AsType(new(map[string]any)).
				ConsumedBy(func(msg message.AsynchronousMessage) error { return streamToClient(t, k, msg.Contents) }).
				Verify(t)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// streamToClient streams data as one event named k.event to the agentshape client and checks the
// event it hands on.
func streamToClient(t *testing.T, k streamEventKind, data []byte) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","instance_url":%q}`, exampleToken, myDomain)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", k.event, data)
	}))
	defer srv.Close()
	c, err := agentapi.New(agentapi.Config{MyDomain: myDomain, TokenURL: srv.URL + tokenPath, ClientID: clientID, ClientSecret: clientSecret,
		APIBaseURL: srv.URL, Timeout: 10 * time.Second, Retry: agentapi.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		return err
	}
	defer c.Close()
	var got []agentapi.StreamEvent
	out, err := c.SendMessageStream(context.Background(), exampleSessionID, agentapi.TextMessage(1, "Where is my order?"),
		func(e agentapi.StreamEvent) error { got = append(got, e); return nil })
	if err != nil {
		return fmt.Errorf("SendMessageStream: %w", err)
	}
	if len(got) != 1 || got[0].Type != k.event || got[0].Message == nil || got[0].Message.ID == "" {
		return fmt.Errorf("events %+v, want one %s event with its message", got, k.event)
	}
	msg := got[0].Message
	switch {
	case k.messageType != "" && msg.Type != k.messageType:
		return fmt.Errorf("message type %q, want %q", msg.Type, k.messageType)
	case k.messageType == "" && msg.Type == "":
		return errors.New("the UNKNOWN event's message has no type")
	case (k.messageType == "TextChunk" || k.messageType == "Inform") && msg.Message == "":
		return fmt.Errorf("%s without its text", k.messageType)
	case k.messageType == "SessionEnded" && msg.Reason == "":
		return errors.New("SessionEnded without its reason")
	}
	if out.Output != agentapi.OutputOK || len(out.Messages.Messages) != 1 {
		return fmt.Errorf("outcome %+v, want 200 with the one message", out)
	}
	return nil
}

// testSubmitFeedback: Submit Feedback (agent-api.md §1) answers 202 with no body.
func testSubmitFeedback(t *testing.T) {
	p, in := sessionRequest(t, emulator.StateSession, "a Submit Feedback request",
		"docs/agent-api.md §1: FeedbackMessage (feedbackId, feedback GOOD or BAD, text), 202",
		"POST", "/feedback", m{"feedbackId": matchers.Like("f1"), "feedback": matchers.Regex("GOOD", `^(GOOD|BAD)$`), "text": matchers.Like("Helpful.")},
		"Content-Type", "application/json")
	in.WillRespondWith(202)
	err := p.ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
		out, err := newClient(t, cfg).SubmitFeedback(context.Background(), exampleSessionID, agentapi.FeedbackMessage("f1", agentapi.FeedbackGood, "Helpful."))
		if err != nil {
			return fmt.Errorf("SubmitFeedback: %w", err)
		}
		if out.Output != agentapi.OutputOK || out.ResponseCode != 202 || out.Attempts != 1 {
			return fmt.Errorf("outcome %+v, want the 200 output with response code 202", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
