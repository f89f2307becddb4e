package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// maxDepth is the deepest nesting Decode accepts: the project's one limit
// for JSON and YAML documents.
const maxDepth = inputlimit.MaxDepth

// decodeJSON decodes doc (valid UTF-8) with encoding/json (a Decoder with
// UseNumber, nothing but whitespace after the value) and adds the two
// checks encoding/json lacks: nesting deeper than maxDepth (encoding/json
// allows 10,000 levels) and a member name repeated in one object
// (encoding/json keeps the last, so a document could be judged by one value
// and sent with both). Both come from one pass over the bytes, shapeOf,
// before decoding: a repeat shows as fewer members decoded than written,
// and is located, with both positions, only then. With top, it also
// returns the text of each member of a top-level object. Every error is a
// *SyntaxError naming the byte offset.
func decodeJSON(doc []byte, top bool) (any, []span, error) {
	s := shapeOf(doc, top)
	if s.tooDeepAt >= 0 {
		// A syntax error before the limit is what a reader meets first.
		if err := syntaxCheck(doc); err != nil && err.Offset < int64(s.tooDeepAt) {
			return nil, nil, err
		}
		return nil, nil, syntaxErr(doc, int64(s.tooDeepAt), &inputlimit.Error{Limit: maxDepth, Format: inputlimit.JSON, Kind: inputlimit.ErrTooDeep})
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, decodeErr(doc, err)
	}
	if end := skipSpace(doc, int(dec.InputOffset())); end != len(doc) {
		return nil, nil, syntaxErr(doc, int64(end), fmt.Errorf("after the JSON value: unexpected %s", describeByte(doc[end])))
	}
	if countMembers(v) != s.members {
		return nil, nil, duplicateErr(doc)
	}
	return v, s.top, nil
}

// decodeErr turns an error of encoding/json's Decoder into a *SyntaxError
// at the offending byte.
func decodeErr(doc []byte, err error) *SyntaxError {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// encoding/json counts the offending byte as read.
		return syntaxErr(doc, se.Offset-1, errors.New(se.Error()))
	case errors.Is(err, io.EOF):
		return syntaxErr(doc, int64(len(doc)), errors.New("empty document"))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return syntaxErr(doc, int64(len(doc)), errors.New("unexpected end of input (truncated document?)"))
	}
	return syntaxErr(doc, 0, err)
}

// syntaxCheck is encoding/json's verdict on doc's syntax alone (no value is
// built), or nil.
func syntaxCheck(doc []byte) *SyntaxError {
	var raw json.RawMessage
	err := json.Unmarshal(doc, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return syntaxErr(doc, se.Offset-1, errors.New(se.Error()))
	}
	return nil
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isSpace(doc[i]) {
		i++
	}
	return i
}

func describeByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

// shape is what shapeOf counts in a document.
type shape struct {
	// members is the number of object members (name-value pairs) written.
	members int
	// tooDeepAt is the offset of the first '{' or '[' nested deeper than
	// maxDepth, or -1.
	tooDeepAt int
	// top, when shapeOf is asked for it and the document is an object,
	// holds each of its members: the name's text (quotes included) and the
	// value's, in document order.
	top []span
}

// span is one member of the top-level object: name and value as the
// document writes them.
type span struct{ name, value []byte }

// shapeOf counts the nesting and the object members of doc in one pass
// over its bytes, outside strings: a member is a ':' there, a level a '{'
// or '['; with top, it also keeps the text of the top-level object's
// members. It does not check syntax (encoding/json does that); on a
// malformed document its results mean nothing but it stops at the end.
func shapeOf(doc []byte, top bool) shape {
	s := shape{tooDeepAt: -1}
	depth := 0
	var m span // the top-level member being read
	value := -1
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			start := i
			for i++; i < len(doc) && doc[i] != '"'; i++ {
				if doc[i] == '\\' {
					i++
				}
			}
			if top && depth == 1 && m.name == nil && i < len(doc) {
				m.name = doc[start : i+1]
			}
		case ':':
			s.members++
			if top && depth == 1 {
				value = skipSpace(doc, i+1)
			}
		case '{', '[':
			if depth++; depth > maxDepth {
				s.tooDeepAt = i
				return s
			}
		case ',', '}', ']':
			if top && depth == 1 && m.name != nil && value >= 0 && value <= i {
				end := i
				for end > value && isSpace(doc[end-1]) {
					end--
				}
				m.value = doc[value:end:end]
				s.top = append(s.top, m)
				m, value = span{}, -1
			}
			if doc[i] != ',' {
				depth--
			}
		}
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// countMembers is the number of members of every object in v: fewer than
// the document wrote (shape.members) when a name repeats in an object.
func countMembers(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := len(x)
		for _, e := range x {
			n += countMembers(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countMembers(e)
		}
		return n
	}
	return 0
}

// ErrDuplicateKey matches a *DuplicateKeyError (errors.Is).
var ErrDuplicateKey = errors.New("member name repeated in a JSON object")

// DuplicateKeyError is a JSON object that names a member twice. encoding/json
// would keep the last value, so a document could be validated by one value
// and sent with both; agentshape refuses it.
type DuplicateKeyError struct {
	// Key is the repeated member name.
	Key string
	// Object is the JSON pointer of the object ("" for the top level).
	Object string
	// FirstLine and FirstColumn locate the first occurrence (1-based;
	// column in bytes); the *SyntaxError around this error locates the
	// second.
	FirstLine, FirstColumn int
}

// Error implements error.
func (e *DuplicateKeyError) Error() string {
	where := "the top-level object"
	if e.Object != "" {
		where = "the object at " + e.Object
	}
	return fmt.Sprintf("member %q appears twice in %s (first at line %d, column %d); name each member once", e.Key, where, e.FirstLine, e.FirstColumn)
}

// Is makes errors.Is(err, ErrDuplicateKey) true.
func (e *DuplicateKeyError) Is(target error) bool { return target == ErrDuplicateKey }

// duplicateErr locates the first member name that repeats one of its
// object in doc, a well-formed document known to have one, by walking
// encoding/json's tokens: the *SyntaxError is at the second occurrence and
// wraps a *DuplicateKeyError naming the object and the first.
func duplicateErr(doc []byte) *SyntaxError {
	type frame struct {
		obj       bool
		key       string
		index     int
		seen      map[string]int
		expectKey bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(doc))
	pointer := func(frames []*frame) string {
		var b []byte
		for _, f := range frames {
			b = append(b, '/')
			if f.obj {
				b = append(b, EscapeToken(f.key)...)
			} else {
				b = strconv.AppendInt(b, int64(f.index), 10)
			}
		}
		return string(b)
	}
	done := func() { // a value ended: the parent moves on
		if n := len(stack); n > 0 {
			if p := stack[n-1]; p.obj {
				p.expectKey = true
			} else {
				p.index++
			}
		}
	}
	for {
		start := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			// Not reached for a document shapeOf and Decode found a repeat in.
			return syntaxErr(doc, int64(start), fmt.Errorf("%w (not located: %v)", ErrDuplicateKey, err))
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
			if k, ok := tok.(string); ok {
				f := stack[n-1]
				at := start + bytes.IndexByte(doc[start:dec.InputOffset()], '"')
				if first, ok := f.seen[k]; ok {
					fl, fc := lineColumn(doc, first)
					return syntaxErr(doc, int64(at), &DuplicateKeyError{Key: k, Object: pointer(stack[:n-1]), FirstLine: fl, FirstColumn: fc})
				}
				f.seen[k] = at
				f.key, f.expectKey = k, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, seen: map[string]int{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
	}
}
