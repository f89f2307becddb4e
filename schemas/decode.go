package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// maxDepth is the deepest nesting Decode accepts: the project's one limit
// for JSON and YAML documents.
const maxDepth = inputlimit.MaxDepth

// decoder is a single-pass JSON parser producing the generic form the
// validator works on: map[string]any, []any, string, json.Number, bool and
// nil, exactly as encoding/json's Decoder with UseNumber would (invalid \u
// surrogates become U+FFFD), except that it refuses what encoding/json
// lets through: a member name repeated in one object (encoding/json keeps
// the last, so a document could be judged by one value and sent with both)
// and nesting deeper than maxDepth. It exists because it is several times
// faster than encoding/json's reflection-based decoding into an any;
// FuzzDecodeMatchesEncodingJSON holds it to the same answers. The input
// must be valid UTF-8 (Decode checks that first).
type decoder struct {
	data  []byte
	pos   int
	depth int
	// members, when not nil, receives the raw text of each member of the
	// top-level object.
	members map[string]json.RawMessage
}

// errAt is a problem at a byte offset: a syntax error (msg), a limit (err)
// or a repeated member name (isDup: key, at its second occurrence).
type errAt struct {
	off   int
	msg   string
	err   error
	isDup bool
	key   string
}

func (e *errAt) Error() string { return e.msg }

func (d *decoder) fail(msg string) error { return &errAt{off: d.pos, msg: msg} }

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// document parses one value and requires only whitespace after it.
func (d *decoder) document() (any, error) {
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, d.fail("empty document")
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.fail(fmt.Sprintf("after the JSON value: unexpected %s", describeByte(d.data[d.pos])))
	}
	return v, nil
}

func describeByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (d *decoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.fail("unexpected end of input (truncated document?)")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.fail(fmt.Sprintf("invalid character %s looking for the beginning of a value", describeByte(c)))
	}
}

func (d *decoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) {
			return d.fail("unexpected end of input (truncated document?)")
		}
		if d.data[d.pos] != word[i] {
			return d.fail(fmt.Sprintf("invalid character %s in literal %s", describeByte(d.data[d.pos]), word))
		}
		d.pos++
	}
	return nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return &errAt{off: d.pos, err: &inputlimit.Error{Limit: maxDepth, Format: inputlimit.JSON, Kind: inputlimit.ErrTooDeep}}
	}
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // {
	m := make(map[string]any)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input (truncated document?)")
		}
		if d.data[d.pos] != '"' {
			return nil, d.fail(fmt.Sprintf("invalid character %s looking for the beginning of a member name", describeByte(d.data[d.pos])))
		}
		keyAt := d.pos
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input (truncated document?)")
		}
		if d.data[d.pos] != ':' {
			return nil, d.fail(fmt.Sprintf("invalid character %s after a member name", describeByte(d.data[d.pos])))
		}
		d.pos++
		d.skipSpace()
		valueAt := d.pos
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if d.members != nil && d.depth == 1 {
			d.members[k.(string)] = d.data[valueAt:d.pos:d.pos]
		}
		n := len(m)
		m[k.(string)] = v
		if len(m) == n {
			return nil, &errAt{off: keyAt, isDup: true, key: k.(string)}
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input (truncated document?)")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return m, nil
		default:
			return nil, d.fail(fmt.Sprintf("invalid character %s after an object member", describeByte(d.data[d.pos])))
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // [
	a := make([]any, 0, 4)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return a, nil
	}
	for {
		d.skipSpace()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input (truncated document?)")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return a, nil
		default:
			return nil, d.fail(fmt.Sprintf("invalid character %s after an array element", describeByte(d.data[d.pos])))
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.numberErr()
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.numberErr()
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.numberErr()
		}
	}
	return json.Number(d.data[start:d.pos]), nil
}

func (d *decoder) numberErr() error {
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input (truncated document?)")
	}
	return d.fail(fmt.Sprintf("invalid character %s in a number", describeByte(d.data[d.pos])))
}

// str parses a string at d.pos (which holds '"').
func (d *decoder) str() (any, error) {
	d.pos++
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := string(d.data[start:d.pos])
			d.pos++
			return s, nil
		case c == '\\':
			return d.escapedStr(start)
		case c < 0x20:
			return nil, d.fail(fmt.Sprintf("invalid control character %s in a string", describeByte(c)))
		}
		d.pos++
	}
	return nil, d.fail("unexpected end of input in a string (truncated document?)")
}

// escapedStr continues a string that has escapes; d.pos is at the first '\\'.
func (d *decoder) escapedStr(start int) (any, error) {
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return nil, d.fail(fmt.Sprintf("invalid control character %s in a string", describeByte(c)))
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++ // backslash
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, d.fail("invalid \\u escape in a string (want four hex digits)")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by \u low surrogate is one rune;
				// anything else is U+FFFD, as encoding/json decodes it.
				save := d.pos
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok := d.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
				}
				d.pos = save
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.pos--
			return nil, d.fail(fmt.Sprintf("invalid escape \\%s in a string", string(rune(e))))
		}
	}
	return nil, d.fail("unexpected end of input in a string (truncated document?)")
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := d.data[d.pos+i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// decodeWith parses d's document (valid UTF-8) and converts errors to
// *SyntaxError.
func decodeWith(d *decoder) (any, error) {
	doc := d.data
	v, err := d.document()
	if err != nil {
		var e *errAt
		if !errors.As(err, &e) {
			return nil, err
		}
		switch {
		case e.isDup:
			obj, first := locateDuplicate(doc, e.off)
			fl, fc := lineColumn(doc, first)
			return nil, syntaxErr(doc, int64(e.off), &DuplicateKeyError{Key: e.key, Object: obj, FirstLine: fl, FirstColumn: fc})
		case e.err != nil:
			return nil, syntaxErr(doc, int64(e.off), e.err)
		}
		return nil, syntaxErr(doc, int64(e.off), errors.New(e.msg))
	}
	return v, nil
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

// locateDuplicate finds, for the member name starting at off that repeats
// one of its object, the JSON pointer of the object and the offset of the
// first occurrence. It runs only after Decode found the repeat, so doc is
// well-formed up to off.
func locateDuplicate(doc []byte, off int) (object string, first int) {
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
			return "", off
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
			if k, ok := tok.(string); ok {
				f := stack[n-1]
				at := start + bytes.IndexByte(doc[start:dec.InputOffset()], '"')
				if at == off {
					return pointer(stack[:n-1]), f.seen[k]
				}
				if _, ok := f.seen[k]; !ok {
					f.seen[k] = at
				}
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
