package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// Violation is one way a document breaks a schema.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the value at fault ("" is the
	// whole document). For a missing member it is where the member belongs.
	Pointer string `json:"pointer"`
	// Field is Pointer written for people: "instanceConfig.endpoint",
	// "variables[1].name"; "(root)" for the whole document.
	Field string `json:"field"`
	// Rule is the schema keyword that failed ("required", "pattern", ...),
	// the rule name a schema gives with x-rule ("lightning-url", "reserved"),
	// or a rule enforced in Go (RuleUniqueVariableNames).
	Rule string `json:"rule"`
	// Message is one line a person can act on, starting with Field.
	Message string `json:"message"`
	// Plugin names the plugin that last wrote Pointer, when the document
	// was shaped by a pipeline (filled by internal/shaper); "" otherwise.
	Plugin string `json:"plugin,omitempty"`
}

// String returns the message, followed by the plugin at fault if known.
func (v Violation) String() string {
	if v.Plugin != "" {
		return v.Message + " (set by plugin " + v.Plugin + ")"
	}
	return v.Message
}

// SyntaxError reports a document that is not well-formed JSON.
type SyntaxError struct {
	// Offset is the byte offset at which the problem was found.
	Offset int64
	// Line and Column (1-based, column in bytes) locate Offset.
	Line, Column int
	// Err is the decoder's description.
	Err error
}

// Error implements error.
func (e *SyntaxError) Error() string {
	if errors.Is(e.Err, ErrDuplicateKey) || errors.Is(e.Err, inputlimit.ErrTooDeep) {
		return fmt.Sprintf("JSON refused at byte offset %d (line %d, column %d): %v", e.Offset, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("malformed JSON at byte offset %d (line %d, column %d): %v; fix the document and try again",
		e.Offset, e.Line, e.Column, e.Err)
}

// Unwrap returns the decoder's error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Decode parses one JSON document into the generic form the validator
// works on (objects as map[string]any, numbers as json.Number). It rejects
// invalid UTF-8, trailing data and malformed JSON with a *SyntaxError that
// names the byte offset, and so it does a member name repeated in one
// object (wrapping a *DuplicateKeyError) and nesting deeper than 128
// levels (naming the line and the limit).
func Decode(doc []byte) (any, error) {
	v, _, err := decodeUTF8(doc, false)
	return v, err
}

// decodeUTF8 refuses invalid UTF-8, then decodes doc (and, with top, keeps
// the text of its top-level members).
func decodeUTF8(doc []byte, top bool) (any, []span, error) {
	if !utf8.Valid(doc) {
		return nil, nil, syntaxErr(doc, int64(invalidUTF8Offset(doc)), errors.New("invalid UTF-8"))
	}
	return decodeJSON(doc, top)
}

// DecodeObject is Decode for a document that must be a JSON object: it
// returns the object and the raw text of each of its members (slices of
// doc, for passing a member on byte for byte). Any other JSON value is an
// error naming its kind.
func DecodeObject(doc []byte) (map[string]any, map[string]json.RawMessage, error) {
	v, top, err := decodeUTF8(doc, true)
	if err != nil {
		return nil, nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("the document is %s, not a JSON object", jsonTypeWord(v))
	}
	members := make(map[string]json.RawMessage, len(top))
	for _, m := range top {
		name := string(m.name[1 : len(m.name)-1])
		if bytes.IndexByte(m.name, '\\') >= 0 {
			if err := json.Unmarshal(m.name, &name); err != nil {
				return nil, nil, fmt.Errorf("member name %s: %w", m.name, err) // not reached: the document was decoded
			}
		}
		members[name] = json.RawMessage(m.value)
	}
	return obj, members, nil
}

func invalidUTF8Offset(doc []byte) int {
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(doc)
}

func syntaxErr(doc []byte, off int64, err error) *SyntaxError {
	off = max(0, min(off, int64(len(doc))))
	line, col := lineColumn(doc, int(off))
	return &SyntaxError{Offset: off, Line: line, Column: col, Err: err}
}

// lineColumn locates a byte offset (1-based line, column in bytes).
func lineColumn(doc []byte, off int) (line, col int) {
	line, col = 1, 1
	for _, c := range doc[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Validate checks doc against the named schema and the Go rules that go with
// it. It returns the violations (nil when doc is valid), or an error when doc
// is not JSON (*SyntaxError) or the schema is unknown (ErrUnknownSchema).
func Validate(name Name, doc []byte) ([]Violation, error) {
	sch, err := schemaFor(name)
	if err != nil {
		return nil, err
	}
	v, err := Decode(doc)
	if err != nil {
		return nil, fmt.Errorf("validate against %s: %w", name, err)
	}
	return validate(name, sch, v)
}

// ValidateValue is Validate for a document already decoded by Decode (or by
// a json.Decoder with UseNumber). It avoids decoding twice.
func ValidateValue(name Name, v any) ([]Violation, error) {
	sch, err := schemaFor(name)
	if err != nil {
		return nil, err
	}
	return validate(name, sch, v)
}

func validate(name Name, sch *jsonschema.Schema, v any) ([]Violation, error) {
	if f := fastFor(name); f != nil && f.valid(v) {
		// Valid by the schema (see fast.go); only the Go rules remain.
		out := goRules(name, v)
		sortViolations(out)
		return out, nil
	}
	return validateByLibrary(name, sch, v)
}

// validateByLibrary validates v with jsonschema/v5 alone (the schema
// compiled once) and the Go rules: what validate does when the fast
// evaluator has no answer, and all it would do without fast.go and dfa.go.
func validateByLibrary(name Name, sch *jsonschema.Schema, v any) ([]Violation, error) {
	var out []Violation
	if err := sch.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("validate against %s: the value is not a JSON document: %w", name, err)
		}
		out, err = explain(ve, v)
		if err != nil {
			return nil, fmt.Errorf("validate against %s: %w", name, err)
		}
	}
	out = append(out, goRules(name, v)...)
	sortViolations(out)
	return out, nil
}

// sortViolations orders violations by pointer, then rule, then message, so
// that output is stable (the validator visits members in map order).
func sortViolations(vs []Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}
