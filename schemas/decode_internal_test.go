package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// referenceDecode is what Decode must agree with: encoding/json's Decoder
// with UseNumber, and nothing but whitespace after the value; and, unlike
// encoding/json, no member name twice in an object and no nesting deeper
// than maxDepth (checked by walking encoding/json's tokens).
func referenceDecode(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	if err := referenceLimits(doc); err != nil {
		return nil, err
	}
	return v, nil
}

var (
	errRefDuplicate = errors.New("duplicate member")
	errRefTooDeep   = errors.New("too deep")
)

// referenceLimits refuses a well-formed document that nests deeper than
// maxDepth (errRefTooDeep, wherever it is) or else repeats a member name in
// an object (errRefDuplicate).
func referenceLimits(doc []byte) error {
	var dup error
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct {
		seen      map[string]bool
		expectKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return dup
		}
		if err != nil {
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].seen != nil && stack[n-1].expectKey {
			if k, ok := tok.(string); ok {
				if stack[n-1].seen[k] {
					dup = errRefDuplicate
				}
				stack[n-1].seen[k], stack[n-1].expectKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxDepth {
				return errRefTooDeep
			}
			f := &frame{}
			if tok == json.Delim('{') {
				f.seen, f.expectKey = map[string]bool{}, true
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && stack[n-1].seen != nil {
			stack[n-1].expectKey = true
		}
	}
}

var decodeSeeds = []string{
	``, ` `, `null`, `true`, `false`, `0`, `-0`, `-0.0e+0`, `1E400`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
	`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\ud800\udc00"`, `"\u12"`, `"\x"`,
	"\"a\tb\"", `"\/\b\f\n\r\t\"\\"`, `"é"`, `[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`,
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":1},"c":{"b":2}}`, `[{"a":1},{"a":1}]`, `{"":{"":[{}]}}`, `[[[[]]]]`, `{"a":[1,{"b":null}]} `, `{} {}`, `{}x`, `nul`, `tru`, `[`, `{"a":`,
	"\t\n\r {\"k\" : \"v\" }\n",
	`{ "x" : [1, {"y": 2}] , "\u0078y\"" :"v" , "z":{} }`, `{"a\":b":1,"c":"x:y\\","a\":b":2}`, `{"a":"\\\"{[:"}`, `{"a":"{","b":"[","a":0}`,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		compareDecode(t, []byte(s))
	}
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	compareDecode(t, []byte(deep))
	compareDecode(t, []byte("["+deep+"]"))
}

func compareDecode(t *testing.T, doc []byte) {
	t.Helper()
	if !utf8.Valid(doc) {
		return // Decode refuses invalid UTF-8 before parsing; encoding/json substitutes U+FFFD
	}
	got, err := Decode(doc)
	want, werr := referenceDecode(doc)
	if (err == nil) != (werr == nil) {
		t.Fatalf("%.80q: Decode error %v, encoding/json error %v", doc, err, werr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%.80q: Decode %#v, encoding/json %#v", doc, got, want)
	}
	if err != nil {
		se, ok := err.(*SyntaxError)
		if !ok || se.Offset < 0 || se.Offset > int64(len(doc)) {
			t.Fatalf("%.80q: error %v is not a *SyntaxError within the document", doc, err)
		}
	}
	if obj, ok := want.(map[string]any); ok && err == nil {
		// DecodeObject's members are the text encoding/json sees for each.
		var wantMembers map[string]json.RawMessage
		if jerr := json.Unmarshal(doc, &wantMembers); jerr != nil {
			t.Fatal(jerr)
		}
		gotObj, members, oerr := DecodeObject(doc)
		if oerr != nil || !reflect.DeepEqual(gotObj, obj) || len(members) != len(wantMembers) {
			t.Fatalf("%.80q: DecodeObject %v %q %v, want %q", doc, gotObj, members, oerr, wantMembers)
		}
		for k, w := range wantMembers {
			if g, ok := members[k]; !ok || !bytes.Equal(g, w) {
				t.Fatalf("%.80q: member %q is %q, want %q", doc, k, g, w)
			}
		}
	}
	// A well-formed document is refused for its limit; a malformed one may
	// be refused for its depth when the limit comes before the syntax error.
	if errors.Is(werr, errRefDuplicate) != errors.Is(err, ErrDuplicateKey) || (errors.Is(werr, errRefTooDeep) && !errors.Is(err, inputlimit.ErrTooDeep)) {
		t.Fatalf("%.80q: Decode error %v, reference %v", doc, err, werr)
	}
}

// FuzzDecodeMatchesEncodingJSON: Decode accepts exactly what encoding/json
// accepts (for valid UTF-8) and produces the same values.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(compareDecode)
}

// TestDecodeRefusesDuplicateMembers: a repeated member name is refused with
// the name, the JSON pointer of its object and both positions.
func TestDecodeRefusesDuplicateMembers(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"instanceConfig":{"endpoint":"https://a.my.salesforce.com"},"tz":"UTC","instanceConfig":{"endpoint":"https://b.my.salesforce.com"}}`,
			`JSON refused at byte offset 72 (line 1, column 73): member "instanceConfig" appears twice in the top-level object (first at line 1, column 2); name each member once`},
		{"{\n \"a\": [1, {\"b\": {\"c\":1, \"c\":2}}]}",
			`JSON refused at byte offset 26 (line 2, column 25): member "c" appears twice in the object at /a/1/b (first at line 2, column 18)`},
		{`{"a~/b":{"k":1,"\u006b":1}}`, `member "k" appears twice in the object at /a~0~1b (first at line 1, column 10)`},
		{`{"":1,"":2}`, `member "" appears twice in the top-level object`},
	} {
		_, err := Decode([]byte(c.doc))
		if !errors.Is(err, ErrDuplicateKey) || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.doc, err, c.want)
		}
	}
}

// TestDecodeDepthLimit: the project's one nesting limit, named in the error.
func TestDecodeDepthLimit(t *testing.T) {
	doc := "{\"a\":\n" + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}"
	_, err := Decode([]byte(doc))
	if !errors.Is(err, inputlimit.ErrTooDeep) || !strings.Contains(err.Error(), "(line 2, column 128): nested deeper than 128 levels") {
		t.Errorf("err = %v", err)
	}
	// A syntax error before the limit is the one a reader meets first.
	_, err = Decode([]byte("{\"a\" 1, \"b\": " + strings.Repeat("[", maxDepth+1)))
	if errors.Is(err, inputlimit.ErrTooDeep) || !strings.Contains(fmt.Sprint(err), "byte offset 5 (line 1, column 6): invalid character '1' after object key") {
		t.Errorf("err = %v", err)
	}
}
