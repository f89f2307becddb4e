package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Streamed event names (EventType, agent-api.md §1, §12). Each documented name carries the
// message type of the same name (TEXT_CHUNK a TextChunk, …).
const (
	EventTextChunk         = "TEXT_CHUNK"
	EventInform            = "INFORM"
	EventEndOfTurn         = "END_OF_TURN"
	EventProgressIndicator = "PROGRESS_INDICATOR"
	EventInquire           = "INQUIRE"
	EventConfirm           = "CONFIRM"
	EventFailure           = "FAILURE"
	EventEscalate          = "ESCALATE"
	EventSessionEnded      = "SESSION_ENDED"
	EventError             = "ERROR"
	EventUnknown           = "UNKNOWN"
	// EventValidationFailureChunk is agentshape's name for a ValidationFailureChunk, which has no
	// event name of its own in the reference (agent-api.md §12 [A]).
	EventValidationFailureChunk = "VALIDATION_FAILURE_CHUNK"
)

// StreamEvents lists the event names of the reference's EventType, in its order.
func StreamEvents() []string {
	return []string{EventUnknown, EventEndOfTurn, EventProgressIndicator, EventInform, EventInquire, EventConfirm,
		EventFailure, EventSessionEnded, EventError, EventEscalate, EventTextChunk}
}

// The messages of the event kinds the emulator's replies do not stream on their own, with each
// type's documented members (agent-api.md §11).
type (
	progressIndicator struct {
		Type          string `json:"type"`
		ID            string `json:"id"`
		IndicatorType string `json:"indicatorType"`
		Message       string `json:"message"`
	}
	// agentAsks is an Inquire (Collect set) or a Confirm (Confirm set).
	agentAsks struct {
		agentReply
		Collect []any `json:"collect,omitempty"`
		Confirm []any `json:"confirm,omitempty"`
	}
	failureMessage struct {
		agentReply
		Code   string   `json:"code"`
		Errors []string `json:"errors"`
	}
	escalateMessage struct {
		Type       string           `json:"type"`
		ID         string           `json:"id"`
		FeedbackID string           `json:"feedbackId"`
		Targets    []escalateTarget `json:"targets"`
	}
	escalateTarget struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	errorMessage struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		FeedbackID string `json:"feedbackId"`
		HTTPStatus int    `json:"httpStatus"`
		TraceID    string `json:"traceId"`
		Error      string `json:"error"`
		Message    string `json:"message"`
		Timestamp  int64  `json:"timestamp"`
		Expected   bool   `json:"expected"`
	}
	validationFailureChunk struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		Offset int    `json:"offset"`
		Reason string `json:"reason"`
	}
	unknownMessage struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
)

func newTextChunk(text string, offset int) textChunk {
	return textChunk{Type: "TextChunk", ID: newUUID(), Message: text, Offset: offset, FormatType: "Text"}
}

// sampleMessage returns a message of the kind the event name carries, as the emulator writes it,
// or false for a name it does not know.
func (h *Handler) sampleMessage(event string) (any, bool) {
	reply := func(typ, text string) agentReply {
		return agentReply{Type: typ, ID: newUUID(), FeedbackID: newUUID(), PlanID: newUUID(), IsContentSafe: true, Message: text}
	}
	switch event {
	case EventTextChunk:
		return newTextChunk("Your order ", 0), true
	case EventInform:
		return newInform("Your order ships tomorrow."), true
	case EventEndOfTurn:
		return endOfTurn{Type: "EndOfTurn", ID: newUUID()}, true
	case EventProgressIndicator:
		return progressIndicator{Type: "ProgressIndicator", ID: newUUID(), IndicatorType: "ACTION", Message: "Looking up your order"}, true
	case EventInquire:
		return agentAsks{agentReply: reply("Inquire", "Which order do you mean?"),
			Collect: []any{map[string]any{"targetType": "@aiFunctionInput/LookUpOrder", "targetProperty": "orderNumber"}}}, true
	case EventConfirm:
		return agentAsks{agentReply: reply("Confirm", "Shall I cancel order 1042?"),
			Confirm: []any{map[string]any{"type": "@aiFunctionInput/CancelOrder", "value": "1042"}}}, true
	case EventFailure:
		return failureMessage{agentReply: reply("Failure", "The order lookup failed."), Code: "ACTION_FAILED", Errors: []string{"LookUpOrder timed out"}}, true
	case EventEscalate:
		return escalateMessage{Type: "Escalate", ID: newUUID(), FeedbackID: newUUID(),
			Targets: []escalateTarget{{Type: "Salesforce:Core:Queue:Id", Value: "00GAA0000000001AAA"}}}, true
	case EventSessionEnded:
		return sessionEnded{Type: "SessionEnded", ID: newUUID(), Reason: "ClientRequest", FeedbackID: newUUID()}, true
	case EventError:
		return errorMessage{Type: "Error", ID: newUUID(), FeedbackID: newUUID(), HTTPStatus: http.StatusInternalServerError, TraceID: newUUID(),
			Error: "HttpServerErrorException", Message: "The agent failed to answer.", Timestamp: h.clock().UnixMilli()}, true
	case EventUnknown:
		return unknownMessage{Type: "Unknown", ID: newUUID()}, true
	case EventValidationFailureChunk:
		return validationFailureChunk{Type: "ValidationFailureChunk", ID: newUUID(), Offset: 0, Reason: "The answer did not pass the trust layer."}, true
	}
	return nil, false
}

// MessagePath is where the standard Pact verifier asks a message provider for an asynchronous
// message: POST {"description", "providerStates"} at the provider's base URL.
const MessagePath = "/"

// pactMessageRequest is the body a Pact verifier posts to MessagePath.
type pactMessageRequest struct {
	Description    string `json:"description"`
	ProviderStates []struct {
		Name   string         `json:"name"`
		Params map[string]any `json:"params"`
	} `json:"providerStates"`
}

// serveMessage answers a Pact verifier's request for a message: the data of one streamed event
// (agent-api.md §12) of the kind a provider state's params.event names, built as the streaming
// endpoint builds it, with {"event": name} as the message metadata (Pact-Message-Metadata,
// base64 JSON).
func (h *Handler) serveMessage(w http.ResponseWriter, r *http.Request) {
	var req pactMessageRequest
	if !decodePost(w, r, &req, "Pact message request", `{"description":"…","providerStates":[{"name":"…","params":{"event":"TEXT_CHUNK"}}]}`) {
		return
	}
	event := ""
	for _, s := range req.ProviderStates {
		if e, ok := s.Params[ParamEvent].(string); ok {
			event = e
		}
	}
	msg, ok := h.sampleMessage(event)
	if !ok {
		adminError(w, 400, fmt.Sprintf("message %q: name the streamed event in a provider state's params.%s, one of %s or %s",
			req.Description, ParamEvent, strings.Join(StreamEvents(), ", "), EventValidationFailureChunk))
		return
	}
	data, err := json.Marshal(sseData{Timestamp: h.clock().UnixMilli(), OriginEventID: newUUID(), TraceID: newUUID(), Message: msg})
	if err != nil {
		adminError(w, 500, err.Error())
		return
	}
	meta, _ := json.Marshal(map[string]string{"event": event})
	w.Header().Set("Pact-Message-Metadata", base64.StdEncoding.EncodeToString(meta))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
