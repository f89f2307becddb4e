// Package shaper runs the plugin pipeline over a Start Session request,
// validates the result against schemas.StartSessionRequest, and names, for
// every violation, the plugin that last wrote the value at fault (from the
// pipeline's field provenance).
//
// A request that fails validation is never handed out as sendable: Shape and
// Check return a Request, which only they can make and only for a valid
// body; an invalid body travels in *InvalidError, for display only.
package shaper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/schemas"
)

// Runner runs a pipeline; *pipeline.Pipeline implements it.
type Runner interface {
	Run(ctx context.Context, c abi.Context, base json.RawMessage) (*pipeline.Result, error)
}

// Request is a Start Session request body that passed validation against
// schemas.StartSessionRequest. Its zero value holds no body; only Shape and
// Check make one with a body, so holding a non-zero Request proves the body
// was validated.
type Request struct {
	body   []byte
	advice []schemas.Violation
}

// IsZero reports whether r holds no body (it was not validated).
func (r Request) IsZero() bool { return r.body == nil }

// Body returns a copy of the validated body, or nil for the zero Request.
func (r Request) Body() json.RawMessage {
	if r.body == nil {
		return nil
	}
	return append(json.RawMessage(nil), r.body...)
}

// Advice returns the non-blocking advice about the body (schemas.Advise),
// attributed like violations.
func (r Request) Advice() []schemas.Violation { return append([]schemas.Violation(nil), r.advice...) }

// MarshalJSON writes the body; it fails for the zero Request so that an
// unvalidated request cannot be serialised by mistake.
func (r Request) MarshalJSON() ([]byte, error) {
	if r.body == nil {
		return nil, fmt.Errorf("shaper: the Request holds no validated body (use the Request returned by Shape or Check)")
	}
	return r.Body(), nil
}

// InvalidError reports a request that failed validation. It is returned by
// Shape and Check whenever there is at least one violation.
type InvalidError struct {
	// Draft is the rejected body, for display; never send it.
	Draft json.RawMessage
	// Violations lists every violation, each with Plugin set to the plugin
	// that last wrote its pointer ("" when it came from the caller's base
	// request or no provenance is known).
	Violations []schemas.Violation
}

// Error lists the violations on one line each, after a summary line.
func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the shaped Start Session request is invalid (%d violation", len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteByte('s')
	}
	b.WriteString(") and was not sent; fix the plugin or input named on each line:")
	for _, v := range e.Violations {
		b.WriteString("\n  ")
		b.WriteString(Describe(v))
	}
	return b.String()
}

// Describe renders a violation with where it came from: "(set by plugin
// endpoint)" or "(from the base request)".
func Describe(v schemas.Violation) string {
	if v.Plugin != "" {
		return v.Message + " (set by plugin " + v.Plugin + ")"
	}
	return v.Message + " (from the base request)"
}

// Shape runs p over base (nil means {}) with the caller's context c,
// validates the final request and attributes each violation to the plugin
// that last wrote its pointer.
//
// On success it returns the sendable Request and the provenance. If the base
// request sets the reserved Tenant Key ID, no plugin runs. If validation
// fails, the Request is zero and err is an *InvalidError carrying the draft
// and the violations (errors.As); the provenance is still returned when the
// pipeline ran. Other errors (a plugin failure, a base request that is not
// an object) wrap their cause.
func Shape(ctx context.Context, p Runner, c abi.Context, base json.RawMessage) (Request, pipeline.Provenance, error) {
	if vs, err := checkBase(base); err != nil {
		return Request{}, nil, err
	} else if len(vs) > 0 {
		return Request{}, nil, &InvalidError{Draft: append(json.RawMessage(nil), base...), Violations: vs}
	}
	res, err := p.Run(ctx, c, base)
	if err != nil {
		return Request{}, nil, fmt.Errorf("shape the Start Session request: %w", err)
	}
	req, err := CheckResult(res)
	return req, res.Provenance, err
}

// CheckResult is Check for a pipeline run. It also refuses a run in which a
// plugin set the reserved Tenant Key ID that a later plugin then removed:
// neither a caller nor a plugin may set it (agent-api.md §6), even in
// passing, and the plugin that did is named.
//
// It validates res.Value, which must be res.Request decoded (Run's Result
// is), when it is set, and decodes res.Request when it is not.
func CheckResult(res *pipeline.Result) (Request, error) {
	var doc any
	if res.Value != nil {
		doc = res.Value
	}
	req, err := check(res.Request, doc, res.Provenance)
	var ie *InvalidError
	if err != nil && !errors.As(err, &ie) {
		return req, err
	}
	var vs []schemas.Violation
	if ie != nil {
		vs = ie.Violations
	}
	var passing []schemas.Violation
	for _, w := range res.Reserved {
		reported := false
		for _, v := range vs {
			reported = reported || (v.Pointer == w.Pointer && v.Rule == "reserved" && v.Plugin == w.Plugin)
		}
		if reported {
			continue
		}
		field := schemas.FieldOf(w.Pointer)
		passing = append(passing, schemas.Violation{Pointer: w.Pointer, Field: field, Rule: "reserved", Plugin: w.Plugin,
			Message: field + ": was set by this plugin and removed by a later one; it is reserved for Salesforce internal use " +
				"(the Flow action's Tenant Key ID, agent-api.md §6) and no plugin may set it, even in passing: remove it"})
	}
	if len(passing) == 0 {
		return req, err
	}
	vs = append(vs, passing...)
	return Request{}, &InvalidError{Draft: append(json.RawMessage(nil), res.Request...), Violations: vs}
}

// Check validates body against schemas.StartSessionRequest and attributes
// violations using prov (nil: no attribution). It returns the sendable
// Request when body is valid; otherwise the zero Request and an
// *InvalidError carrying the violations. A body that is not JSON is an
// error wrapping *schemas.SyntaxError.
func Check(body []byte, prov pipeline.Provenance) (Request, error) {
	return check(body, nil, prov)
}

// check is Check of body already decoded into doc by schemas.Decode, or
// decoding body when doc is nil.
func check(body []byte, doc any, prov pipeline.Provenance) (Request, error) {
	if doc == nil {
		var err error
		if doc, err = schemas.Decode(body); err != nil {
			return Request{}, fmt.Errorf("the shaped Start Session request is not JSON: %w", err)
		}
	}
	vs, err := schemas.ValidateValue(schemas.StartSessionRequest, doc)
	if err != nil {
		return Request{}, err
	}
	Attribute(vs, prov)
	if len(vs) > 0 {
		return Request{}, &InvalidError{Draft: append(json.RawMessage(nil), body...), Violations: vs}
	}
	advice := schemas.AdviseValue(schemas.StartSessionRequest, doc)
	Attribute(advice, prov)
	return Request{body: append([]byte(nil), body...), advice: advice}, nil
}

// Attribute sets Plugin on each violation to the owner of its pointer in
// prov (walking up to the nearest present ancestor for a missing member).
// Fields owned by the base request (pipeline.BaseOwner) get "".
func Attribute(vs []schemas.Violation, prov pipeline.Provenance) {
	if prov == nil {
		return
	}
	for i := range vs {
		owner := prov.Owner(vs[i].Pointer)
		if owner == pipeline.BaseOwner {
			owner = ""
		}
		vs[i].Plugin = owner
	}
}

// checkBase rejects a caller's base request that sets the reserved Tenant
// Key ID (agent-api.md §6) before any plugin sees it. Other gaps in the base
// are for the plugins to fill.
func checkBase(base json.RawMessage) ([]schemas.Violation, error) {
	if len(strings.TrimSpace(string(base))) == 0 {
		return nil, nil
	}
	doc, err := schemas.Decode(base)
	if err != nil {
		return nil, fmt.Errorf("base request: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("base request: must be a JSON object, or nothing to start from {}")
	}
	vs, err := schemas.ValidateValue(schemas.PluginOutput, map[string]any{"request": doc})
	if err != nil {
		return nil, err
	}
	var out []schemas.Violation
	for _, v := range vs {
		if v.Rule != "reserved" {
			continue
		}
		v.Pointer = strings.TrimPrefix(v.Pointer, "/request")
		field := schemas.FieldOf(v.Pointer)
		v.Message = field + strings.TrimPrefix(v.Message, v.Field)
		v.Field = field
		out = append(out, v)
	}
	return out, nil
}
