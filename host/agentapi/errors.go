package agentapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrUnreachable: the API (or the token endpoint) could not be reached:
	// DNS, connection refused or reset, TLS failure, or no answer in time.
	ErrUnreachable = errors.New("agent API unreachable")
	// ErrTimeout: no complete answer within the per-call timeout. Errors
	// wrapping it also wrap ErrUnreachable.
	ErrTimeout = errors.New("agent API call timed out")
	// ErrResponseTooLarge: a response body exceeded Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("agent API response too large")
	// ErrMalformedResponse: a 200 body that is not the documented JSON.
	ErrMalformedResponse = errors.New("agent API response malformed")
	// ErrInvalidArgument: the call was refused before any request because
	// an argument is invalid (bad session ID, end reason, body not JSON).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrStopStream is for a SendMessageStream handler to return (or wrap)
	// to end the stream early without an error.
	ErrStopStream = errors.New("stop the event stream")
)

// APIError is the typed error for an answer other than 200 (and for a token
// endpoint that refused the client credentials or stayed busy through the
// retries, Op "token"). Its Outcome is the same value the call returned.
type APIError struct {
	// Op names the call, e.g. "start session".
	Op string
	// Status is the HTTP status code.
	Status int
	// Class is the error class from the body (e.g. "BadRequestError"), if any.
	Class string
	// Message is the message from the body, or a description of the body.
	Message string
	// RequestID is the X-Request-ID of the answer, if any.
	RequestID string
	// Outcome is the Flow-style outcome of the call.
	Outcome *Outcome
}

// Error implements error. It says what to do where the status tells.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("agentapi: %s: HTTP %d", e.Op, e.Status)
	if e.Outcome != nil {
		msg += " (" + e.Outcome.Output + ")"
	}
	if e.Class != "" {
		msg += " " + e.Class
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " [request " + e.RequestID + "]"
	}
	if e.Op == OpEndSession && e.Status == http.StatusNotFound && e.Outcome != nil && e.Outcome.Attempts > 1 {
		return msg + "; this was a repeat: an earlier attempt may have ended the session before its answer was lost (agent-api.md §10)"
	}
	if e.Op == OpStartSession && e.Status == http.StatusInternalServerError && e.Class == "HttpServerErrorException" {
		msg += "; live orgs answer a malformed agent ID this way instead of 400 (agent-api.md §5): check the agent ID"
	}
	if h := hint(e.Op, e.Status); h != "" && !strings.Contains(msg, h) {
		msg += "; " + h
	}
	return msg
}

// Retryable reports whether the status is transient (423, 429, 503:
// agent-api.md §5): trying again later may succeed. It does not say a repeat
// is harmless: for Start Session and Send Message such an answer does not
// prove that the request had no effect (agent-api.md §10, RetryPolicy.RetryUnsafe).
func (e *APIError) Retryable() bool { return retryableStatus(e.Status) }

func hint(op string, status int) string {
	if op == opToken {
		if status >= 300 && status < 400 {
			return "set the My Domain (or SF_TOKEN_URL) to the URL the token endpoint redirects to"
		}
		if status == http.StatusLocked || status == http.StatusTooManyRequests || status >= 500 {
			return "the token endpoint (My Domain) is busy or failing and the retries were used up: try again later"
		}
		return "check the client id and secret, and that the External Client App enables the client credentials flow with a run-as user"
	}
	switch status {
	case http.StatusBadRequest:
		return "fix the request body or agent ID (see the message) and run again"
	case http.StatusUnauthorized:
		return "the access token was refused even after fetching a new one: check the app's OAuth scopes (api, chatbot_api, sfap_api) and that JWT-based tokens are enabled"
	case http.StatusForbidden:
		return "the run-as user needs the Manage AI Agents permission and Agentforce must be enabled in the org"
	case http.StatusNotFound:
		return "check the agent or session ID, and that the API base URL matches the org (commercial vs Government Cloud)"
	case http.StatusUnprocessableEntity:
		return "activate a version of the agent in Agentforce Builder"
	case http.StatusLocked, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if effect, optIn := unsafeEffect(op); effect != "" {
			return "the server was busy or unavailable: try again later. This answer does not prove that " + effect +
				", so the client repeats it only with " + optIn + ", at the risk of doing it twice (agent-api.md §10)"
		}
		return "the server asked to slow down and the retries were used up: try again later"
	}
	if status >= 500 {
		return "server error: check that instanceConfig.endpoint is the org's My Domain URL and try again later"
	}
	return ""
}

// unsafeEffect says, for a non-idempotent operation, what a 423, 429 or 503
// answer leaves open and how to opt in to repeating it anyway; "" for an
// operation that is safe to repeat.
func unsafeEffect(op string) (effect, optIn string) {
	switch op {
	case OpStartSession:
		return "no session was created", "RetryPolicy.RetryUnsafe (agentshape start --retry-unsafe)"
	case OpSendMessage, OpSendMessageStream:
		return "the message was not processed", "RetryPolicy.RetryUnsafe"
	}
	return "", ""
}

func retryableStatus(status int) bool {
	return status == http.StatusLocked || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// TransportError is the typed error for a call that got no usable HTTP
// answer: the connection failed or timed out. It wraps ErrUnreachable (and
// ErrTimeout for timeouts) and the underlying cause.
type TransportError struct {
	// Op names the call.
	Op string
	// URL is the URL that could not be reached (it never holds a secret).
	URL string
	// Attempts is how many requests were tried.
	Attempts int
	// MayHaveReached is true when the request may have reached the server
	// (some of it was written before the failure); such failures are never
	// retried, so a Start Session cannot create two sessions.
	MayHaveReached bool
	// Timeout is true when the failure was the per-call timeout.
	Timeout bool
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *TransportError) Error() string {
	what := "could not reach"
	if e.Timeout {
		what = "no answer in time from"
	}
	msg := fmt.Sprintf("agentapi: %s: %s %s after %d attempt(s): %v", e.Op, what, e.URL, e.Attempts, e.Err)
	if e.MayHaveReached {
		msg += "; the request may have reached the server, so it was not repeated"
	}
	return msg + "; check the network, the API base URL and the My Domain"
}

// Unwrap returns the sentinel(s) and the cause.
func (e *TransportError) Unwrap() []error {
	errs := []error{ErrUnreachable, e.Err}
	if e.Timeout {
		errs = append(errs, ErrTimeout)
	}
	return errs
}

// ResponseError is the typed error for an answer the client cannot use: a
// body over the size limit, or a 200 whose body is not the documented JSON.
type ResponseError struct {
	// Op names the call.
	Op string
	// Status is the HTTP status code of the answer.
	Status int
	// Reason says what was wrong.
	Reason string
	// Err is ErrResponseTooLarge or ErrMalformedResponse, possibly wrapping a cause.
	Err error
}

// Error implements error.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("agentapi: %s: HTTP %d answer unusable: %s; the server does not speak Agent API v1 as documented — check the API base URL", e.Op, e.Status, e.Reason)
}

// Unwrap returns the cause.
func (e *ResponseError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is transient: 423, 429 or 503 (from the
// API or the token endpoint), or a connection failure before the request was
// written. Only the latter proves the request had no effect; see
// APIError.Retryable.
func IsRetryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.MayHaveReached
	}
	return false
}

// IsUnreachable reports whether err means the API could not be reached.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// OutcomeOf returns the Outcome carried by err (an *APIError), or nil.
func OutcomeOf(err error) *Outcome {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Outcome
	}
	return nil
}
