package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is the deepest nesting Decode accepts, the same limit as
// encoding/json.
const maxDepth = 10000

// decoder is a single-pass JSON parser producing the generic form the
// validator works on: map[string]any, []any, string, json.Number, bool and
// nil, exactly as encoding/json's Decoder with UseNumber would (duplicate
// members: the last wins; invalid \u surrogates become U+FFFD). It exists
// because it is several times faster than encoding/json's reflection-based
// decoding into an any; FuzzDecodeMatchesEncodingJSON holds it to the same
// answers. The input must be valid UTF-8 (Decode checks that first).
type decoder struct {
	data  []byte
	pos   int
	depth int
}

// errAt is a syntax problem at a byte offset.
type errAt struct {
	off int
	msg string
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
		return d.fail(fmt.Sprintf("nesting deeper than %d levels", maxDepth))
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
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		m[k.(string)] = v
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

// decodeFast parses doc (valid UTF-8) and converts errors to *SyntaxError.
func decodeFast(doc []byte) (any, error) {
	d := decoder{data: doc}
	v, err := d.document()
	if err != nil {
		var e *errAt
		if errors.As(err, &e) {
			return nil, syntaxErr(doc, int64(e.off), errors.New(e.msg))
		}
		return nil, err
	}
	return v, nil
}
