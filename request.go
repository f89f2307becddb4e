package agentshape

import (
	"encoding/json"
	"errors"

	"github.com/agentshape/agentshape/internal/shaper"
	"github.com/agentshape/agentshape/schemas"
)

// Request is a Start Session body that passed validation; json.Marshal of
// it gives the body, and only a successful Shape makes a non-zero one, so
// holding a non-zero Request proves the body was validated.
type Request struct {
	shaped shaper.Request
}

// IsZero reports whether r holds no body (it was not validated).
func (r Request) IsZero() bool { return r.shaped.IsZero() }

// Body returns a copy of the validated body, or nil for the zero Request.
func (r Request) Body() json.RawMessage { return r.shaped.Body() }

// Advice returns the non-blocking advice about the body (schemas.Advise),
// each naming the plugin that last wrote the field, like violations.
func (r Request) Advice() []schemas.Violation { return r.shaped.Advice() }

// MarshalJSON writes the body; it fails for the zero Request, so that an
// unvalidated request cannot be serialised by mistake.
func (r Request) MarshalJSON() ([]byte, error) {
	if r.IsZero() {
		return nil, errNotShaped
	}
	return r.shaped.MarshalJSON()
}

// errNotShaped refuses to send or serialise the zero Request.
var errNotShaped = errors.New("agentshape: the request holds no validated body: pass the Request that Shape returned")

// InvalidError is the error of a shaped request that failed validation: it
// names every violation and the plugin that last wrote the value at fault.
type InvalidError struct {
	// Draft is the rejected body, for display; never send it.
	Draft json.RawMessage
	// Violations lists every violation, each with Plugin set to the plugin
	// that last wrote its JSON pointer ("" when it came from the caller's
	// base request).
	Violations []schemas.Violation
}

// Error lists the violations one a line, after a summary line, each with
// the plugin or input to fix.
func (e *InvalidError) Error() string {
	return (&shaper.InvalidError{Draft: e.Draft, Violations: e.Violations}).Error()
}

// shaped turns the shaper's answer into the package's own types (the
// shaper returns its *InvalidError unwrapped).
func shaped(req shaper.Request, err error) (Request, error) {
	if inv, ok := err.(*shaper.InvalidError); ok {
		err = &InvalidError{Draft: inv.Draft, Violations: inv.Violations}
	}
	return Request{shaped: req}, err
}
