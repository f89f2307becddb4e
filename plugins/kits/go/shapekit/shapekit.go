package shapekit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/abi"
)

// ABIVersion is the ABI version this kit implements.
const ABIVersion = abi.Version

// Context holds the caller's facts (agent ID, org, channel, conversation id,
// end user); every member may be empty. It is the host's own type, so the
// kit and the host never disagree on the envelope.
type Context = abi.Context

// Org describes the Salesforce org of the session (Context.Org).
type Org = abi.Org

// User describes the end user (Context.User).
type User = abi.User

// Envelope is the decoded input of one shape call.
type Envelope struct {
	// ABI is the ABI version the host speaks (1).
	ABI int `json:"abi"`
	// Plugin carries the plugin's name and its manifest configuration.
	Plugin Plugin `json:"plugin"`
	// Context holds the caller's facts.
	Context Context `json:"context"`
	// Request is the Start Session request as shaped so far; never nil.
	Request Request `json:"request"`
}

// Plugin identifies the called plugin.
type Plugin struct {
	// Name is the plugin's name in the manifest.
	Name string `json:"name"`
	// Config is the plugin's configuration from the manifest; never nil.
	Config Config `json:"config"`
}

// ShapeFunc is the one function a plugin author writes: it returns the whole
// new request (usually env.Request after changing it), or an error. Return a
// *Error (see Refuse) to choose the error code the host reports.
type ShapeFunc func(env Envelope) (Request, error)

// Error is a refusal with a machine-readable code and a message that tells a
// person what was wrong and what to do.
type Error struct {
	// Code is a short snake_case reason, e.g. "lightning_url".
	Code string `json:"code"`
	// Message says what was wrong and what to do instead.
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Refuse returns an *Error with code and a formatted message.
func Refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Codes the kit itself reports.
const (
	// CodeBadEnvelope: the input was not a valid ABI v1 envelope.
	CodeBadEnvelope = "bad_envelope"
	// CodeNotRegistered: the plugin never called Register.
	CodeNotRegistered = "not_registered"
	// CodeFailed: the ShapeFunc returned an error that is not an *Error.
	CodeFailed = "plugin_failed"
	// CodePanic: the ShapeFunc panicked.
	CodePanic = "plugin_panic"
	// CodeBadRequest: the ShapeFunc returned a request that cannot be encoded.
	CodeBadRequest = "bad_request_value"
)

var registered ShapeFunc

// Register installs fn as the plugin's shape function. Call it from an init
// function of the plugin's main package.
func Register(fn ShapeFunc) { registered = fn }

// Registered returns the function installed by Register, or nil.
func Registered() ShapeFunc { return registered }

// Decode parses an ABI v1 envelope. Numbers are kept as json.Number so that
// request values the plugin does not touch pass through unchanged.
func Decode(input []byte) (Envelope, error) {
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return Envelope{}, fmt.Errorf("envelope is not valid JSON for ABI v1: %w", err)
	}
	if dec.More() {
		return Envelope{}, errors.New("envelope has trailing data after the JSON object")
	}
	if env.ABI != ABIVersion {
		return Envelope{}, fmt.Errorf("envelope abi is %d; this plugin speaks ABI %d", env.ABI, ABIVersion)
	}
	if env.Request == nil {
		env.Request = Request{}
	}
	if env.Plugin.Config == nil {
		env.Plugin.Config = Config{}
	}
	return env, nil
}

// Handle runs fn on one input envelope and returns the output JSON:
// {"request":...} on success or {"error":{"code","message"}} on a refusal, a
// bad envelope, an error or a panic. It never fails; it is exactly what the
// wasm shape export runs, and natively it lets tests and benchmarks run a
// plugin's logic without a wasm runtime.
func Handle(fn ShapeFunc, input []byte) []byte {
	if fn == nil {
		return encodeError(&Error{Code: CodeNotRegistered, Message: "the plugin did not call shapekit.Register in an init function"})
	}
	env, err := Decode(input)
	if err != nil {
		return encodeError(&Error{Code: CodeBadEnvelope, Message: err.Error()})
	}
	req, err := call(fn, env)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			pe = &Error{Code: CodeFailed, Message: err.Error()}
		}
		if pe.Code == "" {
			pe.Code = CodeFailed
		}
		if pe.Message == "" {
			pe.Message = "the plugin failed without a message"
		}
		return encodeError(pe)
	}
	if req == nil {
		req = Request{}
	}
	out, err := marshal(struct {
		Request Request `json:"request"`
	}{req})
	if err != nil {
		return encodeError(&Error{Code: CodeBadRequest, Message: "the shaped request cannot be encoded as JSON: " + err.Error()})
	}
	return out
}

func call(fn ShapeFunc, env Envelope) (req Request, err error) {
	defer func() {
		if r := recover(); r != nil {
			req, err = nil, &Error{Code: CodePanic, Message: fmt.Sprintf("plugin panicked: %v", r)}
		}
	}()
	return fn(env)
}

func encodeError(e *Error) []byte {
	out, err := marshal(struct {
		Error *Error `json:"error"`
	}{e})
	if err != nil { // cannot happen: two strings
		return []byte(`{"error":{"code":"plugin_failed","message":"cannot encode error"}}`)
	}
	return out
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
