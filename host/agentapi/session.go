package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentshape/agentshape/internal/sse"
)

// Operation names used in errors and logs.
const (
	OpStartSession      = "start session"
	OpSendMessage       = "send message"
	OpSendMessageStream = "send message (stream)"
	OpEndSession        = "end session"
)

// EndReason is the x-session-end-reason header value (EndSessionReason,
// agent-api.md §1).
type EndReason string

// The documented end reasons.
const (
	EndUserRequest EndReason = "UserRequest"
	EndTransfer    EndReason = "Transfer"
	EndExpiration  EndReason = "Expiration"
	EndError       EndReason = "Error"
	EndOther       EndReason = "Other"
)

// Valid reports whether r is one of the documented reasons.
func (r EndReason) Valid() bool {
	switch r {
	case EndUserRequest, EndTransfer, EndExpiration, EndError, EndOther:
		return true
	}
	return false
}

// StartSession sends the Start Session request (POST
// /agents/{agentId}/sessions, agent-api.md §1) with body as given — shape
// and validate it first. The agent ID is checked before anything is sent; a
// bad one, or a body that is not a JSON object, returns a nil Outcome and an
// error wrapping ErrInvalidAgentID or ErrInvalidArgument.
//
// On 200 the Outcome's Session is set and err is nil. Start Session is not
// idempotent: it is sent again only after an attempt that provably created
// no session — the connection failed before any of the request was written,
// or the server answered 401 (repeated once with a new token). With
// RetryPolicy.RetryUnsafe it is also repeated after 423, 429 and 503, which
// may create a second session (agent-api.md §10).
func (c *Client) StartSession(ctx context.Context, agentID string, body json.RawMessage) (*Outcome, error) {
	check := ValidateAgentID
	if c.cfg.SkipAgentIDCheck {
		check = validatePathSafeID
	}
	if err := check(agentID); err != nil {
		return nil, fmt.Errorf("agentapi: %s: %w", OpStartSession, err)
	}
	if err := jsonObject("Start Session body", body); err != nil {
		return nil, err
	}
	return c.do(ctx, request{
		op: OpStartSession, method: http.MethodPost,
		path:   "/agents/" + agentID + "/sessions",
		body:   body,
		accept: "application/json",
		decode: decodeStartSession,
	})
}

// SendMessage sends one message synchronously (POST
// /sessions/{sessionId}/messages). body is the documented request, e.g.
// TextMessage(1, "Hi"). On 200 the Outcome's Messages is set. Like Start
// Session it is repeated after 423, 429 and 503 only with
// RetryPolicy.RetryUnsafe (agent-api.md §10).
func (c *Client) SendMessage(ctx context.Context, sessionID string, body json.RawMessage) (*Outcome, error) {
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if err := jsonObject("Send Message body", body); err != nil {
		return nil, err
	}
	return c.do(ctx, request{
		op: OpSendMessage, method: http.MethodPost,
		path:   "/sessions/" + url.PathEscape(sessionID) + "/messages",
		body:   body,
		accept: "application/json",
		decode: decodeMessages(true),
	})
}

// StreamEvent is one server-sent event of the streaming endpoint
// (agent-api.md §1: event = message type, data = JSON).
type StreamEvent struct {
	// Type is the SSE event name, e.g. "TEXT_CHUNK", "END_OF_TURN".
	Type string
	// ID is the SSE id, if the server sends one.
	ID string
	// Data is the event's data as received (a JSON object).
	Data json.RawMessage
	// Message is data.message, decoded, when present.
	Message *Message
	// Offset is data.offset, when present.
	Offset int64
	// Withdraws is, for a ValidationFailureChunk (recognised by its message
	// type under any event name), how many TextChunk messages of this
	// stream it withdraws: every one received before it. A client that
	// showed them removes them and shows what streams after (agent-api.md
	// §12); the Outcome's Messages no longer holds them.
	Withdraws int
}

// MessageValidationFailureChunk is the type of the streamed message that
// withdraws the text chunks shown so far (agent-api.md §12).
const MessageValidationFailureChunk = "ValidationFailureChunk"

// SendMessageStream sends one message to the streaming endpoint (POST
// /sessions/{sessionId}/messages/stream, Accept: text/event-stream) and
// calls handle for every event as soon as it arrives, in order, on the
// caller's goroutine, every event whatever its name (agent-api.md §12). A
// ValidationFailureChunk withdraws the TextChunk messages received before it
// (StreamEvent.Withdraws says how many); the Outcome's Messages then holds
// only what stands. handle may return ErrStopStream to end early without an
// error; any other error stops the stream and is returned. On 200 the
// Outcome's Messages collects every event's message. The per-call timeout
// (Config.Timeout) covers the whole stream. A stream that breaks off after
// the 200 is a *TransportError with MayHaveReached set; it is not repeated.
func (c *Client) SendMessageStream(ctx context.Context, sessionID string, body json.RawMessage, handle func(StreamEvent) error) (*Outcome, error) {
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if err := jsonObject("Send Message body", body); err != nil {
		return nil, err
	}
	if handle == nil {
		handle = func(StreamEvent) error { return nil }
	}
	return c.do(ctx, request{
		op: OpSendMessageStream, method: http.MethodPost,
		path:   "/sessions/" + url.PathEscape(sessionID) + "/messages/stream",
		body:   body,
		accept: "text/event-stream",
		stream: func(resp *http.Response, out *Outcome) error {
			if mt := mediaType(resp.Header); mt != "text/event-stream" {
				return &ResponseError{Op: OpSendMessageStream, Status: resp.StatusCode,
					Reason: fmt.Sprintf("Content-Type is %q, want text/event-stream", resp.Header.Get("Content-Type")), Err: ErrMalformedResponse}
			}
			out.Messages = &MessagesResponse{Messages: []Message{}}
			limit := int(c.cfg.MaxResponseBytes)
			err := sse.Read(resp.Body, limit, func(e sse.Event) error {
				ev := StreamEvent{Type: e.Type, ID: e.ID, Data: json.RawMessage(e.Data)}
				var data struct {
					Offset  int64           `json:"offset"`
					Message json.RawMessage `json:"message"`
				}
				if err := json.Unmarshal(e.Data, &data); err != nil {
					return &ResponseError{Op: OpSendMessageStream, Status: resp.StatusCode,
						Reason: fmt.Sprintf("event %q: data is not a JSON object: %v", e.Type, err), Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
				}
				ev.Offset = data.Offset
				if len(data.Message) > 0 && !bytes.Equal(data.Message, []byte("null")) {
					var m Message
					if err := json.Unmarshal(data.Message, &m); err != nil {
						return &ResponseError{Op: OpSendMessageStream, Status: resp.StatusCode,
							Reason: fmt.Sprintf("event %q: data.message is not a message object: %v", e.Type, err), Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
					}
					ev.Message = &m
					if m.Type == MessageValidationFailureChunk {
						kept := out.Messages.Messages[:0]
						for _, prev := range out.Messages.Messages {
							if prev.Type == "TextChunk" {
								ev.Withdraws++
								continue
							}
							kept = append(kept, prev)
						}
						out.Messages.Messages = kept
					}
					out.Messages.Messages = append(out.Messages.Messages, m)
				}
				if err := handle(ev); err != nil {
					if errors.Is(err, ErrStopStream) {
						return sse.ErrStop
					}
					return &handlerError{err}
				}
				return nil
			})
			if errors.Is(err, sse.ErrEventTooLarge) {
				return &ResponseError{Op: OpSendMessageStream, Status: resp.StatusCode, Reason: err.Error(), Err: fmt.Errorf("%w: %w", ErrResponseTooLarge, err)}
			}
			return err
		},
	})
}

// EndSession ends a session (DELETE /sessions/{sessionId} with
// x-session-end-reason). On 200 the Outcome's Messages holds the
// SessionEnded message when the server sends one. Ending is idempotent
// (DELETE), so it is also repeated after 423, 429 and 503; a repeat whose
// earlier attempt did end the session answers 404 (agent-api.md §10).
func (c *Client) EndSession(ctx context.Context, sessionID string, reason EndReason) (*Outcome, error) {
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if !reason.Valid() {
		return nil, fmt.Errorf("agentapi: %s: %w: end reason %q: use UserRequest, Transfer, Expiration, Error or Other", OpEndSession, ErrInvalidArgument, reason)
	}
	return c.do(ctx, request{
		op: OpEndSession, method: http.MethodDelete,
		path:   "/sessions/" + url.PathEscape(sessionID),
		accept: "application/json",
		header: map[string]string{"x-session-end-reason": string(reason)},
		decode: decodeMessages(false),
	})
}

// TextMessage builds a Send Message body with one Text message
// (agent-api.md §1); sequenceID must increase within a session.
func TextMessage(sequenceID int64, text string) json.RawMessage {
	b, _ := MessageBody(RequestMessage{Type: MessageText, SequenceID: sequenceID, Text: text})
	return b
}

// The documented Send Message message types (RequestMessageType,
// agent-api.md §13).
const (
	MessageText              = "Text"
	MessageReply             = "Reply"
	MessageCancel            = "Cancel"
	MessageTransferFailed    = "TransferFailed"
	MessageTransferSucceeded = "TransferSucceeded"
	MessagePlanTemplate      = "PlanTemplate"
)

// RequestMessage is one message a client sends, of any documented type
// (agent-api.md §13). Which members a type carries: Text has Text (and may
// answer InReplyToMessageID); Reply has InReplyToMessageID and Reply;
// Cancel and TransferSucceeded have InReplyToMessageID; TransferFailed has
// InReplyToMessageID, Reason (NoAgentAvailable or Error) and Description;
// PlanTemplate has InReplyToMessageID and Details.
type RequestMessage struct {
	// Type is one of the Message* constants.
	Type string
	// SequenceID must increase within a session (agent-api.md §1).
	SequenceID int64
	// Text is what the user says (Text).
	Text string
	// InReplyToMessageID is the id of the agent's message this one answers.
	InReplyToMessageID string
	// Reply holds the values the agent asked for (Reply).
	Reply []ReplyValue
	// Reason says why a transfer failed (TransferFailed).
	Reason string
	// Description says what went wrong, in words (TransferFailed).
	Description string
	// Details is the plan to run (PlanTemplate).
	Details json.RawMessage
}

// ReplyValue is one value of a Reply message: the action type, the
// property and its value (agent-api.md §13).
type ReplyValue struct {
	// Type is the action type ID.
	Type string `json:"type"`
	// Property is the action property ID.
	Property string `json:"property"`
	// Value is the value, any JSON.
	Value any `json:"value"`
}

// MessageBody builds a Send Message body {"message": …} from m, with the
// members m's type carries (agent-api.md §13). It refuses a type that is
// not documented, and a message without the content its type needs.
func MessageBody(m RequestMessage) (json.RawMessage, error) {
	msg := map[string]any{"type": m.Type, "sequenceId": m.SequenceID}
	if m.InReplyToMessageID != "" {
		msg["inReplyToMessageId"] = m.InReplyToMessageID
	}
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("agentapi: %w: a %s message needs %s (agent-api.md §13)", ErrInvalidArgument, m.Type, what)
		}
		return nil
	}
	var err error
	switch m.Type {
	case MessageText:
		msg["text"] = m.Text
	case MessageReply:
		reply := m.Reply
		if reply == nil {
			reply = []ReplyValue{}
		}
		msg["reply"] = reply
	case MessageCancel, MessageTransferSucceeded:
	case MessageTransferFailed:
		if err = need(m.Reason == "NoAgentAvailable" || m.Reason == "Error", "a reason, NoAgentAvailable or Error"); err == nil {
			msg["reason"] = m.Reason
			if m.Description != "" {
				msg["description"] = m.Description
			}
		}
	case MessagePlanTemplate:
		if err = need(len(m.Details) > 0 && json.Valid(m.Details), "details, a JSON object {planId, intent, userUtterance, variables}"); err == nil {
			msg["details"] = m.Details
		}
	default:
		err = fmt.Errorf("agentapi: %w: message type %q: use Text, Reply, Cancel, TransferFailed, TransferSucceeded or PlanTemplate (agent-api.md §13)", ErrInvalidArgument, m.Type)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"message": msg})
}

func checkSessionID(id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("agentapi: %w: empty session ID: pass the sessionId from the Start Session response", ErrInvalidArgument)
	}
	if len(id) > 255 || strings.ContainsAny(id, "/?#% \t\r\n") {
		return fmt.Errorf("agentapi: %w: session ID %q is not a session ID (want the sessionId from the Start Session response)", ErrInvalidArgument, truncate(id, 80))
	}
	return nil
}

func jsonObject(what string, body json.RawMessage) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return fmt.Errorf("agentapi: %w: %s must be a JSON object", ErrInvalidArgument, what)
	}
	return nil
}

func decodeStartSession(body []byte, out *Outcome) error {
	var s struct {
		SessionID *string    `json:"sessionId"`
		Links     *Links     `json:"_links"`
		Messages  *[]Message `json:"messages"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return fmt.Errorf("the Start Session response is not a JSON object (it is a JSON %s)", te.Value)
			}
			return fmt.Errorf("the Start Session response does not have the documented shape: member %q is a JSON %s (agent-api.md §4)", te.Field, te.Value)
		}
		return fmt.Errorf("the Start Session response is not a JSON object: %w", err)
	}
	switch {
	case s.SessionID == nil:
		return errors.New(`the Start Session response lacks the required member "sessionId" (agent-api.md §4)`)
	case *s.SessionID == "":
		return errors.New("the Start Session response has an empty sessionId")
	case s.Links == nil:
		return errors.New(`the Start Session response lacks the required member "_links" (agent-api.md §4)`)
	case s.Messages == nil:
		return errors.New(`the Start Session response lacks the required "messages" array (absent or null; agent-api.md §4)`)
	}
	out.Session = &StartSessionResponse{SessionID: *s.SessionID, Links: *s.Links, Messages: *s.Messages}
	return nil
}

func decodeMessages(required bool) func([]byte, *Outcome) error {
	return func(body []byte, out *Outcome) error {
		if !required && len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		var m MessagesResponse
		if err := json.Unmarshal(body, &m); err != nil {
			return fmt.Errorf("the response is not the documented JSON: %w", err)
		}
		if required && m.Messages == nil {
			return errors.New("the response lacks the required \"messages\" array")
		}
		out.Messages = &m
		return nil
	}
}
