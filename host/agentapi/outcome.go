package agentapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Flow output names of the Start Session action and its siblings
// (agent-api.md §6). OutputOK is the name of the success output.
const (
	OutputOK      = "200"
	Output400     = "400 Exception"
	Output401     = "401 Exception"
	Output403     = "403 Exception"
	Output404     = "404 Exception"
	Output422     = "422 Exception"
	Output423     = "423 Exception"
	Output429     = "429 Exception"
	Output503     = "503 Exception"
	OutputDefault = "Default Exception"
)

// OutputFor maps an HTTP status code to the Flow output the Start Session
// action would take (agent-api.md §6): 200 → "200"; 400, 401, 403, 404, 422,
// 423, 429, 503 → "<code> Exception"; anything else (500 included, which the
// Flow action has no output for) → "Default Exception".
func OutputFor(status int) string {
	switch status {
	case http.StatusOK:
		return OutputOK
	case 400, 401, 403, 404, 422, 423, 429, 503:
		return strconv.Itoa(status) + " Exception"
	default:
		return OutputDefault
	}
}

// Outcome is the result of one Agent API call in the shape of the Flow
// action's outputs (agent-api.md §6), plus what a program needs besides.
// Exactly one of Session, Messages or Ended is set on a 200, depending on
// the call; on an exception Message, RawBody and ErrorBody describe it.
type Outcome struct {
	// Output is the Flow output name: "200", "400 Exception" … "503
	// Exception" or "Default Exception".
	Output string `json:"output"`
	// ResponseCode is the HTTP status code of the final answer.
	ResponseCode int `json:"responseCode"`
	// Message is the error message from the error body (agent-api.md §5),
	// or a description when the body had none. Empty on 200.
	Message string `json:"message,omitempty"`
	// RequestID is the X-Request-ID header (or the body's requestId).
	RequestID string `json:"requestId,omitempty"`
	// RawBody is the error response body as received, when it is JSON.
	RawBody json.RawMessage `json:"rawBody,omitempty"`
	// RawText is the error response body as received, when it is not JSON.
	RawText string `json:"rawText,omitempty"`
	// ErrorBody is the decoded error body, when it had the documented shape.
	ErrorBody *ErrorBody `json:"-"`
	// Session is the Start Session response on 200.
	Session *StartSessionResponse `json:"session,omitempty"`
	// Messages is the Send Message or End Session response on 200.
	Messages *MessagesResponse `json:"messages,omitempty"`
	// Attempts is how many HTTP requests the call took (retries included).
	Attempts int `json:"attempts"`
}

// OK reports whether the call ended in the "200" output.
func (o *Outcome) OK() bool { return o != nil && o.Output == OutputOK }

// ErrorBody is the documented error response (schema Error, agent-api.md §5).
// Extra members that live servers add (mode, expected) are ignored.
type ErrorBody struct {
	// Status is the HTTP status repeated in the body.
	Status int `json:"status"`
	// Path is the request path (internal on live servers).
	Path string `json:"path"`
	// RequestID is a UUID, also sent as X-Request-ID.
	RequestID string `json:"requestId"`
	// Error is the error class, e.g. "BadRequestError".
	Error string `json:"error"`
	// Message is the human-readable message.
	Message string `json:"message"`
	// Timestamp is Unix milliseconds.
	Timestamp int64 `json:"timestamp"`
}

// Link is one entry of a response's _links.
type Link struct {
	// Href is the URL.
	Href string `json:"href"`
}

// Links is the _links object of a Start Session response (agent-api.md §4).
// Live servers send "self": null; Gov Cloud hrefs may name the wrong host, so
// the client builds its own URLs and never follows these.
type Links struct {
	// Self is the request's own URL (null on live servers).
	Self *Link `json:"self"`
	// Messages is the Send Message URL.
	Messages *Link `json:"messages,omitempty"`
	// MessagesStream is the streaming Send Message URL (seen live, not in the spec).
	MessagesStream *Link `json:"messagesStream,omitempty"`
	// Session is the Start Session URL.
	Session *Link `json:"session,omitempty"`
	// End is the End Session URL.
	End *Link `json:"end,omitempty"`
}

// Message is one agent message (agent-api.md §4). Only the members common to
// every type are decoded; Raw holds the whole object.
type Message struct {
	// Type is the message type, e.g. "Inform", "SessionEnded".
	Type string `json:"type"`
	// ID identifies the message.
	ID string `json:"id"`
	// Message is the text of Inform and similar messages.
	Message string `json:"message,omitempty"`
	// Reason is set on SessionEnded messages.
	Reason string `json:"reason,omitempty"`
	// Raw is the message object as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the raw object next to the decoded members.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = Message(p)
	m.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the message as received.
func (m Message) MarshalJSON() ([]byte, error) {
	if len(m.Raw) > 0 {
		return m.Raw, nil
	}
	type plain Message
	return json.Marshal(plain(m))
}

// StartSessionResponse is the 200 body of Start Session
// (StartSessionSyncResponseMessage, agent-api.md §4).
type StartSessionResponse struct {
	// SessionID identifies the new session.
	SessionID string `json:"sessionId"`
	// Links are the server's links (informational only).
	Links Links `json:"_links"`
	// Messages holds the greeting.
	Messages []Message `json:"messages"`
}

// MessagesResponse is the 200 body of Send Message and End Session: the
// agent's messages and links.
type MessagesResponse struct {
	// Messages are the agent's messages in order.
	Messages []Message `json:"messages"`
	// Links are the server's links, if any.
	Links *Links `json:"_links,omitempty"`
}
