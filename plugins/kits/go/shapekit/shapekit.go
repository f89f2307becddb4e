package shapekit

import "errors"

// ABIVersion is the ABI version this kit implements (plugins/ABI.md).
const ABIVersion = 1

// Envelope is the decoded input of one shape call.
type Envelope struct {
	// ABI is the ABI version the host speaks (1).
	ABI int
	// Plugin carries the plugin's name and its manifest configuration.
	Plugin Plugin
	// Context holds the caller's facts.
	Context Context
	// Request is the Start Session request as shaped so far; never nil.
	Request Request
}

// Plugin identifies the called plugin.
type Plugin struct {
	// Name is the plugin's name in the manifest.
	Name string
	// Config is the plugin's configuration from the manifest; never nil.
	Config Config
}

// ShapeFunc is the one function a plugin author writes: it returns the whole
// new request (usually env.Request after changing it), or an error. Return a
// *Error (see Refuse) to choose the error code the host reports.
type ShapeFunc func(env Envelope) (Request, error)

// Error is a refusal with a machine-readable code and a message that tells a
// person what was wrong and what to do.
type Error struct {
	// Code is a short snake_case reason, e.g. "lightning_url".
	Code string
	// Message says what was wrong and what to do instead.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Refuse returns an *Error with code and a formatted message.
func Refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: sprintf(format, args...)}
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

// Decode parses an ABI v1 envelope. Numbers are kept as Number so that
// request values the plugin does not touch pass through unchanged.
func Decode(input []byte) (Envelope, error) {
	var env Envelope
	v, err := DecodeJSON(input)
	if err != nil {
		return env, errors.New("envelope is not valid JSON for ABI v1: " + err.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return env, errors.New("envelope is " + kindOf(v) + ", not a JSON object")
	}
	abi, ok := m["abi"].(Number)
	if !ok || abi != "1" {
		return env, errors.New("envelope abi is " + text(m["abi"]) + "; this plugin speaks ABI 1")
	}
	env.ABI = ABIVersion
	if p, ok := m["plugin"].(map[string]any); ok {
		env.Plugin.Name, _ = p["name"].(string)
		switch c := p["config"].(type) {
		case nil:
		case map[string]any:
			env.Plugin.Config = c
		default:
			return env, errors.New("plugin.config is " + kindOf(c) + ", not an object")
		}
	} else if m["plugin"] != nil {
		return env, errors.New("plugin is " + kindOf(m["plugin"]) + ", not an object")
	}
	if env.Context, err = contextFrom(m["context"]); err != nil {
		return env, errors.New(err.(*Error).Message)
	}
	switch r := m["request"].(type) {
	case nil:
		env.Request = Request{}
	case map[string]any:
		env.Request = r
	default:
		return env, errors.New("request is " + kindOf(r) + ", not an object")
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
	body, err := EncodeJSON(req)
	if err != nil {
		return encodeError(&Error{Code: CodeBadRequest, Message: "the shaped request cannot be encoded as JSON: " + err.Error()})
	}
	out := make([]byte, 0, len(body)+12)
	out = append(out, `{"request":`...)
	out = append(out, body...)
	return append(out, '}')
}

func call(fn ShapeFunc, env Envelope) (req Request, err error) {
	defer func() {
		if r := recover(); r != nil {
			req, err = nil, &Error{Code: CodePanic, Message: "plugin panicked: " + text(r)}
		}
	}()
	return fn(env)
}

func encodeError(e *Error) []byte {
	b := append([]byte(nil), `{"error":{"code":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	return append(b, "}}"...)
}
