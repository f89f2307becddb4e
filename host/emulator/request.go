package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/agentshape/agentshape/internal/inputlimit"
	"github.com/agentshape/agentshape/schemas"
)

// MaxBodyBytes is the largest request body the emulator reads (1 MiB); larger
// bodies get 413 PayloadTooLargeError [A].
const MaxBodyBytes = 1 << 20

// fieldSpec lists the members an object may have; nil means "not checked".
type fieldSpec struct {
	fields map[string]*fieldSpec
	items  *fieldSpec
}

// Known members of each documented body (agent-api.md §1, §2).
var (
	startSpec = &fieldSpec{fields: map[string]*fieldSpec{
		"externalSessionKey":    nil,
		"instanceConfig":        {fields: map[string]*fieldSpec{"endpoint": nil}},
		"tz":                    nil,
		"variables":             {items: variableSpec},
		"featureSupport":        nil,
		"streamingCapabilities": {fields: map[string]*fieldSpec{"chunkTypes": nil}},
		"bypassUser":            nil,
	}}
	variableSpec = &fieldSpec{fields: map[string]*fieldSpec{"name": nil, "type": nil, "value": nil}}
	sendSpec     = &fieldSpec{fields: map[string]*fieldSpec{
		"message": {fields: map[string]*fieldSpec{
			"type": nil, "sequenceId": nil, "text": nil, "inReplyToMessageId": nil, "reason": nil, "description": nil,
			"reply":   {items: &fieldSpec{fields: map[string]*fieldSpec{"type": nil, "property": nil, "value": nil}}},
			"details": {fields: map[string]*fieldSpec{"planId": nil, "intent": nil, "userUtterance": nil, "variables": nil}},
		}},
		"variables": {items: variableSpec},
	}}
	feedbackSpec = &fieldSpec{fields: map[string]*fieldSpec{
		"feedbackId": nil, "feedback": nil, "text": nil, "details": nil,
	}}
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads a JSON request body after checking its Content-Type
// (wrong type: 500 Unsupported Media Type, agent-api.md §8) and size.
// The caller returns the buffer with bufPool.Put.
func readBody(r *http.Request) (*bytes.Buffer, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt := ct
	if ct != "application/json" {
		mt, _, _ = mime.ParseMediaType(ct)
	}
	if mt != "application/json" {
		shown := ct
		if shown == "" {
			shown = "(none)"
		}
		return nil, &apiError{status: http.StatusInternalServerError, class: "HttpMediaTypeNotSupportedException",
			message: "Unsupported Media Type: Content-Type " + strconv.Quote(shown) + " is not supported; send Content-Type: application/json"}
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge()
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	n, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		bufPool.Put(buf)
		return nil, errBadRequest("could not read the request body: " + err.Error())
	}
	if n > MaxBodyBytes {
		bufPool.Put(buf)
		return nil, errTooLarge()
	}
	return buf, nil
}

func errTooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, class: "PayloadTooLargeError",
		message: fmt.Sprintf("Request body exceeds the %d-byte (1 MiB) limit; send a smaller body", MaxBodyBytes)}
}

// checkFields walks a JSON document and rejects the first member (in
// document order) that spec does not list, with the API's text
// `Unrecognized field "<name>"` (agent-api.md §2 "Strictness"). It also
// rejects malformed JSON and trailing data.
func checkFields(data []byte, spec *fieldSpec) *apiError {
	if len(bytes.TrimSpace(data)) == 0 {
		return errBadRequest("Required request body is missing")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	first, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := first.(json.Delim); !ok || d != '{' {
		return errBadRequest("Malformed JSON request body: the body must be a JSON object")
	}
	if err := walkObject(dec, spec, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("Malformed JSON request body: unexpected data after the top-level object")
	}
	return nil
}

// maxNesting is the deepest nesting checkFields walks: the project's one
// limit for JSON and YAML documents.
const maxNesting = inputlimit.MaxDepth

func walkObject(dec *json.Decoder, spec *fieldSpec, depth int) *apiError {
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := kt.(string)
		var sub *fieldSpec
		if spec != nil && spec.fields != nil {
			s, known := spec.fields[key]
			if !known {
				return errBadRequest(`Unrecognized field "` + key + `"`)
			}
			sub = s
		}
		if err := walkValue(dec, sub, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return malformed(err)
	}
	return nil
}

func walkValue(dec *json.Decoder, spec *fieldSpec, depth int) *apiError {
	t, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if depth++; depth > maxNesting {
		return errBadRequest(fmt.Sprintf("Malformed JSON request body: nesting deeper than %d levels", maxNesting))
	}
	switch d {
	case '{':
		return walkObject(dec, spec, depth)
	case '[':
		var items *fieldSpec
		if spec != nil {
			items = spec.items
		}
		for dec.More() {
			if err := walkValue(dec, items, depth); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return malformed(err)
		}
	}
	return nil
}

func malformed(err error) *apiError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errBadRequest("Malformed JSON request body: unexpected end of input")
	}
	return errBadRequest("Malformed JSON request body: " + err.Error())
}

// typeError describes a JSON type mismatch by field.
func typeError(err error) *apiError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return errBadRequest(fmt.Sprintf("Invalid value for field %q: got JSON %s, expected %s", te.Field, te.Value, jsonTypeName(te.Type.String())))
	}
	return errBadRequest("Malformed JSON request body: " + err.Error())
}

func jsonTypeName(goType string) string {
	switch {
	case strings.Contains(goType, "string"):
		return "string"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "array"
	}
	return "object"
}

// startRequest is the part of a Start Session body (agent-api.md §2) the emulator acts on.
type startRequest struct {
	ExternalSessionKey string
	Endpoint           string
	BypassUser         bool
	Variables          []Variable
}

// parseStart decodes a Start Session body once, rejects unknown members
// with the API's text, validates it against schemas.StartSessionRequest
// (through the verdict cache) and extracts what the emulator needs.
func parseStart(body []byte, vc *verdictCache) (*startRequest, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errBadRequest("Required request body is missing")
	}
	v, err := schemas.Decode(body)
	if err != nil {
		return nil, errBadRequest("Malformed JSON request body: " + err.Error())
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errBadRequest("Malformed JSON request body: the body must be a JSON object")
	}
	if name := firstUnknown(body, doc, startSpec); name != "" {
		return nil, errBadRequest(`Unrecognized field "` + name + `"`)
	}
	if e := vc.validate(doc); e != nil {
		return nil, e
	}
	// The schema guarantees the types below; the checks only guard against
	// a schema that says less.
	req := &startRequest{}
	req.ExternalSessionKey, _ = doc["externalSessionKey"].(string)
	if req.ExternalSessionKey == "" {
		return nil, errBadRequest(`Missing required field "externalSessionKey" (a UUID you choose for this conversation)`)
	}
	ic, _ := doc["instanceConfig"].(map[string]any)
	ep, ok := ic["endpoint"].(string)
	if !ok {
		return nil, errBadRequest(`Missing required field "instanceConfig.endpoint" (the org's My Domain URL)`)
	}
	req.Endpoint = ep
	if b, ok := doc["bypassUser"].(bool); ok {
		req.BypassUser = b
	}
	vars, _ := doc["variables"].([]any)
	for i, it := range vars {
		m, _ := it.(map[string]any)
		name, _ := m["name"].(string)
		typ, _ := m["type"].(string)
		if name == "" || !variableTypes[typ] {
			return nil, errBadRequest(fmt.Sprintf(`Invalid value for field "variables[%d]": name and a documented type are required`, i))
		}
		req.Variables = append(req.Variables, Variable{Name: name, Type: typ, Value: m["value"]})
	}
	return req, nil
}

// firstUnknown returns the member of doc, at any depth, that spec does not
// list and that comes first in the body; "" when there is none.
func firstUnknown(body []byte, doc map[string]any, spec *fieldSpec) string {
	var unknown []string
	collectUnknown(doc, spec, &unknown)
	switch len(unknown) {
	case 0:
		return ""
	case 1:
		return unknown[0]
	}
	best, bestAt := unknown[0], len(body)+1
	for _, name := range unknown {
		if at := memberOffset(body, name); at < bestAt {
			best, bestAt = name, at
		}
	}
	return best
}

func collectUnknown(v any, spec *fieldSpec, out *[]string) {
	if spec == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if spec.fields == nil {
			return
		}
		for k, child := range x {
			sub, known := spec.fields[k]
			if !known {
				*out = append(*out, k)
				continue
			}
			collectUnknown(child, sub, out)
		}
	case []any:
		for _, e := range x {
			collectUnknown(e, spec.items, out)
		}
	}
}

// memberOffset finds where "name" appears as a member name in body.
func memberOffset(body []byte, name string) int {
	q, _ := json.Marshal(name)
	from := 0
	for {
		i := bytes.Index(body[from:], q)
		if i < 0 {
			return len(body)
		}
		at := from + i
		j := at + len(q)
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == ':' {
			return at
		}
		from = at + 1
	}
}

// sendRequest is the Send Message body (agent-api.md §1, §13).
type sendRequest struct {
	Message *struct {
		Type               *string `json:"type"`
		SequenceID         *int64  `json:"sequenceId"`
		Text               *string `json:"text"`
		InReplyToMessageID string  `json:"inReplyToMessageId"`
		Reply              []struct {
			Type     string `json:"type"`
			Property string `json:"property"`
			Value    any    `json:"value"`
		} `json:"reply"`
		Reason      string `json:"reason"`
		Description string `json:"description"`
		Details     *struct {
			PlanID string `json:"planId"`
			Intent string `json:"intent"`
		} `json:"details"`
	} `json:"message"`
	Variables []wireVariable `json:"variables"`
}

// replyText is what the emulated agent answers to a message of each
// documented type (agent-api.md §13); the reference says nothing of the
// agent's side, so every answer is the emulator's choice [A].
func (r *sendRequest) replyText() string {
	m := r.Message
	switch *m.Type {
	case "Reply":
		parts := make([]string, 0, len(m.Reply))
		for _, v := range m.Reply {
			parts = append(parts, fmt.Sprintf("%s.%s = %v", v.Type, v.Property, v.Value))
		}
		return "Thanks, noted: " + strings.Join(parts, ", ")
	case "Cancel":
		return "Cancelled. What else can I do for you?"
	case "TransferFailed":
		msg := "The transfer failed (" + m.Reason + ")"
		if m.Description != "" {
			msg += ": " + m.Description
		}
		return msg + ". I am still here to help."
	case "TransferSucceeded":
		return "The conversation was transferred."
	case "PlanTemplate":
		return "Running plan " + m.Details.PlanID + "."
	}
	return "You said: " + *m.Text
}

func parseSend(body []byte) (*sendRequest, *apiError) {
	if e := checkFields(body, sendSpec); e != nil {
		return nil, e
	}
	if e := validateBody(schemas.SendMessageRequest, body); e != nil {
		return nil, e
	}
	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil { // the schema guarantees the shape
		return nil, typeError(err)
	}
	return &req, nil
}

// feedbackRequest is the Submit Feedback body (agent-api.md §1).
type feedbackRequest struct {
	FeedbackID *string        `json:"feedbackId"`
	Feedback   *string        `json:"feedback"`
	Text       *string        `json:"text"`
	Details    map[string]any `json:"details"`
}

func parseFeedback(body []byte) (*feedbackRequest, *apiError) {
	if e := checkFields(body, feedbackSpec); e != nil {
		return nil, e
	}
	if e := validateBody(schemas.SubmitFeedbackRequest, body); e != nil {
		return nil, e
	}
	var req feedbackRequest
	if err := json.Unmarshal(body, &req); err != nil { // the schema guarantees the shape
		return nil, typeError(err)
	}
	return &req, nil
}

// wireToVariables converts checked wire variables.
func wireToVariables(vars []wireVariable) []Variable {
	out := make([]Variable, 0, len(vars))
	for _, v := range vars {
		var val any
		_ = json.Unmarshal(v.Value, &val)
		out = append(out, Variable{Name: *v.Name, Type: *v.Type, Value: val})
	}
	return out
}

// wireVariable is a variable as decoded from a Send Message request.
type wireVariable struct {
	Name  *string         `json:"name"`
	Type  *string         `json:"type"`
	Value json.RawMessage `json:"value"`
}
