package schemas

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceDecode is what Decode must agree with: encoding/json's Decoder
// with UseNumber, and nothing but whitespace after the value.
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
	return v, nil
}

var decodeSeeds = []string{
	``, ` `, `null`, `true`, `false`, `0`, `-0`, `-0.0e+0`, `1E400`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
	`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\ud800\udc00"`, `"\u12"`, `"\x"`,
	"\"a\tb\"", `"\/\b\f\n\r\t\"\\"`, `"é"`, `[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`,
	`{"a":1,"a":2}`, `{"":{"":[{}]}}`, `[[[[]]]]`, `{"a":[1,{"b":null}]} `, `{} {}`, `{}x`, `nul`, `tru`, `[`, `{"a":`,
	"\t\n\r {\"k\" : \"v\" }\n",
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
}

// FuzzDecodeMatchesEncodingJSON: Decode accepts exactly what encoding/json
// accepts (for valid UTF-8) and produces the same values.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(compareDecode)
}
