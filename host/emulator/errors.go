package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// apiError is an Agent API error answer (agent-api.md §5).
type apiError struct {
	status     int
	class      string
	message    string
	retryAfter string
}

// errorBody is the documented Error schema: all six members required
// (agent-api.md §5), plus the members live orgs add (mode, expected), in the
// order recorded answers have them.
type errorBody struct {
	Status    int    `json:"status"`
	Path      string `json:"path"`
	Mode      string `json:"mode,omitempty"`
	RequestID string `json:"requestId"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp"`
	Expected  *bool  `json:"expected,omitempty"`
}

// livePathPrefix is the versioned internal prefix of the path recorded live
// error answers carry (v6.0.0/sessions/<id>/messages, agent-api.md §5 [SF]).
const livePathPrefix = "v6.0.0"

// liveClasses are the classes live orgs answer with where the reference
// names an …Error class: NotFoundException is recorded (agent-api.md §5
// [SF]), UnauthorizedException reported; the others follow the same
// pattern [A].
var liveClasses = map[string]string{
	"BadRequestError":      "BadRequestException",
	"UnauthorizedError":    "UnauthorizedException",
	"ForbiddenError":       "ForbiddenException",
	"NotFoundError":        "NotFoundException",
	"NotAvailableError":    "NotAvailableException",
	"ServerBusyError":      "ServerBusyException",
	"TooManyRequestsError": "TooManyRequestsException",
	"ServiceUnavailable":   "ServiceUnavailableException",
	"PayloadTooLargeError": "PayloadTooLargeException",
}

// malformedAgentIDLive is the 500 a live org recorded for a malformed agent
// ID, where the reference documents 400 (agent-api.md §5 [SF]); errorID is
// the support reference it quotes.
func malformedAgentIDLive(errorID string) *apiError {
	return &apiError{status: http.StatusInternalServerError, class: "HttpServerErrorException",
		message: `500 [{"message":"An unexpected error occurred. Please include this ErrorId if you contact support: ` + errorID + `","errorCode":"UNKNOWN_EXCEPTION"}]`}
}

// Spec messages per status (agent-api.md §5).
const (
	msgUnauthorized = "Access bearer token is missing or invalid"
	msgForbidden    = "User forbidden from accessing the resource"
	msgNotFound     = "Resource not found"
	msgNoActive     = "Cannot determine the active version for the agent"
	msgBusy         = "Server is busy and cannot process the request at this time"
	msgTooMany      = "Too many requests for the server to handle"
	msgUnavailable  = "Service is unavailable possibly because Apex/Flow calls timed out"
	msgBadUser      = "Invalid user ID provided on start session: "
)

func errBadRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, class: "BadRequestError", message: msg}
}

func errUnauthorized(detail string) *apiError {
	return &apiError{status: http.StatusUnauthorized, class: "UnauthorizedError", message: msgUnauthorized + ": " + detail}
}

func errForbidden(detail string) *apiError {
	return &apiError{status: http.StatusForbidden, class: "ForbiddenError", message: msgForbidden + ": " + detail}
}

func errSessionNotFound(sid string) *apiError {
	return &apiError{status: http.StatusNotFound, class: "NotFoundException", message: "V6Session not found for sessionId: " + sid}
}

// errorClass returns the documented error class and message for a status,
// used for injected faults (agent-api.md §5).
func errorClass(status int) (class, msg string) {
	switch status {
	case 400:
		return "BadRequestError", "Bad Request"
	case 401:
		return "UnauthorizedError", msgUnauthorized
	case 403:
		return "ForbiddenError", msgForbidden
	case 404:
		return "NotFoundError", msgNotFound
	case 410:
		return "NotAvailableError", "Resource not available"
	case 422:
		return "RequestProcessingException", "Request processing failed"
	case 423:
		return "ServerBusyError", msgBusy
	case 429:
		return "TooManyRequestsError", msgTooMany
	case 500:
		return "HttpServerErrorException", "Internal Server Error"
	case 503:
		return "ServiceUnavailable", msgUnavailable
	}
	return "HttpStatus" + strconv.Itoa(status), http.StatusText(status)
}

// writeError writes e as the documented error body, echoing requestID in
// the X-Request-ID header (set by the caller) and the body.
func (c *call) writeError(e *apiError) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	if e.retryAfter != "" {
		h.Set("Retry-After", e.retryAfter)
	}
	body := errorBody{
		Status:    e.status,
		Path:      c.r.URL.Path,
		RequestID: c.reqID,
		Error:     e.class,
		Message:   e.message,
		Timestamp: c.now.UnixMilli(),
	}
	if c.st != nil && c.st.org.ErrorStyle == LiveErrors {
		if live, ok := liveClasses[e.class]; ok {
			body.Error = live
		}
		if rest, ok := strings.CutPrefix(body.Path, APIPrefix); ok {
			body.Path = livePathPrefix + rest
		}
		expected := e.status < 500 // recorded: true on 404, false on 500 (agent-api.md §5 [SF])
		body.Mode, body.Expected = "unknown", &expected
	}
	b, _ := json.Marshal(body)
	c.status = e.status
	c.w.WriteHeader(e.status)
	_, _ = c.w.Write(b)
}
