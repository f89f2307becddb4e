package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/schemas"
)

// A plugin's output: a command's stdout kept up to the output limit, and
// the checks that an output is a JSON object and an ABI v1 output.

// cappedBuffer keeps at most max bytes and remembers if more were written.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write implements io.Writer; bytes past the cap are dropped.
func (c *cappedBuffer) Write(b []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(b) > room {
		c.overflow = true
		if room > 0 {
			c.buf.Write(b[:room])
		}
		return len(b), nil
	}
	return c.buf.Write(b)
}

func checkObject(out []byte) error {
	t := bytes.TrimLeft(out, " \t\r\n")
	if len(t) == 0 {
		return errors.New("output is empty; write {\"request\": {...}} or {\"error\": {...}}")
	}
	if t[0] != '{' || !json.Valid(t) {
		return fmt.Errorf("output is not a JSON object (starts %q); write {\"request\": {...}} or {\"error\": {...}} as UTF-8 JSON", preview(t))
	}
	return nil
}

func preview(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// Decode checks raw output from Call as an ABI v1 output and returns its
// request, or an *Error (ErrPluginRefused wrapping *abi.PluginError for a
// refusal, ErrBadOutput for anything else that is not a valid output).
func (p *Plugin) Decode(out []byte) (json.RawMessage, error) {
	req, _, err := p.decodeOutput(out)
	return req, err
}

// decodeOutput checks an ABI v1 output: exactly one of request (an object) or
// error ({code, message}). It is decoded with the project's JSON decoder,
// which refuses a member named twice (at any depth: encoding/json would
// keep the last) and nesting deeper than inputlimit.MaxDepth. It returns
// the request's text and its decoded value.
func (p *Plugin) decodeOutput(out []byte) (json.RawMessage, map[string]any, error) {
	o, raw, err := schemas.DecodeObject(out)
	if err != nil {
		return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "%w", err)
	}
	for k := range o {
		if k != "request" && k != "error" {
			return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has unknown member %q; the output is {\"request\": {...}} or {\"error\": {\"code\": ..., \"message\": ...}}", k)
		}
	}
	req, hasReq := o["request"]
	perr, hasErr := o["error"]
	switch {
	case hasReq && hasErr:
		return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has both \"request\" and \"error\"; return exactly one")
	case hasErr:
		m, _ := perr.(map[string]any)
		code, _ := m["code"].(string)
		msg, _ := m["message"].(string)
		if len(m) != 2 || code == "" || msg == "" {
			return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "\"error\" must be {\"code\": non-empty string, \"message\": non-empty string}, got %s", preview(raw["error"]))
		}
		return nil, nil, &Error{Plugin: p.name, Phase: PhaseDecode, Kind: ErrPluginRefused, Err: &abi.PluginError{Code: code, Message: msg}}
	case hasReq:
		m, ok := req.(map[string]any)
		if !ok {
			return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "\"request\" must be a JSON object (the whole new request), got %s", preview(raw["request"]))
		}
		return raw["request"], m, nil
	}
	return nil, nil, newError(p.name, PhaseDecode, ErrBadOutput, "output has neither \"request\" nor \"error\"")
}
